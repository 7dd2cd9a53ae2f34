#!/usr/bin/env bash
# One processor reading Kinesis (issue 18): the same POSTS emulated posts read by
# `pinstream run topologies/pinterest.json --once` from pinstream's broker (ZeroMQ), from
# kinesalite over AWS's protocol, and from pinstream's own gateway as a Kinesis endpoint (the same
# topology with every source's "broker" replaced by "kinesis": {"endpoint": URL}); then what a
# repartition stage costs: topologies/pinterest_scaled.json (the questions repartitioned through
# four streams) as one instance over the gateway, against pinterest.json over the gateway, the
# same posts (two `--once` rounds: the second reads what the first repartitioned). Each prints
# records/s of wall time (records read from the three post streams) and CPU seconds per million
# of them (the processor's own, from its last JSON line); the Kinesis reads are paced as AWS's
# rules say (5 GetRecords/s and 2 MB/s per shard), which bounds them, not the CPU. Servers on
# free loopback ports, stopped by pid.
#
#   BUILD=build POSTS=100000 bench/run_kinesis_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
POSTS=${POSTS:-100000}
KINESALITE=${KINESALITE:-$BUILD/kinesalite}
work=$(mktemp -d /tmp/pinstream-kinesis-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -d "$KINESALITE/node_modules" ] || tests/kinesis/kinesalite/install.sh "$KINESALITE" >&2

# kinesis_topology URL OUT: topologies/pinterest.json with every source on the Kinesis endpoint.
kinesis_topology() {
  python3 - "$1" "$2" <<'PY'
import json, re, sys
text = re.sub(r"(?m)^\s*//.*$", "", open("topologies/pinterest.json").read())
t = json.loads(text)
t.pop("broker", None)
for s in t["sources"].values():
    s.pop("broker", None)
    s["kinesis"] = {"endpoint": sys.argv[1], "region": "us-east-1"}
json.dump(t, open(sys.argv[2], "w"), indent=1)
PY
}

# timed LABEL TOPOLOGY ENV...: one `run --once` into a fresh directory; prints its figures.
timed() {
  local label=$1 topology=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  env "$@" "$BUILD/pinstream" run "$topology" --data "$work/run-$label" --once \
    >"$work/$label.out" 2>"$work/$label.err"
  end=$(date +%s.%N)
  python3 -c 'import json, sys
r = json.loads(open(sys.argv[2]).read().splitlines()[-1])
seconds = float(sys.argv[4]) - float(sys.argv[3])
print(json.dumps({"benchmark": "kinesis_source", "source": sys.argv[1], "records": r["records"],
                  "seconds": round(seconds, 3), "records_per_s": round(r["records"] / seconds),
                  "cpu_s_per_million_records": round(r["cpu_seconds"] / r["records"] * 1e6, 2)}))' \
    "$label" "$work/$label.out" "$start" "$end"
}

start_broker "$work" --http 127.0.0.1:0
pids+=("$broker_pid")
gateway=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["http"])' \
  "$work/broker.out")
port=$(free_port)
node "$KINESALITE/node_modules/kinesalite/cli.js" --port "$port" --createStreamMs 0 \
  --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 1000 >"$work/kinesalite.log" 2>&1 &
pids+=($!)
kinesalite="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
echo "kinesis bench: emulating $POSTS posts into the broker (prefix zmq, gw) and kinesalite" >&2
"$BUILD/pinstream" emulate --broker "$endpoint" --prefix zmq --count "$POSTS" --seed 1 \
  --max-ind 99999999 --no-progress >/dev/null
"$BUILD/pinstream" emulate --kinesis-endpoint "$gateway" --prefix gw --count "$POSTS" --seed 1 \
  --max-ind 99999999 --no-progress >/dev/null
"$BUILD/pinstream" emulate --kinesis-endpoint "$kinesalite" --prefix kl --count "$POSTS" \
  --seed 1 --max-ind 99999999 --no-progress >/dev/null
kinesis_topology "$kinesalite" "$work/kinesalite.json"
kinesis_topology "$gateway" "$work/gateway.json"
timed broker topologies/pinterest.json PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=zmq
timed gateway_as_kinesis "$work/gateway.json" PINSTREAM_PREFIX=gw
timed kinesalite "$work/kinesalite.json" PINSTREAM_PREFIX=kl

# The repartition stage: pinterest_scaled.json, one instance, over the gateway's gw streams.
start=$(date +%s.%N)
cpu=0
for round in 1 2; do
  PINSTREAM_KINESIS_ENDPOINT="$gateway" PINSTREAM_PREFIX=gw "$BUILD/pinstream" run \
    topologies/pinterest_scaled.json --data "$work/run-scaled" --once \
    >"$work/scaled-$round.out" 2>"$work/scaled-$round.err"
  cpu=$(python3 -c 'import json,sys; print(float(sys.argv[1]) + json.loads(open(sys.argv[2]).read().splitlines()[-1])["cpu_seconds"])' \
    "$cpu" "$work/scaled-$round.out")
done
end=$(date +%s.%N)
python3 -c 'import json, sys
records = 3 * int(sys.argv[1])
seconds = float(sys.argv[3]) - float(sys.argv[2])
print(json.dumps({"benchmark": "kinesis_source", "source": "gateway_as_kinesis_repartitioned",
                  "records": records, "seconds": round(seconds, 3),
                  "records_per_s": round(records / seconds),
                  "cpu_s_per_million_records": round(float(sys.argv[4]) / records * 1e6, 2)}))' \
  "$POSTS" "$start" "$end" "$cpu"
