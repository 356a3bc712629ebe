#!/usr/bin/env bash
# Edit latency of `banchi serve` on a big fraud list: how long `POST /v1/lists/fraud/entries`
# and `PATCH /v1/lists/fraud/entries/{id}` take to answer (the edit fsync'd and in force),
# checking after each one that the very next `POST /v1/screen` grades with it.
#
#   cargo build --release --bin banchi --example gen_orders
#   tools/edit_latency.sh [ROWS (1000000)] [EDITS (20)]
#
# An edit appends the row's new image to the list's edit journal (.fraud.csv.journal) and
# fsyncs it; the background rebuild folds the journal into the CSV.
#
# Prints the start-to-ready time, the latencies (median, p90, max, milliseconds) and the load
# average (the machine is shared: quote it beside the figures). Addresses are invented flats at
# a real block of 梅田; the list is gen_orders' synthetic one, in a temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
edits=${2:-20}
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${BANCHI:-$target/release/banchi}"
gen="$target/release/examples/gen_orders"
dir=$(mktemp -d /tmp/banchi-edit.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT

"$gen" --orders 0 --fraud "$rows" --dir "$dir" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export BANCHI_ADMIN_TOKEN="edit-latency-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
unset BANCHI_SCREEN_TOKEN
A="Authorization: Bearer $BANCHI_ADMIN_TOKEN"
J='Content-Type: application/json'
url="http://127.0.0.1:$port"

start=$(date +%s.%N)
BANCHI_LOG="${BANCHI_LOG:-warn}" "$bin" serve --fraud "$dir/fraud.csv" --listen "127.0.0.1:$port" 2>"$dir/log" &
pid=$!
until curl -sf "$url/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
    sleep 0.1
done
ready=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")

grade_of() {
    curl -sf -H "$A" -H "$J" "$url/v1/screen" -d "{\"address\":\"$1\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["fraud"]["grade"])'
}

# The generated list is a plain one (id,address,reason…): its first edit, timed apart, is
# journalled like every other, its image bringing the management columns (status, history …)
# without a rewrite of the CSV.
first=$(curl -sf -o /dev/null -w '%{time_total}' -H "$A" -H "$J" "$url/v1/lists/fraud/entries" \
    -d '{"address":"大阪府大阪市北区梅田3-1-1 架空タワー999号室","reason":"chargeback","memo":"edit latency run"}')
g=$(grade_of "大阪府大阪市北区梅田3-1-1 架空タワー999号室")
[ "$g" = danger ] || { echo "the first entry added graded $g on the next request" >&2; exit 1; }

adds=()
patches=()
for i in $(seq 1 "$edits"); do
    address="大阪府大阪市北区梅田3-1-1 架空タワー$((1000 + i))号室"
    t=$(curl -sf -o "$dir/answer" -w '%{time_total}' -H "$A" -H "$J" "$url/v1/lists/fraud/entries" \
        -d "{\"address\":\"$address\",\"reason\":\"chargeback\",\"memo\":\"edit latency run\"}")
    adds+=("$t")
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/answer")
    g=$(grade_of "$address")
    [ "$g" = danger ] || { echo "added entry $id graded $g on the next request" >&2; exit 1; }
    t=$(curl -sf -o /dev/null -w '%{time_total}' -X PATCH -H "$A" -H "$J" \
        "$url/v1/lists/fraud/entries/$id" -d '{"disabled":true,"memo":"edit latency run"}')
    patches+=("$t")
    g=$(grade_of "$address")
    [ "$g" != danger ] || { echo "disabled entry $id still graded danger" >&2; exit 1; }
done

summary() {
    python3 -c '
import sys
xs = sorted(float(x) * 1000 for x in sys.argv[2:])
pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
print(f"{sys.argv[1]}: n={len(xs)} median={pick(0.5):.0f} ms p90={pick(0.9):.0f} ms max={xs[-1]:.0f} ms")
' "$@"
}
journal="$dir/.fraud.csv.journal"
echo "list: $rows rows ($(du -h "$dir/fraud.csv" | cut -f1) after the edits, journal $( [ -f "$journal" ] && du -h "$journal" | cut -f1 || echo folded)); start to ready: ${ready} s"
summary "first edit of the plain list (journalled, brings the management columns)" "$first"
summary "add (POST entries)" "${adds[@]}"
summary "disable (PATCH entries/{id})" "${patches[@]}"
echo "every edit graded as expected by the next /v1/screen"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${KEEP_LOG:-}" ]; then cp "$dir/log" "$KEEP_LOG"; fi
