#!/usr/bin/env bash
# End-to-end processor throughput (issue 3): the posting emulation fills the three Pinterest
# streams of a broker (its own process, free loopback port, stopped by pid), then
# `pinstream run topologies/pinterest.json --once` cleans and commits everything; prints the
# records/s the processor reports (all three streams together) as one JSON line.
#
#   BUILD=build POSTS=200000 bench/run_processor_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
POSTS=${POSTS:-200000}
work=$(mktemp -d /tmp/pinstream-procbench.XXXXXX)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$BUILD/pinstream" broker --data "$work/broker" --listen 'tcp://127.0.0.1:*' >"$work/broker.out" 2>"$work/broker.err" &
broker_pid=$!
for _ in $(seq 200); do
  [ -s "$work/broker.out" ] && break
  sleep 0.1
done
endpoint=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["endpoint"])' "$work/broker.out")

"$BUILD/pinstream" emulate --broker "$endpoint" --prefix bench --count "$POSTS" --seed 1 --no-progress >"$work/emulate.json"
start=$(date +%s.%N)
PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=bench \
  "$BUILD/pinstream" run topologies/pinterest.json --data "$work/processor" --once >"$work/run.json"
end=$(date +%s.%N)
python3 - "$work/emulate.json" "$work/run.json" "$start" "$end" "$work/broker" <<'PY'
import json, os, sys
emulate = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
secs = float(sys.argv[4]) - float(sys.argv[3])
print(json.dumps({"benchmark": "processor_pinterest_once", "posts": emulate["posts"],
                  "records": run["records"], "rows": run["rows"], "dead_letters": run["dead_letters"],
                  "batches": run["batches"], "seconds": secs,
                  "records_per_s": run["records"] / secs}))
PY
