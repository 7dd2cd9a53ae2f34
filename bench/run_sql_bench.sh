#!/usr/bin/env bash
# SQL over the tables (issue 16): the cleaned tables of 1,000,000 posts, nearly all distinct,
# made the way they are made for real (the posting emulation into a broker of its own process on
# a free loopback port, then `pinstream run topologies/pinterest.json --once`), then:
#  - bench/sql_bench: each of the eight queries/*.sql, best of 3, with the virtual tables and
#    with the tables loaded into SQLite's own in-memory tables (one JSON line each);
#  - each question once more through the command line as a user runs it
#    (`pinstream sql "$(cat queries/X.sql)" --data DIR`), wall time, and its rows checked
#    against the q_* table the processor computed.
# DATA=DIR reuses a processor directory made before (then nothing is emulated).
#
#   BUILD=build POSTS=1000000 bench/run_sql_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
POSTS=${POSTS:-1000000}
work=$(mktemp -d /tmp/pinstream-sqlbench.XXXXXX)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

data=${DATA:-}
if [ -z "$data" ]; then
  start_broker "$work"
  "$BUILD/pinstream" emulate --broker "$endpoint" --prefix bench --count "$POSTS" --seed 1 \
    --max-ind 99999999 --no-progress >"$work/emulate.json"
  PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=bench \
    "$BUILD/pinstream" run topologies/pinterest.json --data "$work/processor" --once >/dev/null
  kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
  data="$work/processor"
fi
"$BUILD/pinstream" sql "SELECT (SELECT count(*) FROM pin) AS pin, (SELECT count(*) FROM geo) AS geo,
  (SELECT count(*) FROM user) AS user" --data "$data" | sed 's/^/{"benchmark":"sql_tables","rows":/; s/$/}/'

"$BUILD/bench/sql_bench" --data "$data" --queries queries --repeat 3

for f in queries/q_*.sql; do
  q=$(basename "$f" .sql)
  start=$(date +%s.%N)
  "$BUILD/pinstream" sql "$(cat "$f")" --data "$data" >"$work/$q.sql.jsonl"
  end=$(date +%s.%N)
  "$BUILD/pinstream" table scan "$q" --data "$data" >"$work/$q.table.jsonl"
  python3 - "$q" "$start" "$end" "$work/$q.sql.jsonl" "$work/$q.table.jsonl" <<'PY'
import json, sys
q, start, end, got, want = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = lambda p: sorted(json.dumps(json.loads(l), sort_keys=True) for l in open(p) if l.strip())
print(json.dumps({"benchmark": "sql_cli", "query": q, "seconds": round(end - start, 3),
                  "rows": len(rows(got)), "equals_q_table": rows(got) == rows(want)}))
PY
done
