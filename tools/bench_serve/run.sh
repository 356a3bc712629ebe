#!/usr/bin/env bash
# Load figures of `banchi serve` on this machine (issue 11), over loopback only:
#   * start to ready on a 1,000,000-entry fraud index (`/readyz` answering 200);
#   * POST /v1/screen with keep-alive, closed loop: wrk (2 threads, 64 connections);
#   * p99 at half that rate, open loop: server/examples/constant_rate.rs (latency from each
#     request's due time, so queueing is counted);
#   * POST /v1/screen/batch: addresses/s with 10,000-order JSON arrays (one connection);
#   (after a warm-up: 5 s of wrk and two batches, not measured);
#   * RSS of the server (VmRSS now, VmHWM peak).
# Each figure is printed with the 1-minute load average read just before it: the machine is
# shared, other jobs change the figures.
#
#   tools/bench_serve/run.sh            # env: BENCH_DIR (default /tmp/banchi-serve-bench),
#                                       # PORT (18080), SECONDS_EACH (15)
# Needs wrk (apt-get install wrk), curl and python3. The 1M list and its index are generated
# once into BENCH_DIR (gen_orders + `banchi index build`, ~15 s); nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
dir=${BENCH_DIR:-/tmp/banchi-serve-bench}
port=${PORT:-18080}
secs=${SECONDS_EACH:-15}
here=tools/bench_serve
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

cargo build --release
cargo build --release --example gen_orders
cargo build --release -p banchi-server --example constant_rate
mkdir -p "$dir"
if [ ! -f "$dir/fraud.idx" ]; then
  "$target/release/examples/gen_orders" --orders 20000 --fraud 1000000 --dir "$dir"
  "$target/release/banchi" index build "$dir/fraud.csv" -o "$dir/fraud.idx"
fi
# One JSON body per order of the synthetic orders file (2 % of them hit the fraud list).
python3 - "$dir" <<'PY'
import csv, json, sys, pathlib
d = pathlib.Path(sys.argv[1])
rows = list(csv.DictReader(open(d / "orders.csv", encoding="utf-8")))
with open(d / "bodies.ndjson", "w", encoding="utf-8") as out:
    for r in rows:
        out.write(json.dumps({"order_id": r["order_id"], "address": r["address"], "name": r["name"]}, ensure_ascii=False) + "\n")
batch = [{"order_id": r["order_id"], "address": r["address"]} for r in rows[:10000]]
(d / "batch.json").write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
PY
token=bench-screen-token-0123456789
umask 077
printf 'admin %s bench\n' "$token" > "$dir/tokens"
load() { cut -d' ' -f1 /proc/loadavg; }
row() { printf '| %s | %s | %s | `%s` |\n' "$1" "$2" "$3" "$4" | tee -a "$dir/results.md"; }
: > "$dir/results.md"
row "what" "figure" "load avg (1 min) before" "command"
echo '| --- | --- | --- | --- |' | tee -a "$dir/results.md"

load_ready=$(load)
start=$(date +%s%N)
BANCHI_LOG=info "$target/release/banchi" serve --fraud "$dir/fraud.idx" \
  --listen "127.0.0.1:$port" --tokens "$dir/tokens" 2> "$dir/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
  kill -0 $pid 2>/dev/null || { echo "the server stopped: see $dir/server.log" >&2; exit 1; }
  sleep 0.005
done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
row "start to ready, 1M-entry index" "${ready_ms} ms" "$load_ready" "banchi serve --fraud fraud.idx (poll /readyz every 5 ms)"

# Warm-up, not measured: the first seconds fault in the index's pages and grow the allocator's
# arenas (a server in production is warm); one 5-second wrk run and two batches.
BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d5s -s "$here/screen.lua" \
  "http://127.0.0.1:$port/v1/screen" > /dev/null
for _ in 1 2; do
  curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @"$dir/batch.json" "http://127.0.0.1:$port/v1/screen/batch"
done

load_wrk=$(load)
wrk_out=$(BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d"${secs}s" --latency \
  -s "$here/screen.lua" "http://127.0.0.1:$port/v1/screen")
echo "$wrk_out" > "$dir/wrk.txt"
rps=$(echo "$wrk_out" | awk '/^Requests\/sec:/ {print int($2)}')
bad=$(echo "$wrk_out" | awk -F'[ =]' '/^wrk_non_2xx=/ {print $2 "+" $4}')
row "POST /v1/screen, keep-alive (wrk)" "${rps} req/s (non-2xx+errors: ${bad})" "$load_wrk" "wrk -t2 -c64 -d${secs}s -s tools/bench_serve/screen.lua"

half=$(( rps / 2 ))
load_rate=$(load)
rate_out=$("$target/release/examples/constant_rate" --addr "127.0.0.1:$port" --path /v1/screen \
  --token $token --bodies "$dir/bodies.ndjson" --rate "$half" --seconds "$secs" --connections 64)
echo "$rate_out" > "$dir/constant_rate.json"
p99=$(python3 - "$dir/constant_rate.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
l = v["latency_us"]
print("p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms; %d/%d ok, %d req/s"
      % (l["p50"] / 1000, l["p99"] / 1000, l["p99_9"] / 1000, l["max"] / 1000,
         v["ok"], v["sent"], v["achieved_rate"]))
PY
)
row "POST /v1/screen at half that rate (${half}/s), open loop" "$p99" "$load_rate" "constant_rate --rate $half --seconds $secs --connections 64"

load_batch=$(load)
# Ten 10,000-order arrays back to back over one keep-alive connection (one curl, ten URLs),
# as a client re-screening a list sends them; a new curl process per batch would add its
# start-up (~7 ms here) to every batch's time.
url="http://127.0.0.1:$port/v1/screen/batch"
batch_start=$(date +%s%N)
codes=$(curl -s $(printf -- '-o /dev/null %.0s' $(seq 10)) -w '%{http_code}\n' \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  --data-binary @"$dir/batch.json" $(printf "$url %.0s" $(seq 10)))
batch_ms=$(( ($(date +%s%N) - batch_start) / 1000000 ))
[ "$(echo "$codes" | grep -c '^200$')" = 10 ] || { echo "a batch answered: $codes" >&2; exit 1; }
total=100000
row "POST /v1/screen/batch (10 × 10,000-order JSON arrays, one connection)" "$(( total * 1000 / batch_ms )) addresses/s" "$load_batch" "curl --data-binary @batch.json URL ×10 (keep-alive, sequential)"

rss=$(awk '/^VmRSS/ {print int($2/1024)}' /proc/$pid/status)
hwm=$(awk '/^VmHWM/ {print int($2/1024)}' /proc/$pid/status)
row "server memory after the runs" "RSS ${rss} MB (peak ${hwm} MB)" "$(load)" "/proc/PID/status VmRSS, VmHWM"
kill -TERM $pid
wait $pid || true
trap - EXIT
echo "results: $dir/results.md (wrk output: $dir/wrk.txt)"
