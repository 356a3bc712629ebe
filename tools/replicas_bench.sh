#!/usr/bin/env bash
# Several replicas over one PostgreSQL, on a million-row fraud list: what the README's
# "Several replicas" figures come from.
#
#   cargo build --profile ci --bin banchi --example gen_orders
#   tools/replicas_bench.sh [ROWS (1000000)] [EDITS (1000)]
#
# Starts its own PostgreSQL (Debian's; as root it runs as `postgres`) in a temp dir, imports
# gen_orders' synthetic list (`banchi store import`: the import and the first snapshot build
# are timed), starts two replicas (start → ready each: the second loads the snapshot), reads
# their RSS and the store's size, then makes EDITS adds on replica A and times each until
# replica B grades the new entry `danger` (p50, p99, max, from before the POST on A).
# Addresses are invented flats; nothing here is a real person's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
edits=${2:-1000}
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${BANCHI:-$target/ci/banchi}"
gen="${GEN_ORDERS:-$target/ci/examples/gen_orders}"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/banchi-replicas.XXXXXX)
chmod 755 "$dir"
pids=()
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir "$dir/pg"
[ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
as_pg "$pgbin/initdb" -D "$dir/pg/data" -U banchi_owner --auth=trust -E UTF8 --locale=C >/dev/null
pgport=$(free_port)
as_pg "$pgbin/postgres" -D "$dir/pg/data" -p "$pgport" -k "$dir/pg" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=256MB >"$dir/pg.log" 2>&1 &
pids+=($!)
until "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport"; do sleep 0.1; done
export BANCHI_DATABASE_URL="postgresql://banchi_owner@127.0.0.1:$pgport/postgres?sslmode=disable"

"$gen" --orders 0 --fraud "$rows" --dir "$dir" >/dev/null
"$bin" store migrate
echo "== import ($rows rows) and the first snapshot build"
"$bin" store import "$dir/fraud.csv" --list fraud --by bench

export BANCHI_ADMIN_TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BANCHI_SCREEN_TOKEN="$BANCHI_ADMIN_TOKEN-s"
# Starts a replica on port $1 (its pid appended to $dir/replicas) and prints start → ready.
start_replica() {
    local port=$1 start
    start=$(date +%s.%N)
    BANCHI_LOG=warn "$bin" serve --store postgres --listen "127.0.0.1:$port" \
        >/dev/null 2>>"$dir/replica-$port.log" &
    echo $! >>"$dir/replicas"
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.05; done
    python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')"
}
pa=$(free_port); pb=$(free_port)
ta=$(start_replica "$pa"); tb=$(start_replica "$pb")
pids+=($(cat "$dir/replicas"))
echo "== start → ready: replica A $ta s, replica B $tb s (each loads the stored snapshot)"
for p in "${pids[@]:1}"; do
    echo "   RSS pid $p: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$p/status)"
done
"$bin" store status | sed 's/^/   /'

echo "== $edits edits on A, each timed until B grades it danger"
python3 - "$pa" "$pb" "$edits" <<'PY'
import http.client, json, os, sys, time
pa, pb, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tok = os.environ["BANCHI_ADMIN_TOKEN"]
hdr = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
a = http.client.HTTPConnection("127.0.0.1", pa)
b = http.client.HTTPConnection("127.0.0.1", pb)
def call(c, path, body):
    c.request("POST", path, json.dumps(body), hdr)
    r = c.getresponse()
    return r.status, json.loads(r.read())
lat = []
for i in range(n):
    addr = f"大阪府大阪市北区梅田3-1-1 架空タワー{10000 + i}号室"
    t0 = time.perf_counter()
    st, _ = call(a, "/v1/lists/fraud/entries", {"address": addr, "reason": "chargeback"})
    assert st == 200, st
    while True:
        st, v = call(b, "/v1/screen", {"address": addr})
        if (v.get("fraud") or {}).get("grade") == "danger":
            break
        if time.perf_counter() - t0 > 10:
            sys.exit(f"edit {i} not in force on B after 10 s")
        time.sleep(0.001)
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"   edit on A in force on B: p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1]:.1f} ms ({n} edits)")
PY
for p in "${pids[@]:1}"; do
    echo "   RSS after the edits, pid $p: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$p/status)"
done
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
