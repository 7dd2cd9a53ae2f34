#!/usr/bin/env bash
# The archive benchmark (issue 16): fills a stream of a broker (its own process, free loopback
# port, stopped by pid) with RECORDS post-like JSON records of RECORD_BYTES bytes over SHARDS
# shards (bench/archive_bench fill), then times `pinstream archive STREAM --once` into a local
# directory (target: at least 200,000 records/s) and into s3rver (installed from the npm
# registry with tests/archive/s3rver/install.sh, on a free loopback port, stopped by pid).
# ROUNDS runs of each, the output removed between runs; every run is a JSON line on stdout
# (records/s and MB/s from the command's own summary: the archive's time, not the process
# start), then one summary line with the best run of each.
#
#   BUILD=build RECORDS=1000000 ROUNDS=3 bench/run_archive_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
BUILD=${BUILD:-build}
RECORDS=${RECORDS:-1000000}
RECORD_BYTES=${RECORD_BYTES:-700}
SHARDS=${SHARDS:-4}
ROUNDS=${ROUNDS:-3}
STREAM=archive-bench
work=$(mktemp -d /tmp/pinstream-archive-bench.XXXXXX)
broker_pid=""
s3_pid=""
cleanup() {
  for p in "$broker_pid" "$s3_pid"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker "$work"
echo "archive bench: broker pid $broker_pid on $endpoint, filling $RECORDS records" >&2
"$BUILD/bench/archive_bench" fill --broker "$endpoint" --stream "$STREAM" --records "$RECORDS" \
  --record-bytes "$RECORD_BYTES" --shards "$SHARDS"

# one LABEL TARGET [FLAGS...]: one `archive --once` run; prints its figures as a JSON line.
one() {
  local label=$1 to=$2
  shift 2
  "$BUILD/pinstream" archive "$STREAM" --to "$to" --broker "$endpoint" --once "$@" \
    2>>"$work/archive.err" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(json.dumps({"bench": "archive", "to": sys.argv[1], "records": s["records"],
                  "objects": s["objects"], "bytes": s["bytes"], "seconds": round(s["seconds"], 3),
                  "records_per_s": round(s["records"] / s["seconds"]),
                  "mb_per_s": round(s["bytes"] / s["seconds"] / 1e6, 1)}))' "$label"
}

results=()
for round in $(seq "$ROUNDS"); do
  rm -rf "$work/archive"
  results+=("$(one directory "$work/archive")")
  echo "${results[-1]}"
done

# s3rver: its continuation tokens use DES, which OpenSSL 3 keeps in the legacy provider.
if command -v node >/dev/null && tests/archive/s3rver/install.sh "$BUILD/s3rver"; then
  mkdir -p "$work/s3"
  exec {s3_fd}< <(exec node --openssl-legacy-provider \
    "$BUILD/s3rver/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" -a 127.0.0.1 -p 0 --silent \
    --configure-bucket bucket 2>"$work/s3rver.err")
  s3_pid=$!
  line=""
  while read -r -t 30 -u "$s3_fd" line; do
    [[ $line =~ listening\ on\ (127\.0\.0\.1:[0-9]+) ]] && break
  done
  s3_url="http://${BASH_REMATCH[1]}"
  echo "archive bench: s3rver pid $s3_pid at $s3_url" >&2
  for round in $(seq "$ROUNDS"); do
    results+=("$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
      one s3rver "s3://bucket/run-$round" --endpoint-url "$s3_url")")
    echo "${results[-1]}"
  done
else
  echo "archive bench: node/npm missing (./run bench installs them); no s3rver figures" >&2
fi

printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
best = {}
for line in sys.stdin:
    r = json.loads(line)
    if r["to"] not in best or r["records_per_s"] > best[r["to"]]["records_per_s"]:
        best[r["to"]] = r
summary = {"bench": "archive_summary", "target_records_per_s": 200000}
for to, r in best.items():
    summary[to + "_records_per_s"] = r["records_per_s"]
    summary[to + "_mb_per_s"] = r["mb_per_s"]
summary["directory_meets_target"] = best.get("directory", {}).get("records_per_s", 0) >= 200000
print(json.dumps(summary))'
