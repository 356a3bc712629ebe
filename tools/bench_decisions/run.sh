#!/usr/bin/env bash
# Issue 24's figures, over loopback on this machine:
#   * POST /v1/screen with decisions recorded (SQLite beside the list; with STORE=postgres,
#     a private PostgreSQL started in the bench folder) against the same server without:
#     paired wrk runs (-t2 -c64), A and B alternated ROUNDS times, medians and their ratio;
#   * the review queue with 100,000 open reviews: GET /v1/reviews and the CS page
#     /admin/reviews (logged in), each timed 20 times with curl, median and max.
#
#   tools/bench_decisions/run.sh     # env: BENCH_DIR (/tmp/banchi-decisions-bench), PORT
#                                    # (18090), SECONDS_EACH (10), ROUNDS (3), STORE (sqlite)
# Uses the ci-profile build (PROFILE=release for the shipped one); needs wrk,
# curl, python3 (and initdb/pg_ctl of PostgreSQL 15 for STORE=postgres). Nothing downloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=${PROFILE:-ci}
target=${CARGO_TARGET_DIR:-target}/$profile
dir=${BENCH_DIR:-/tmp/banchi-decisions-bench}
port=${PORT:-18090}
secs=${SECONDS_EACH:-10}
rounds=${ROUNDS:-3}
store=${STORE:-sqlite}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --profile "$profile" --workspace --examples -q
mkdir -p "$dir"
if [ ! -f "$dir/orders.csv" ]; then
  "$target/examples/gen_orders" --orders 20000 --fraud 100000 --dir "$dir"
fi
python3 - "$dir" <<'PY'
import csv, json, sys, pathlib
d = pathlib.Path(sys.argv[1])
rows = list(csv.DictReader(open(d / "orders.csv", encoding="utf-8")))
with open(d / "bodies.ndjson", "w", encoding="utf-8") as out:
    for r in rows:
        out.write(json.dumps({"order_id": r["order_id"], "address": r["address"], "name": r["name"]}, ensure_ascii=False) + "\n")
PY
token=bench-admin-token-0123456789
umask 077
printf 'admin %s bench\n' "$token" > "$dir/tokens"
printf '[decisions]\nenabled = true\npath = "%s/decisions.sqlite"\n' "$dir" > "$dir/on.toml"
: > "$dir/off.toml"
load() { cut -d' ' -f1 /proc/loadavg; }

pg_args=()
pg_stop() { :; }
if [ "$store" = postgres ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
  # PostgreSQL refuses to run as root: as root, its files and socket belong to `postgres`.
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  rm -rf "$dir/pg" "$dir/pgsock"; mkdir -p "$dir/pg" "$dir/pgsock"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg" "$dir/pgsock"
  as_pg "$pgbin/initdb" -D "$dir/pg" -U banchi --auth=trust -E UTF8 >/dev/null
  pgport=$((port + 1))
  as_pg "$pgbin/pg_ctl" -D "$dir/pg" -o "-p $pgport -k $dir/pgsock -c listen_addresses=''" -l "$dir/pgsock/pg.log" -w start >/dev/null
  pg_stop() { as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null || true; }
  export BANCHI_DATABASE_URL="postgresql://banchi@localhost:$pgport/postgres?host=$dir/pgsock&sslmode=disable"
  "$target/banchi" store migrate >/dev/null
  "$target/banchi" store import "$dir/fraud.csv" --list fraud >/dev/null
  pg_args=(--store postgres)
fi
lists=(--fraud "$dir/fraud.csv")
[ "$store" = postgres ] && lists=()

serve() { # $1: config file
  "$target/banchi" serve "${lists[@]}" "${pg_args[@]}" --config "$1" --listen "127.0.0.1:$port" \
    --tokens "$dir/tokens" 2>> "$dir/server.log" &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "the server stopped: see $dir/server.log" >&2; exit 1; }
    sleep 0.05
  done
}
stop() { kill -TERM $pid; wait $pid || true; }
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; pg_stop' EXIT
run_wrk() { # a new order id on every request, as shops send them
  BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d"${secs}s" \
    -s tools/bench_decisions/screen_unique.lua "http://127.0.0.1:$port/v1/screen" |
    awk '/^Requests\/sec:/ {print int($2)}'
}
off=(); on=()
for r in $(seq "$rounds"); do
  for mode in off on; do
    serve "$dir/$mode.toml"
    BODIES="$dir/bodies.ndjson" TOKEN=$token wrk -t2 -c64 -d3s -s tools/bench_serve/screen.lua \
      "http://127.0.0.1:$port/v1/screen" > /dev/null   # warm-up
    l=$(load); rps=$(run_wrk); stop
    echo "round $r decisions=$mode: $rps req/s (load $l)"
    if [ $mode = off ]; then off+=("$rps"); else on+=("$rps"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_off=$(median "${off[@]}"); m_on=$(median "${on[@]}")
echo "POST /v1/screen ($store): without decisions median $m_off req/s [${off[*]}], with median $m_on req/s [${on[*]}], ratio $(python3 -c "print(round($m_on/$m_off, 3))")"

# The queue with 100,000 open reviews (SQLite): written straight into the store's file.
if [ "$store" = sqlite ]; then
  python3 - "$dir/decisions.sqlite" <<'PY'
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM decisions")
detail = json.dumps({"address": {"prefecture": "東京都", "city": "中央区", "town": "銀座", "chome": 4,
                     "banchi": "6", "go": "16"}, "reasons": [{"code": "fraud_caution", "points": 50,
                     "ja": "過去の不正利用と同じ番地です", "en": "same block"}]}, ensure_ascii=False)
rows = ((f"Q-{i:07d}", 1_700_000_000_000 + i, f"東京都中央区銀座4-6-{i % 50 + 1} 架空ハイツ{i % 900 + 100}",
         f"13102|銀座|4|6|{i % 50 + 1}", 50, "review", "caution", None, "fraud_caution",
         "fraud:F1", "v", None, None, None, detail, "open") for i in range(100_000))
db.executemany("""INSERT INTO decisions (order_id, at, address, key, score, action, fraud_grade,
  forwarder_grade, reasons, entry_ids, lists_version, name, phone, email, detail, review)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
db.commit()
PY
  serve "$dir/on.toml"
  jar="$dir/cookies"; rm -f "$jar"
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/admin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "token=$token" \
    "http://127.0.0.1:$port/admin/login"
  time_it() { # $1: label, rest: curl args
    local label=$1; shift
    for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "$@"; done |
      sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s: median %.1f ms, max %.1f ms (20 runs)\n", l, a[10]*1000, a[NR]*1000}'
  }
  code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "http://127.0.0.1:$port/admin/reviews")
  [ "$code" = 200 ] || { echo "the page answered $code" >&2; exit 1; }
  time_it "GET /v1/reviews?status=open&limit=50, 100,000 open" -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/reviews?status=open&limit=50"
  time_it "GET /admin/reviews (page, 50 orders + counts + candidates + log), 100,000 open" -b "$jar" "http://127.0.0.1:$port/admin/reviews"
  time_it "GET /admin/reviews?grade=caution&reason=fraud_caution, 100,000 open" -b "$jar" "http://127.0.0.1:$port/admin/reviews?grade=caution&reason=fraud_caution"
  stop
fi
