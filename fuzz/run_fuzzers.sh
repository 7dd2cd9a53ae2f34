#!/usr/bin/env bash
# `./run fuzz [SECONDS] [TARGET...]`: builds the libFuzzer targets with clang, ASan and UBSan in
# build-fuzz/, then runs each target (all by default) for SECONDS (default 60), one at a time, on
# a scratch copy of its seed corpus under build-fuzz/fuzz-runs/. Prints per target the executions,
# coverage (cov: edges, ft: features) and corpus size; fails when any target crashed, leaving
# the crashing input beside its log. New inputs stay in the scratch corpus: copy the interesting
# ones (and every crash, once fixed) to fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(base64 wire_frames broker_request put_records_json kinesis_request shard_iterator
  topology csv_reader gateway_request)
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPINSTREAM_FUZZ=ON -DPINSTREAM_BUILD_TESTS=OFF -DPINSTREAM_BUILD_BENCH=OFF >&2
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" \
  --target "${targets[@]/#/fuzz_}" >&2

runs="build-fuzz/fuzz-runs/$(date +%Y%m%d-%H%M%S)"
failed=()
printf '%-18s %8s %12s %8s %8s %8s  %s\n' target seconds execs cov ft corpus result
for t in "${targets[@]}"; do
  dir="$runs/$t"
  mkdir -p "$dir/corpus"
  cp -r "fuzz/corpus/$t/." "$dir/corpus/"
  result=ok
  # One job on one core: the machine is shared. -timeout: an input slower than 10 s is a hang;
  # -rss_limit_mb: the decoders must refuse what would not fit, not allocate it.
  if ! "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1; then
    result="CRASH (see $dir/log)"
    failed+=("$t")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  printf '%-18s %8s %12s %8s %8s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
