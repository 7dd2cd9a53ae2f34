#!/usr/bin/env bash
# End-to-end processor throughput (issues 3 and 5): the posting emulation fills the three
# Pinterest streams of a broker (its own process, free loopback port, stopped by pid), then
# `pinstream run topologies/pinterest.json --once` cleans, de-duplicates, joins and answers the
# business questions, committing everything; prints one JSON line: records/s (all three streams
# together), the state the stream operators hold at the end (keys, bytes), the processor's peak
# RSS, and the size of its data directory (tables, state, undo logs).
#
# MAX_IND sets the emulator's draws, randint(0, MAX_IND): 11000 as the original script (about
# 11k distinct posts however many are sent, so most records are repeats that dedup drops), or
# e.g. 99999999 for nearly every post distinct (every record goes through the join and the
# questions).
#
#   BUILD=build POSTS=200000 bench/run_processor_bench.sh
#   BUILD=build POSTS=1000000 MAX_IND=99999999 bench/run_processor_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
POSTS=${POSTS:-200000}
MAX_IND=${MAX_IND:-11000}
work=$(mktemp -d /tmp/pinstream-procbench.XXXXXX)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker "$work"

"$BUILD/pinstream" emulate --broker "$endpoint" --prefix bench --count "$POSTS" --seed 1 \
  --max-ind "$MAX_IND" --no-progress >"$work/emulate.json"
start=$(date +%s.%N)
PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=bench \
  "$BUILD/pinstream" run topologies/pinterest.json --data "$work/processor" --once >"$work/run.json"
end=$(date +%s.%N)
data_bytes=$(du -sb "$work/processor" | cut -f1)
python3 - "$work/emulate.json" "$work/run.json" "$start" "$end" "$data_bytes" <<'PY'
import json, os, sys
emulate = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
secs = float(sys.argv[4]) - float(sys.argv[3])
print(json.dumps({"benchmark": "processor_pinterest_once", "posts": emulate["posts"],
                  "distinct_posts": emulate["distinct_posts"],
                  "records": run["records"], "rows": run["rows"], "dead_letters": run["dead_letters"],
                  "batches": run["batches"], "seconds": round(secs, 2),
                  "records_per_s": round(run["records"] / secs),
                  "state_keys": run["state_keys"], "state_bytes": run["state_bytes"],
                  "max_rss_mb": round(run["max_rss_bytes"] / 2**20, 1),
                  "data_dir_mb": round(int(sys.argv[5]) / 2**20, 1)}))
PY
