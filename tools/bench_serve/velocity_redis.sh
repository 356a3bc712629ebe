#!/usr/bin/env bash
# POST /v1/screen with the velocity window in Redis (`--velocity redis`) against the
# in-process window, paired in one run (issue 23): the same binary, orders and wrk settings;
# rounds alternate memory → redis → memory → …, each server started fresh and warmed up
# (3 s of wrk, not measured). Redis (Debian's redis-server, no persistence) runs on this
# machine on loopback, like the server and wrk. Prints each round and the medians' ratio.
#
#   tools/bench_serve/velocity_redis.sh   # env: BENCH_DIR (default /tmp/banchi-velocity-bench),
#                                         # PROFILE (release), PORT (18090), REDIS_PORT (16390),
#                                         # SECONDS_EACH (10), ROUNDS (3)
# Needs wrk, redis-server, curl, python3. The orders (20,000, with names: every order with a
# parsed block is counted) and a 100,000-entry fraud list are generated into BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
dir=${BENCH_DIR:-/tmp/banchi-velocity-bench}
port=${PORT:-18090}
redis_port=${REDIS_PORT:-16390}
secs=${SECONDS_EACH:-10}
rounds=${ROUNDS:-3}
here=tools/bench_serve
for tool in wrk redis-server curl; do
  command -v $tool >/dev/null || { echo "$tool is missing: apt-get install wrk redis-server curl" >&2; exit 2; }
done

cargo build --profile "$profile" -p banchi-cli --bin banchi
cargo build --profile "$profile" --example gen_orders
bin="$target/$profile/banchi"
mkdir -p "$dir"
if [ ! -f "$dir/fraud.idx" ]; then
  "$target/$profile/examples/gen_orders" --orders 20000 --fraud 100000 --dir "$dir"
  "$bin" index build "$dir/fraud.csv" -o "$dir/fraud.idx"
fi
python3 - "$dir" <<'PY'
import csv, json, sys, pathlib
d = pathlib.Path(sys.argv[1])
rows = list(csv.DictReader(open(d / "orders.csv", encoding="utf-8")))
with open(d / "bodies.ndjson", "w", encoding="utf-8") as out:
    for r in rows:
        out.write(json.dumps({"order_id": r["order_id"], "address": r["address"], "name": r["name"]}, ensure_ascii=False) + "\n")
PY
token=bench-screen-token-0123456789
umask 077
printf 'screen %s bench\n' "$token" > "$dir/tokens"
[ -f "$dir/velocity.key" ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/velocity.key"

redis_dir=$(mktemp -d)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" \
  --loglevel warning > "$dir/redis.log" 2>&1 &
redis_pid=$!
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  kill -TERM "$redis_pid" 2>/dev/null || true
  rm -rf "$redis_dir"
}
trap cleanup EXIT
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.05; done

load() { cut -d' ' -f1 /proc/loadavg; }
# One round: start the server with these flags, warm up, measure; prints req/s.
measure() {
  BANCHI_LOG=warn BANCHI_VELOCITY_URL="redis://127.0.0.1:$redis_port" "$bin" serve \
    --fraud "$dir/fraud.idx" --listen "127.0.0.1:$port" --tokens "$dir/tokens" "$@" \
    2>> "$dir/server.log" &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "the server stopped: see $dir/server.log" >&2; exit 1; }
    sleep 0.02
  done
  BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d3s -s "$here/screen.lua" \
    "http://127.0.0.1:$port/v1/screen" > /dev/null
  local out
  out=$(BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d"${secs}s" --latency \
    -s "$here/screen.lua" "http://127.0.0.1:$port/v1/screen")
  local unavailable
  unavailable=$(curl -s "http://127.0.0.1:$port/metrics" \
    | awk '/^banchi_velocity_unavailable_total / {print $2}')
  kill -TERM $pid; wait $pid || true; pid=
  local rps bad p99
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print int($2)}')
  bad=$(echo "$out" | awk -F'[ =]' '/^wrk_non_2xx=/ {print $2 + $4}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  [ "$bad" = 0 ] || { echo "wrk saw $bad non-2xx answers or errors" >&2; exit 1; }
  [ "${unavailable:-0}" = 0 ] || { echo "$unavailable orders answered velocity_unavailable" >&2; exit 1; }
  echo "$rps $p99"
}

: > "$dir/server.log"
echo "| round | in-process req/s (p99) | Redis req/s (p99) | load avg before |"
echo "| --- | --- | --- | --- |"
mem=(); red=()
for r in $(seq "$rounds"); do
  l=$(load)
  set -- $(measure); m=$1; mp=$2
  set -- $(measure --velocity redis --velocity-key "$dir/velocity.key"); x=$1; xp=$2
  mem+=("$m"); red+=("$x")
  echo "| $r | $m ($mp) | $x ($xp) | $l |"
done
keys=$(redis-cli -p "$redis_port" dbsize)
no_ttl=$(redis-cli -p "$redis_port" --scan --pattern 'banchi:velocity:*' | head -200 \
  | while read -r k; do redis-cli -p "$redis_port" ttl "$k"; done | grep -c '^-1$' || true)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mm=$(median "${mem[@]}"); rm_=$(median "${red[@]}")
echo
echo "median: in-process $mm req/s, Redis $rm_ req/s, ratio $(python3 -c "print(f'{$rm_/$mm:.2f}')")"
echo "Redis holds $keys keys (delivery points), none of 200 sampled without a TTL: $([ "$no_ttl" = 0 ] && echo yes || echo "no: $no_ttl")"
