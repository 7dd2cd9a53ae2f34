#!/usr/bin/env bash
# What metrics cost (issue 17; target: under 2% of throughput), side by side, in alternating
# rounds so that other work on the machine weighs on both alike:
#  - the gateway: PutRecords load (bench/gateway_bench, 500 records of 700 B) against a broker
#    counting everything and scraped every second (/metrics and /monitor/status), and against
#    one started with --no-metrics;
#  - the processor: `run topologies/pinterest.json --once` over POSTS emulated posts, with
#    --metrics (scraped every second) and without, each round into a fresh data directory.
# Servers run on free loopback ports and are stopped by pid. JSON lines on stdout (each round,
# then a summary with the on/off ratios of the median rounds), progress on stderr.
#
#   BUILD=build METRICS_BENCH_ROUNDS=5 POSTS=100000 bench/run_metrics_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
ROUNDS=${METRICS_BENCH_ROUNDS:-5}
SECS=${GATEWAY_BENCH_SECONDS:-10}
POSTS=${POSTS:-100000}
DRIVER="$BUILD/bench/gateway_bench"
work=$(mktemp -d /tmp/pinstream-metrics-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# scrape_every_second URL...: reads the pages once a second, as Prometheus and the page would.
scrape_every_second() {
  while true; do
    for u in "$@"; do curl -s -o /dev/null "$u" || true; done
    sleep 1
  done
}

# gateway DIR FLAG...: a broker with its gateway on a free port; sets gw_pid and gw_url.
gateway() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$BUILD/pinstream" broker --data "$dir/data" --listen 'tcp://127.0.0.1:*' --http 127.0.0.1:0 \
    "$@" >"$dir/ready" 2>"$dir/err" &
  gw_pid=$!
  pids+=("$gw_pid")
  for _ in $(seq 300); do [ -s "$dir/ready" ] && break; sleep 0.1; done
  gw_url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["http"])' \
    "$dir/ready")
  "$DRIVER" create --url "$gw_url" --stream bench-http --shards 4 >&2
}

results="$work/results.jsonl"

# --- the gateway ------------------------------------------------------------------------------
gateway "$work/gw-on"
on_url=$gw_url on_pid=$gw_pid
scrape_every_second "$on_url/metrics" "$on_url/monitor/status" &
pids+=($!)
gateway "$work/gw-off" --no-metrics
off_url=$gw_url off_pid=$gw_pid
for round in $(seq "$ROUNDS"); do
  echo "metrics bench: gateway round $round of $ROUNDS" >&2
  for mode in on off; do
    url=$on_url pid=$on_pid
    [ "$mode" = off ] && url=$off_url pid=$off_pid
    before=$(cpu_seconds "$pid")
    out=$("$DRIVER" put --url "$url" --label "gateway_metrics_$mode" --stream bench-http \
      --shards 4 --connections 8 --seconds "$SECS" --batch 500 --record-bytes 700)
    after=$(cpu_seconds "$pid")
    python3 -c 'import json, sys
r = json.loads(sys.argv[1]); r["server_cpu_s"] = round(float(sys.argv[3]) - float(sys.argv[2]), 2)
r["records_per_cpu_s"] = round(r["records"] / r["server_cpu_s"]) if r["server_cpu_s"] else None
print(json.dumps(r))' "$out" "$before" "$after" | tee -a "$results"
  done
done

# --- the processor ----------------------------------------------------------------------------
mkdir -p "$work/source"
start_broker "$work/source"
pids+=("$broker_pid")
"$BUILD/pinstream" emulate --broker "$endpoint" --count "$POSTS" --seed 1 --max-ind 99999999 \
  --no-progress >/dev/null
records=$((POSTS * 3))
for round in $(seq "$ROUNDS"); do
  echo "metrics bench: processor round $round of $ROUNDS" >&2
  for mode in on off; do
    dir="$work/run-$mode-$round"
    flags=()
    [ "$mode" = on ] && flags=(--metrics 127.0.0.1:0)
    start=$(date +%s.%N)
    PINSTREAM_BROKER="$endpoint" "$BUILD/pinstream" run topologies/pinterest.json --data "$dir" \
      --once "${flags[@]}" >"$dir.out" 2>"$dir.err" &
    run_pid=$!
    scraper=""
    if [ "$mode" = on ]; then
      for _ in $(seq 300); do [ -s "$dir.out" ] && break; sleep 0.05; done
      url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["metrics"])' \
        "$dir.out")
      scrape_every_second "$url" "${url%/metrics}/monitor/status" &
      scraper=$!
    fi
    wait "$run_pid"
    end=$(date +%s.%N)
    [ -n "$scraper" ] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
    python3 -c 'import json, sys
cpu = json.loads(open(sys.argv[5]).read().splitlines()[-1])["cpu_seconds"]
records, seconds = int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3])
print(json.dumps({"target": "processor_metrics_" + sys.argv[1], "records": records,
                  "seconds": round(seconds, 3), "records_per_s": round(records / seconds),
                  "cpu_s": cpu, "records_per_cpu_s": round(records / cpu)}))' \
      "$mode" "$records" "$start" "$end" "$dir.out" | tee -a "$results"
    rm -rf "$dir"
  done
done

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def median(target, field):
    return statistics.median(r[field] for r in runs if r["target"] == target)
out = {"benchmark": "metrics_overhead", "target_max_cost": 0.02}
for what in ("gateway", "processor"):
    on, off = median(what + "_metrics_on", "records_per_s"), median(what + "_metrics_off", "records_per_s")
    con = median(what + "_metrics_on", "records_per_cpu_s")
    coff = median(what + "_metrics_off", "records_per_cpu_s")
    # Records per CPU-second of the server hardly move with other work on the machine.
    out[what] = {"median_records_per_s_on": on, "median_records_per_s_off": off,
                 "ratio_on_off": round(on / off, 4), "cost": round(1 - on / off, 4),
                 "median_records_per_cpu_s_on": con, "median_records_per_cpu_s_off": coff,
                 "cpu_cost": round(1 - con / coff, 4)}
print(json.dumps(out))
PY
