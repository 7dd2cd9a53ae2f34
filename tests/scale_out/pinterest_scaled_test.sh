#!/usr/bin/env bash
# scale_out.pinterest_scaled (issue 18): topologies/pinterest_scaled.json as three instances over
# a real Kinesis endpoint equals topologies/pinterest.json run once over the broker, table for
# table: the cleaned tables (pin, geo, user) and all eight q_* answers, read across the three
# data directories as one (`table scan --data 'DIR/instance-*'`).
#
# The posts go through AWS's protocol (`emulate --kinesis-endpoint`) to ENDPOINT: kinesalite
# (npm, pinned; started here on a free loopback port) or pinstream's own gateway (a broker with
# --http). The instances run until the union is complete, while one of them is killed with
# SIGKILL at seeded random moments and started again; the repartition streams carry records at
# least once, and the readers' drop_repeated_ids must make every post count once. Every process is
# stopped by its pid.
#
#   bash tests/scale_out/pinterest_scaled_test.sh build/pinstream SOURCE_DIR KINESALITE_DIR
set -euo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
kinesalite_dir=$3
POSTS=${POSTS:-1200}
KILLS=${KILLS:-4}
seed=${PINSTREAM_TEST_SEED:-20261206}
RANDOM=$seed
work=$(mktemp -d /tmp/pinstream-scaled.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL (seed $seed, PINSTREAM_TEST_SEED): $*" >&2
  for f in "$work"/*.err; do echo "--- $f" >&2; tail -5 "$f" >&2; done
  exit 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset PINSTREAM_API_KEY AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS || true

# A broker with its gateway: the baseline's streams, and a Kinesis endpoint of its own.
"$bin" broker --data "$work/broker" --listen 'tcp://127.0.0.1:*' --http 127.0.0.1:0 \
  >"$work/broker.out" 2>"$work/broker.err" &
pids+=($!)
for _ in $(seq 300); do [ -s "$work/broker.out" ] && break; sleep 0.1; done
broker=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$work/broker.out")
gateway=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$work/broker.out")

port=$(free_port)
node "$kinesalite_dir/node_modules/kinesalite/cli.js" --port "$port" --createStreamMs 0 \
  --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 1000 >"$work/kinesalite.err" 2>&1 &
pids+=($!)
kinesalite="http://127.0.0.1:$port"

# The baseline: the same posts into the broker, pinterest.json once.
"$bin" emulate --broker "$broker" --prefix base --count "$POSTS" --seed 11 --no-progress \
  >/dev/null 2>"$work/emulate-base.err" || fail "emulate into the broker"
PINSTREAM_BROKER=$broker PINSTREAM_PREFIX=base "$bin" run "$src/topologies/pinterest.json" \
  --data "$work/base" --once >/dev/null 2>"$work/base.err" || fail "the baseline run"

TABLES="pin geo user q_category_by_country q_category_by_year q_followers_by_country
  q_category_by_age_group q_median_followers_by_age_group q_users_joined_by_year
  q_median_followers_by_join_year q_median_followers_by_join_year_age_group"
# sorted_scan OUT DATA...: every table's rows, sorted, one file per table under OUT.
sorted_scan() {
  local out=$1
  shift
  mkdir -p "$out"
  local args=()
  for d in "$@"; do args+=(--data "$d"); done
  for t in $TABLES; do
    "$bin" table scan "$t" "${args[@]}" 2>>"$work/scan.err" | sort >"$out/$t" || return 1
  done
}
sorted_scan "$work/want" "$work/base" || fail "scanning the baseline"

# run_scaled NAME ENDPOINT: three instances of pinterest_scaled.json over ENDPOINT, one of them
# killed and restarted KILLS times, until their union equals the baseline.
run_scaled() {
  local name=$1 endpoint=$2
  local prefix="scaled-$name"
  "$bin" emulate --kinesis-endpoint "$endpoint" --prefix "$prefix" --count "$POSTS" --seed 11 \
    --no-progress >/dev/null 2>"$work/emulate-$name.err" || fail "$name: emulate"
  local -a inst=()
  start_instance() {
    PINSTREAM_KINESIS_ENDPOINT=$endpoint PINSTREAM_PREFIX=$prefix "$bin" run \
      "$src/topologies/pinterest_scaled.json" --data "$work/$name/instance-$1" --instance "$1" \
      --instances 3 >>"$work/$name-$1.out" 2>>"$work/$name-$1.err" &
    inst[$1]=$!
    pids+=($!)
  }
  for i in 0 1 2; do start_instance "$i"; done
  for k in $(seq "$KILLS"); do
    sleep "0.$((RANDOM % 9 + 1))"
    local victim=$((RANDOM % 3))
    kill -9 "${inst[$victim]}" 2>/dev/null || true
    wait "${inst[$victim]}" 2>/dev/null || true
    start_instance "$victim"
  done
  local deadline=$((SECONDS + 120))
  while true; do
    if sorted_scan "$work/$name/got" "$work/$name"/instance-0 "$work/$name"/instance-1 \
      "$work/$name"/instance-2 2>/dev/null; then
      local same=1
      for t in $TABLES; do cmp -s "$work/want/$t" "$work/$name/got/$t" || same=0; done
      [ "$same" = 1 ] && break
    fi
    if [ $SECONDS -gt $deadline ]; then
      for t in $TABLES; do
        cmp -s "$work/want/$t" "$work/$name/got/$t" ||
          echo "$name: $t differs: want $(wc -l <"$work/want/$t") rows, got $(wc -l <"$work/$name/got/$t" 2>/dev/null)" >&2
      done
      fail "$name: the three instances' tables never equalled the baseline"
    fi
    sleep 1
  done
  for i in 0 1 2; do
    kill "${inst[$i]}" && wait "${inst[$i]}" || fail "$name: instance $i did not stop cleanly"
  done
  echo "$name: three instances, $KILLS kills, equal to the baseline on $(echo $TABLES | wc -w) tables" >&2
}

[ "$(wc -l <"$work/want/q_category_by_country")" -gt 10 ] || fail "the baseline is too small"
run_scaled kinesalite "$kinesalite"
run_scaled gateway "$gateway"
echo "scale_out.pinterest_scaled: ok" >&2
