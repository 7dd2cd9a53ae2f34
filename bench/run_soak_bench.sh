#!/usr/bin/env bash
# The soak benchmark (issue 14): does a long-running processor's store stay bounded while
# records keep flowing? A broker (its own process, free loopback port, stopped by pid), the
# posting emulation at a steady rate with live timestamps and every post distinct, and
# `pinstream run` on topologies/pinterest_live.json (dedup within, a join within a minute,
# one-minute windows) with its windows shortened to WINDOW: dedup "within", history_retention
# and rewind_retention; its output table is keyed by its group (see below). The broker keeps
# records for WINDOW as well. PRELOAD, when set, is LD_PRELOADed into the processor (an
# allocator A/B: PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2).
#
# Every SAMPLE seconds it samples the processor's data directory (du), RocksDB's SST files and
# its estimate of their live data (the processor's --stats-interval lines), the processor's
# RSS, and the broker's directory; prints one JSON line per sample, then a summary: each one's
# peak in every 10 minutes after WARMUP, and its growth per 10 minutes (the slope of those
# peaks, relative to their mean). WARMUP defaults to twice the longest window or 10 minutes,
# whichever is longer: the first WAL files, memtable flushes and compactions take some 10
# minutes at this rate to reach their steady cycle. Target: under 2% per 10 minutes.
#
#   BUILD=build MINUTES=30 RATE=600 WINDOW=2m bench/run_soak_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
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
warmup_s=${WARMUP:-$((2 * window_s > 600 ? 2 * window_s : 600))}
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
# An append table of per-minute windows grows by its output (one row per minute, country and
# category: some 2,700 rows a minute here), which is the data a user asked to keep, not the
# engine's. Keyed by its group, the table keeps each pair's latest minute and the superseded
# versions go after history_retention, so the curve shows only what the engine itself keeps.
topo["tables"]["posts_per_category_per_country_per_minute"] = {"key": ["country", "category"]}
json.dump(topo, sys.stdout, indent=1)
PY

start_broker "$work" --retention "$WINDOW"

# Enough posts for the whole run and then some; the emulator is stopped at the end.
"$BUILD/pinstream" emulate --broker "$endpoint" --prefix soak --timestamps live --rate "$RATE" \
  --count $(((total_s + 600) * RATE / 3)) --max-ind 999999999 --no-progress \
  >"$work/emulate.json" 2>"$work/emulate.err" &
emulate_pid=$!
LD_PRELOAD="${PRELOAD:-}" PINSTREAM_BROKER="$endpoint" PINSTREAM_PREFIX=soak "$BUILD/pinstream" --log-level info run "$work/soak.json" \
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
keys = ["data_dir_bytes", "sst_bytes", "live_data_bytes", "rss_bytes", "broker_dir_bytes"]
# Sizes move in saw teeth (a WAL fills and is dropped, compactions come and go), so a fit over
# the samples swings with where the run stops in a tooth. Bounded means the teeth do not grow:
# the peak of each 10 minutes after the warm-up, and the least-squares slope of those peaks.
spans = []
t = warmup
while t + 600 <= samples[-1]["t_s"] + 1:
    spans.append([s for s in samples if t <= s["t_s"] < t + 600])
    t += 600
def peaks(key):
    return [max(s.get(key) or 0 for s in span) for span in spans]
def growth_per_10min(values):
    n = len(values)
    if n < 2:
        return None
    mx = (n - 1) / 2
    mv = sum(values) / n
    slope = sum((x - mx) * (v - mv) for x, v in enumerate(values)) / sum(
        (x - mx) ** 2 for x in range(n))
    return round(100 * slope / mv, 2) if mv else None
last = samples[-1]
print(json.dumps({
    "benchmark": "soak", "minutes": round(last["t_s"] / 60, 1), "rate": int(sys.argv[3]),
    "window": sys.argv[4], "warmup_s": warmup, "records": last["records"],
    "records_per_s": round(last["records"] / last["t_s"]),
    "growth_pct_per_10min": {k: growth_per_10min(peaks(k)) for k in keys},
    "peak_mb_per_10min": {k: [round(v / 2**20, 1) for v in peaks(k)] for k in keys},
    "final_mb": {k: round((last.get(k) or 0) / 2**20, 1) for k in keys},
    "target_pct_per_10min": 2.0}))
PY
