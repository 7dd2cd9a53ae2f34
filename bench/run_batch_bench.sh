#!/usr/bin/env bash
# The batch job benchmark (issue 16): POSTS emulated posts into a broker (its own process, free
# loopback port, stopped by pid), archived by day (`archive --partition-by-day --once`); then
# the same posts through topologies/pinterest.json twice: the streaming processor over the
# broker (`run --once`) and the batch job over the archive (`batch --from --to`, every archived
# day). Each prints records/s of wall time and CPU seconds per million records (the command's
# whole process: user + system); the goal is a batch job faster than the streaming run, since
# nothing waits on a broker. JSON lines on stdout, progress on stderr.
#
#   BUILD=build POSTS=1000000 bench/run_batch_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
POSTS=${POSTS:-1000000}
MAX_IND=${MAX_IND:-99999999}
work=$(mktemp -d /tmp/pinstream-batch-bench.XXXXXX)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker "$work"
echo "batch bench: broker pid $broker_pid on $endpoint, emulating $POSTS posts" >&2
"$BUILD/pinstream" emulate --broker "$endpoint" --count "$POSTS" --seed 1 --max-ind "$MAX_IND" \
  --no-progress >/dev/null
"$BUILD/pinstream" archive streaming-demo-pin streaming-demo-geo streaming-demo-user \
  --broker "$endpoint" --to "$work/archive" --partition-by-day --flush-size 10000 --once \
  >"$work/archive.json"
days=$(ls "$work/archive/topics/streaming-demo-pin" | sed 's/^dt=//' | sort)
first=$(echo "$days" | head -1)
last=$(echo "$days" | tail -1)

# timed LABEL CMD...: runs CMD (whose JSON lines on stdout carry "records"), prints its wall
# time, CPU time per million records and records/s.
timed() {
  local label=$1
  shift
  python3 - "$label" "$@" <<'PY'
import json, resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
start = time.monotonic()
out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
wall = time.monotonic() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
records = sum(json.loads(l)["records"] for l in out.decode().splitlines() if l.strip())
print(json.dumps({"benchmark": "batch_vs_streaming", "mode": label, "records": records,
                  "seconds": round(wall, 2), "records_per_s": round(records / wall),
                  "cpu_s_per_million_records": round(cpu / records * 1e6, 2)}))
PY
}
echo "batch bench: streaming run over the broker" >&2
PINSTREAM_BROKER=$endpoint timed streaming "$BUILD/pinstream" run topologies/pinterest.json \
  --data "$work/streaming" --once
echo "batch bench: batch job over the archive ($first .. $last)" >&2
timed batch "$BUILD/pinstream" batch topologies/pinterest.json --input "$work/archive" \
  --data "$work/batch" --from "$first" --to "$last"
