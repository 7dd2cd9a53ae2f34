#!/usr/bin/env bash
# End-to-end processor latency (issue 3): p50/p99 from PutRecords ack to the row being readable
# (its micro-batch committed) at a steady 20,000 records/s over the three Pinterest streams.
# A broker and a processor (`pinstream run topologies/pinterest.json`, commit interval 200 ms
# from the topology) run in their own processes on a free loopback port and are stopped by
# pid; bench/processor_latency_bench paces emulator posts into the broker and prints one JSON
# line (see the driver's header comment for how "readable" is measured).
#
#   BUILD=build BENCH_SECONDS=30 LATENCY_RATE=20000 bench/run_processor_latency_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-30}
RATE=${LATENCY_RATE:-20000}
PREFIX=latbench
TOPOLOGY=topologies/pinterest.json
# The driver bounds each commit's duration by the gap to the next batch minus the interval.
interval_ms=$(grep -o '"commit_interval_ms": *[0-9]*' "$TOPOLOGY" | grep -o '[0-9]*$' | head -1)
max_batch=$(grep -o '"max_batch_records": *[0-9]*' "$TOPOLOGY" | grep -o '[0-9]*$' | head -1)
work=$(mktemp -d /tmp/pinstream-latbench.XXXXXX)
broker_pid=""
processor_pid=""
cleanup() {
  if [ -n "$processor_pid" ]; then kill "$processor_pid" 2>/dev/null || true; fi
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker "$work"
echo "latency bench: broker pid $broker_pid on $endpoint" >&2

# The processor lists the shards of its sources when it starts: the streams must exist first.
for kind in pin geo user; do
  "$BUILD/pinstream" stream create "$PREFIX-$kind" --shards 4 --broker "$endpoint" >/dev/null
done
PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX="$PREFIX" \
  "$BUILD/pinstream" run "$TOPOLOGY" --data "$work/processor" --log-level info \
  >"$work/run.json" 2>"$work/run.err" &
processor_pid=$!
# The driver tails the processor's store, so wait until the processor has created it.
for _ in $(seq 200); do
  grep -q 'reading stream=' "$work/run.err" 2>/dev/null && break
  kill -0 "$processor_pid" 2>/dev/null || { cat "$work/run.err" >&2; exit 1; }
  sleep 0.1
done
echo "latency bench: processor pid $processor_pid" >&2

"$BUILD/bench/processor_latency_bench" --broker "$endpoint" --prefix "$PREFIX" \
  --store "$work/processor" --rate "$RATE" --seconds "$SECS" \
  --commit-interval-ms "$interval_ms" --max-batch-records "$max_batch"

# SIGTERM: the processor commits its current batch and exits 0.
kill "$processor_pid"
wait "$processor_pid" || { echo "latency bench: processor failed" >&2; cat "$work/run.err" >&2; exit 1; }
processor_pid=""
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
broker_pid=""
