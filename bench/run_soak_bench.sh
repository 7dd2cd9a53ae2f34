#!/usr/bin/env bash
# The soak benchmark (issue 14): does a long-running processor's store stay bounded while
# records keep flowing? A broker (its own process, free loopback port, stopped by pid), the
# posting emulation at a steady rate with live timestamps and every post distinct, and
# `pinstream run` on topologies/pinterest_live.json (dedup within, a join within a minute,
# one-minute windows) with its windows shortened to WINDOW: dedup "within", history_retention
# and rewind_retention. The broker keeps records for WINDOW as well.
#
# Every SAMPLE seconds it samples the processor's data directory (du), RocksDB's SST files and
# its estimate of their live data (the processor's --stats-interval lines), the processor's
# RSS, and the broker's directory; prints one JSON line per sample, then a summary: the growth
# of each per 10 minutes, measured after WARMUP (default: twice the longest window, 2 x
# WINDOW) as the least-squares slope over the samples since, relative to the mean size.
# Target: under 2% per 10 minutes.
#
#   BUILD=build MINUTES=30 RATE=600 WINDOW=2m bench/run_soak_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/start_broker.sh
BUILD=${BUILD:-build}
MINUTES=${MINUTES:-30}
RATE=${RATE:-600}        # records per second (three per post)
WINDOW=${WINDOW:-2m}     # every retention window of the run
SAMPLE=${SAMPLE:-10}     # seconds between samples
work=$(mktemp -d /tmp/pinstream-soak.XXXXXX)
broker_pid=""
emulate_pid=""
run_pid=""
cleanup() {
  for p in "$run_pid" "$emulate_pid" "$broker_pid"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

seconds_of() {  # 90s, 2m, 1h -> seconds
  python3 -c 'import sys; v=sys.argv[1]; print(int(v[:-1]) * {"s":1,"m":60,"h":3600}[v[-1]])' "$1"
}
window_s=$(seconds_of "$WINDOW")
warmup_s=${WARMUP:-$((2 * window_s))}
total_s=$((MINUTES * 60))

# The shipped topology with its windows set to WINDOW (comments stripped: JSON for Python).
python3 - topologies/pinterest_live.json "$WINDOW" >"$work/soak.json" <<'PY'
import json, sys
text, out, i, in_str = open(sys.argv[1]).read(), [], 0, False
while i < len(text):
    c = text[i]
    if in_str:
        out.append(c)
        if c == "\\":
            out.append(text[i + 1]); i += 1
        elif c == '"':
            in_str = False
    elif c == '"':
        in_str = True; out.append(c)
    elif text.startswith("//", i):
        while i < len(text) and text[i] != "\n":
            i += 1
        continue
    else:
        out.append(c)
    i += 1
topo = json.loads("".join(out))
window = sys.argv[2]
topo["name"] = "soak"
topo["history_retention"] = window
topo["rewind_retention"] = window
for pipeline in topo["pipelines"].values():
    for step in pipeline["steps"]:
        if step["op"] == "dedup":
            step["within"] = window
json.dump(topo, sys.stdout, indent=1)
PY

start_broker "$work" --retention "$WINDOW"

# Enough posts for the whole run and then some; the emulator is stopped at the end.
"$BUILD/pinstream" emulate --broker "$endpoint" --prefix soak --timestamps live --rate "$RATE" \
  --count $(((total_s + 600) * RATE / 3)) --max-ind 999999999 --no-progress \
  >"$work/emulate.json" 2>"$work/emulate.err" &
emulate_pid=$!
PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=soak "$BUILD/pinstream" --log-level info run "$work/soak.json" \
  --data "$work/processor" --stats-interval "${SAMPLE}s" >"$work/stats.jsonl" 2>"$work/run.err" &
run_pid=$!

echo "soak: ${MINUTES} min at ${RATE} records/s, windows ${WINDOW}, warm-up ${warmup_s} s; in $work" >&2
start=$(date +%s)
: >"$work/samples.jsonl"
while true; do
  sleep "$SAMPLE"
  now=$(($(date +%s) - start))
  for p in "$broker_pid" "$emulate_pid" "$run_pid"; do
    kill -0 "$p" 2>/dev/null || { echo "soak: process $p died" >&2; tail -20 "$work"/*.err >&2; exit 1; }
  done
  stats=$(tail -1 "$work/stats.jsonl")
  [ -n "$stats" ] || stats='{}'
  data=$(du -sb "$work/processor" | cut -f1)
  broker=$(du -sb "$work/broker" | cut -f1)
  rss=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$run_pid/status")
  records=$( (grep -o 'records=[0-9]*' "$work/run.err" || true) | tail -1 | cut -d= -f2)
  python3 -c '
import json, sys
s = json.loads(sys.argv[1])
print(json.dumps({"t_s": int(sys.argv[2]), "records": int(sys.argv[6] or 0),
                  "data_dir_bytes": int(sys.argv[3]), "sst_bytes": s.get("sst_bytes"),
                  "live_data_bytes": s.get("live_data_bytes"), "rss_bytes": int(sys.argv[4]),
                  "broker_dir_bytes": int(sys.argv[5])}))' \
    "$stats" "$now" "$data" "$rss" "$broker" "${records:-}" | tee -a "$work/samples.jsonl"
  [ "$now" -ge "$total_s" ] && break
done

python3 - "$work/samples.jsonl" "$warmup_s" "$RATE" "$WINDOW" <<'PY'
import json, sys
samples = [json.loads(l) for l in open(sys.argv[1])]
warmup = int(sys.argv[2])
after = [s for s in samples if s["t_s"] >= warmup]
def growth_per_10min(key):
    pts = [(s["t_s"], s[key]) for s in after if s.get(key) is not None]
    if len(pts) < 3:
        return None
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    slope = sum((t - mt) * (v - mv) for t, v in pts) / sum((t - mt) ** 2 for t, _ in pts)
    return round(100 * slope * 600 / mv, 2) if mv else None
keys = ["data_dir_bytes", "sst_bytes", "live_data_bytes", "rss_bytes", "broker_dir_bytes"]
last = samples[-1]
print(json.dumps({
    "benchmark": "soak", "minutes": round(last["t_s"] / 60, 1), "rate": int(sys.argv[3]),
    "window": sys.argv[4], "warmup_s": warmup, "records": last["records"],
    "growth_pct_per_10min": {k: growth_per_10min(k) for k in keys},
    "final_mb": {k: round((last.get(k) or 0) / 2**20, 1) for k in keys},
    "target_pct_per_10min": 2.0}))
PY
