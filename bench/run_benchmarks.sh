#!/usr/bin/env bash
# Every benchmark with a target in an issue. The stream service (issue 2): PutRecords ingest
# and GetRecords read-back against a broker in its own process over tcp loopback, then the same
# ingest load against Redis Streams (XADD pipelined 100 deep), with the ratio; the HTTP gateway
# against kinesalite (issue 4); the processor's latency (issue 3); the window operator and the
# business questions end to end (issue 5). Every server is started here on a free loopback
# port and stopped by its pid. Figures are JSON lines on stdout (window_bench: Google
# Benchmark's table).
#
#   BUILD=build BENCH_SECONDS=30 PROCESSOR_POSTS=1000000 bench/run_benchmarks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-30}
RECORD_BYTES=${RECORD_BYTES:-700}
work=$(mktemp -d /tmp/pinstream-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT


start_broker "$work"
pids+=("$broker_pid")
echo "bench: broker pid $broker_pid on $endpoint" >&2

ingest=$("$BUILD/bench/stream_bench" ingest --broker "$endpoint" --seconds "$SECS" --shards 4 --record-bytes "$RECORD_BYTES")
echo "$ingest"
readback=$("$BUILD/bench/stream_bench" readback --broker "$endpoint" --records 1000000 --record-bytes "$RECORD_BYTES")
echo "$readback"
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true

# Redis Streams under the same load: 700-byte entries appended to 4 streams, AOF on with
# everysec fsync (acknowledged writes reach the OS, as the broker's WAL writes do).
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  port=$(free_port)
  mkdir -p "$work/redis"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
    --dir "$work/redis" --daemonize no >"$work/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  value=$(head -c "$RECORD_BYTES" /dev/zero | tr '\0' 'x')
  # Sized to run about as long as the pinstream ingest run at Redis's usual rate.
  n=$((SECS * 150000))
  start=$(date +%s.%N)
  redis-benchmark -h 127.0.0.1 -p "$port" -P 100 -c "${REDIS_CLIENTS:-50}" -n "$n" -r 4 -q \
    XADD 'bench:__rand_int__' '*' d "$value" >"$work/redis-bench.out" 2>&1
  end=$(date +%s.%N)
  kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
  python3 - "$ingest" "$n" "$start" "$end" "$work/redis-bench.out" <<'PY'
import json, sys
ingest = json.loads(sys.argv[1])
n, start, end = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
redis_rps = n / (end - start)
text = open(sys.argv[5]).read().replace("\r", "\n")
print(json.dumps({"benchmark": "redis_streams_xadd", "pipeline": 100, "records": n,
                  "seconds": end - start, "records_per_s": redis_rps,
                  "redis_benchmark_says": [l.split(": ")[-1] for l in text.splitlines()
                                           if "requests per second" in l][-1:]}))
print(json.dumps({"benchmark": "ingest_vs_redis", "pinstream_records_per_s": ingest["records_per_s"],
                  "redis_records_per_s": redis_rps, "ratio": ingest["records_per_s"] / redis_rps}))
PY
else
  echo "bench: redis-server/redis-benchmark not installed (./run bench installs them); skipping the comparison" >&2
fi

# The HTTP gateway: Kinesis JSON PutRecords against pinstream and kinesalite, with the ratio.
BUILD="$BUILD" bench/run_gateway_bench.sh

# The processor (issue 3): p50/p99 latency from PutRecords ack to the row being committed, at a
# steady 20,000 records/s through topologies/pinterest.json (its own broker and processor).
BUILD="$BUILD" BENCH_SECONDS="$SECS" bench/run_processor_latency_bench.sh

# Windowed state (issue 5): a windowed count by 10,000 keys on 1-second tumbling windows through
# the operator alone (records/s), and the state commit of a micro-batch (commit_us).
"$BUILD/bench/window_bench"

# The business questions end to end (issue 5): topologies/pinterest.json over 1,000,000 posts,
# nearly all distinct, then with the original script's draws (most posts repeated).
BUILD="$BUILD" POSTS="${PROCESSOR_POSTS:-1000000}" MAX_IND=99999999 bench/run_processor_bench.sh
BUILD="$BUILD" POSTS="${PROCESSOR_POSTS:-1000000}" bench/run_processor_bench.sh

# SQL over the tables (issue 16): the eight questions of queries/ over the tables of 1,000,000
# posts, each timed (target: under a second), virtual tables against tables loaded into SQLite.
BUILD="$BUILD" POSTS="${PROCESSOR_POSTS:-1000000}" bench/run_sql_bench.sh

# The archive (issue 16): `pinstream archive --once` of 1,000,000 records of 700 bytes into a
# directory (target: 200,000 records/s) and into s3rver (MB/s).
BUILD="$BUILD" RECORDS="${ARCHIVE_RECORDS:-1000000}" bench/run_archive_bench.sh

# The batch job (issue 16): 1,000,000 posts archived by day, then topologies/pinterest.json as
# the batch job over the archive against the streaming processor over the broker (records/s).
BUILD="$BUILD" POSTS="${BATCH_POSTS:-1000000}" bench/run_batch_bench.sh
