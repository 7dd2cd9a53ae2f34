#!/usr/bin/env bash
# The HTTP gateway benchmark (issue 4): Kinesis JSON PutRecords (500 records of 700 bytes,
# base64) from several keep-alive connections against `pinstream broker --http`, and the same
# driver and load against kinesalite (the Kinesis emulator, installed from the npm registry into
# a scratch folder, in memory), with the ratio. Both servers run on free loopback ports and are
# stopped by their pids. Figures are JSON lines on stdout, progress on stderr.
#
# The loads alternate, ROUNDS times each, so that other work on the machine weighs on both
# alike; the summary compares the best round of each, and also records per CPU-second of each
# server, which other work on the machine hardly moves.
#
#   BUILD=build GATEWAY_BENCH_SECONDS=10 GATEWAY_BENCH_ROUNDS=3 bench/run_gateway_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
SECS=${GATEWAY_BENCH_SECONDS:-10}
ROUNDS=${GATEWAY_BENCH_ROUNDS:-3}
CONNECTIONS=${GATEWAY_BENCH_CONNECTIONS:-8}
SHARDS=${GATEWAY_BENCH_SHARDS:-4}
RECORD_BYTES=${RECORD_BYTES:-700}
DRIVER="$BUILD/bench/gateway_bench"
work=$(mktemp -d /tmp/pinstream-gateway-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# run_load LABEL URL PID: one round of load; prints the driver's JSON with the server's CPU time.
run_load() {
  local before after out
  before=$(cpu_seconds "$3")
  out=$("$DRIVER" put --url "$2" --label "$1" --stream bench-http --shards "$SHARDS" \
    --connections "$CONNECTIONS" --seconds "$SECS" --batch 500 --record-bytes "$RECORD_BYTES")
  after=$(cpu_seconds "$3")
  python3 -c 'import json, sys
r = json.loads(sys.argv[1]); r["server_cpu_s"] = float(sys.argv[3]) - float(sys.argv[2])
print(json.dumps(r))' "$out" "$before" "$after"
}

# --- pinstream: the broker with its gateway on a free port; the ready line names the URL ------
exec {ready_fd}< <(exec "$BUILD/pinstream" broker --data "$work/broker" \
  --listen 'tcp://127.0.0.1:*' --http 127.0.0.1:0 2>"$work/broker.err")
broker_pid=$!
pids+=("$broker_pid")
if ! read -r -t 60 -u "$ready_fd" ready; then
  echo "gateway bench: the broker did not start" >&2
  cat "$work/broker.err" >&2
  exit 1
fi
url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["http"])' "$ready")
echo "gateway bench: pinstream broker pid $broker_pid, gateway $url" >&2
"$DRIVER" create --url "$url" --stream bench-http --shards "$SHARDS" >&2

# --- kinesalite: same driver, same stream shape ----------------------------------------------
kinesalite_url=""
if command -v npm >/dev/null && command -v node >/dev/null; then
  echo "gateway bench: installing kinesalite from the npm registry into $work/kinesalite" >&2
  npm install --prefix "$work/kinesalite" --no-audit --no-fund --loglevel=error kinesalite >&2
  port=$(free_port)
  node "$work/kinesalite/node_modules/kinesalite/cli.js" --port "$port" --createStreamMs 0 \
    --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 1000 >"$work/kinesalite.log" 2>&1 &
  kinesalite_pid=$!
  pids+=("$kinesalite_pid")
  kinesalite_url="http://127.0.0.1:$port"
  echo "gateway bench: kinesalite pid $kinesalite_pid on $kinesalite_url" >&2
  # `create` retries while nothing listens yet, then waits for the stream to be ACTIVE.
  "$DRIVER" create --url "$kinesalite_url" --stream bench-http --shards "$SHARDS" >&2
else
  echo "gateway bench: node/npm not installed (./run bench installs them); no kinesalite" >&2
fi

# --- the load, alternating --------------------------------------------------------------------
results="$work/results.jsonl"
for round in $(seq "$ROUNDS"); do
  echo "gateway bench: round $round of $ROUNDS" >&2
  run_load pinstream "$url" "$broker_pid" | tee -a "$results"
  if [ -n "$kinesalite_url" ]; then
    run_load kinesalite "$kinesalite_url" "$kinesalite_pid" | tee -a "$results"
  fi
done
kill "$broker_pid"
[ -n "$kinesalite_url" ] && kill "$kinesalite_pid"
wait 2>/dev/null || true

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def summary(target):
    rs = [r for r in runs if r["target"] == target]
    if not rs:
        return None
    rps = [r["records_per_s"] for r in rs]
    cpu = sum(r["server_cpu_s"] for r in rs)
    return {"best_records_per_s": max(rps), "median_records_per_s": statistics.median(rps),
            "records_per_cpu_s": sum(r["records"] for r in rs) / cpu if cpu else None,
            "p50_batch_latency_us": statistics.median(r["batch_latency_us"]["p50"] for r in rs),
            "p99_batch_latency_us": max(r["batch_latency_us"]["p99"] for r in rs)}
p, k = summary("pinstream"), summary("kinesalite")
out = {"benchmark": "gateway_vs_kinesalite", "rounds": len([r for r in runs
                                                            if r["target"] == "pinstream"]),
       "pinstream": p, "kinesalite": k, "target_ratio": 25}  # issue 15 (issue 4 set 20)
if p and k:
    out["ratio_best_records_per_s"] = p["best_records_per_s"] / k["best_records_per_s"]
    out["ratio_median_records_per_s"] = p["median_records_per_s"] / k["median_records_per_s"]
    if p["records_per_cpu_s"] and k["records_per_cpu_s"]:
        out["ratio_records_per_cpu_s"] = p["records_per_cpu_s"] / k["records_per_cpu_s"]
print(json.dumps(out))
PY
