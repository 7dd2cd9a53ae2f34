#!/usr/bin/env bash
# The unmodified AWS CLI (Debian's awscli, /usr/bin/aws) against the HTTP gateway of a real
# `pinstream broker` process: every Kinesis action of SPEC section 3 through --endpoint-url.
# The broker is started here on free loopback ports, its ready line read from a pipe with a
# deadline, and it is stopped by its pid at the end (SIGTERM, expecting exit status 0).
#
#   tests/gateway/aws_cli_test.sh build/pinstream
set -euo pipefail

PINSTREAM=${1:?usage: aws_cli_test.sh PINSTREAM_BINARY}
AWS=/usr/bin/aws
BASE64=/usr/bin/base64
passed=0
failed=0

fail() {
  echo "not ok - $*" >&2
  failed=$((failed + 1))
}
pass() {
  echo "ok - $*"
  passed=$((passed + 1))
}
# run NAME COMMAND...: passes when COMMAND succeeds.
run() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

if [ ! -x "$AWS" ]; then
  echo "FAIL: $AWS is missing; ./run installs Debian's awscli" >&2
  exit 1
fi

work=$(mktemp -d /tmp/pinstream-aws-cli.XXXXXX)
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -KILL "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Dummy credentials and a private config: nothing from the user's ~/.aws leaks in.
export AWS_ACCESS_KEY_ID=pinstream-test AWS_SECRET_ACCESS_KEY=pinstream-test
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_MAX_ATTEMPTS=2

# The broker verifies SigV4 against the same key pair: every call below is checked as AWS would.
printf '[default]\naws_access_key_id = pinstream-test\naws_secret_access_key = pinstream-test\n' \
  >"$work/broker-credentials"
chmod 600 "$work/broker-credentials"

# The broker's stdout is a pipe to this shell: its first line is the ready line.
exec {ready_fd}< <(exec "$PINSTREAM" broker --data "$work/data" --listen 'tcp://127.0.0.1:*' \
  --http 127.0.0.1:0 --aws-credentials "$work/broker-credentials" 2>"$work/broker.err")
broker_pid=$!
ready=""
if ! read -r -t 30 -u "$ready_fd" ready; then
  echo "FAIL: the broker printed no ready line within 30 s; stderr:" >&2
  cat "$work/broker.err" >&2
  exit 1
fi
if [[ ! $ready =~ \"http\":\"(http://127\.0\.0\.1:[0-9]+)\" ]]; then
  echo "FAIL: no http URL in the ready line: $ready" >&2
  exit 1
fi
url=${BASH_REMATCH[1]}
[[ $ready =~ \"pid\":([0-9]+) ]] && check "ready line names the broker's pid" "$broker_pid" \
  "${BASH_REMATCH[1]}"
echo "# broker pid $broker_pid, gateway $url"

aws() { "$AWS" --endpoint-url "$url" --no-cli-pager --output text "$@"; }
b64() { printf '%s' "$1" | "$BASE64" -w0; }

stream=cli-test.pin

# --- control plane -------------------------------------------------------------------------
run "create-stream" aws kinesis create-stream --stream-name "$stream" --shard-count 2
run "wait stream-exists" aws kinesis wait stream-exists --stream-name "$stream"
check "list-streams" "$stream" "$(aws kinesis list-streams --query 'StreamNames[0]')"
check "describe-stream shards" 2 "$(aws kinesis describe-stream --stream-name "$stream" \
  --query 'length(StreamDescription.Shards)')"
check "describe-stream status" ACTIVE \
  "$(aws kinesis describe-stream --stream-name "$stream" --query 'StreamDescription.StreamStatus')"
check "describe-stream-summary" 2 "$(aws kinesis describe-stream-summary --stream-name "$stream" \
  --query 'StreamDescriptionSummary.OpenShardCount')"
check "list-shards" "shardId-000000000000	shardId-000000000001" \
  "$(aws kinesis list-shards --stream-name "$stream" --query 'Shards[].ShardId')"

# --- writes: every record to shard 0 by explicit hash key, so one shard holds them in order ---
out=$(aws kinesis put-record --stream-name "$stream" --partition-key 7528 --explicit-hash-key 0 \
  --cli-binary-format raw-in-base64-out --data '{"index": 7528, "title": "first"}' \
  --query '[ShardId,SequenceNumber]')
read -r shard seq1 <<<"$out"
check "put-record shard" shardId-000000000000 "$shard"
[[ $seq1 =~ ^[0-9]+$ ]] && pass "put-record sequence number" || fail "sequence number '$seq1'"

long_key=$(printf 'k%.0s' $(seq 300))
cat >"$work/long_key.json" <<EOF
[{"Data": "$(b64 rejected)", "PartitionKey": "$long_key", "ExplicitHashKey": "0"}]
EOF
# The CLI checks only minimum lengths, so the 300-character key reaches the server, which refuses
# the whole call in AWS's words.
if aws kinesis put-records --stream-name "$stream" --records "file://$work/long_key.json" \
  >/dev/null 2>"$work/err"; then
  fail "put-records with a 300-character key succeeded"
elif grep -q "ValidationException.*1 validation error detected: Value '$long_key' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256" "$work/err"; then
  pass "put-records ValidationException"
else
  fail "put-records long key error: $(cat "$work/err")"
fi
# Data past 1 MiB is within the model's 10 MiB: the server fails that entry alone (Kinesis's
# per-record failure) and stores the other two.
big=$(head -c 1048577 /dev/zero | base64 -w0)
cat >"$work/records.json" <<EOF
[
  {"Data": "$(b64 second)", "PartitionKey": "a", "ExplicitHashKey": "0"},
  {"Data": "$big", "PartitionKey": "r", "ExplicitHashKey": "0"},
  {"Data": "$(b64 third)", "PartitionKey": "b", "ExplicitHashKey": "0"}
]
EOF
out=$(aws kinesis put-records --stream-name "$stream" --records "file://$work/records.json" \
  --query '[FailedRecordCount,Records[1].ErrorCode,length(Records[?SequenceNumber])]')
check "put-records partial failure" "1	InvalidArgumentException	2" "$out"

# --- reads: every iterator type --------------------------------------------------------------
# Prints the records' data at an iterator, decoded, one per line.
read_at() {
  local it
  it=$(aws kinesis get-shard-iterator --stream-name "$stream" --shard-id shardId-000000000000 \
    "$@" --query ShardIterator)
  aws kinesis get-records --shard-iterator "$it" --query 'Records[].Data' --output json |
    /usr/bin/python3 -c 'import base64, json, sys
for d in json.load(sys.stdin): print(base64.b64decode(d).decode())'
}
all=$'{"index": 7528, "title": "first"}\nsecond\nthird'
check "TRIM_HORIZON" "$all" "$(read_at --shard-iterator-type TRIM_HORIZON)"
check "AT_SEQUENCE_NUMBER" "$all" \
  "$(read_at --shard-iterator-type AT_SEQUENCE_NUMBER --starting-sequence-number "$seq1")"
check "AFTER_SEQUENCE_NUMBER" $'second\nthird' \
  "$(read_at --shard-iterator-type AFTER_SEQUENCE_NUMBER --starting-sequence-number "$seq1")"
check "AT_TIMESTAMP" "$all" \
  "$(read_at --shard-iterator-type AT_TIMESTAMP --timestamp 2020-01-01T00:00:00Z)"
check "LATEST (nothing new)" "" "$(read_at --shard-iterator-type LATEST)"

# LATEST, then a new record, then the iterator sees it; NextShardIterator continues after it.
it=$(aws kinesis get-shard-iterator --stream-name "$stream" --shard-id shardId-000000000000 \
  --shard-iterator-type LATEST --query ShardIterator)
aws kinesis put-record --stream-name "$stream" --partition-key z --explicit-hash-key 0 \
  --cli-binary-format raw-in-base64-out --data fourth >/dev/null
out=$(aws kinesis get-records --shard-iterator "$it" --output json)
check "LATEST then put" fourth "$(printf '%s' "$out" | /usr/bin/python3 -c 'import base64, json, sys
print(base64.b64decode(json.load(sys.stdin)["Records"][0]["Data"]).decode())')"
next=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["NextShardIterator"])')
check "NextShardIterator is at the end" 0 \
  "$(aws kinesis get-records --shard-iterator "$next" --query 'length(Records)')"

# --- errors carry Kinesis's type names --------------------------------------------------------
if aws kinesis describe-stream --stream-name no-such-stream >/dev/null 2>"$work/err"; then
  fail "describe-stream of a missing stream succeeded"
elif grep -q "ResourceNotFoundException.*Stream no-such-stream under account 000000000000 not found." "$work/err"; then
  pass "ResourceNotFoundException"
else
  fail "describe-stream error: $(cat "$work/err")"
fi
if aws kinesis create-stream --stream-name "$stream" --shard-count 1 2>"$work/err"; then
  fail "creating an existing stream succeeded"
elif grep -q ResourceInUseException "$work/err"; then
  pass "ResourceInUseException"
else
  fail "create-stream error: $(cat "$work/err")"
fi

# --- resharding, tags and retention (issue 15) ----------------------------------------------
# Shard 0 holds the records above; split it, merge the upper child with shard 1, then scale.
run "split-shard" aws kinesis split-shard --stream-name "$stream" \
  --shard-to-split shardId-000000000000 --new-starting-hash-key 85070591730234615865843651857942052864
run "wait after split" aws kinesis wait stream-exists --stream-name "$stream"
check "split closes the parent" 1 "$(aws kinesis list-shards --stream-name "$stream" \
  --query 'length(Shards[?ShardId==`shardId-000000000000`].SequenceNumberRange.EndingSequenceNumber)')"
check "split children name their parent" "shardId-000000000000	shardId-000000000000" \
  "$(aws kinesis list-shards --stream-name "$stream" --query 'Shards[2:4].ParentShardId')"
run "merge-shards" aws kinesis merge-shards --stream-name "$stream" \
  --shard-to-merge shardId-000000000003 --adjacent-shard-to-merge shardId-000000000001
run "wait after merge" aws kinesis wait stream-exists --stream-name "$stream"
check "merge child names both parents" "shardId-000000000003	shardId-000000000001" \
  "$(aws kinesis list-shards --stream-name "$stream" \
    --query 'Shards[4].[ParentShardId,AdjacentParentShardId]')"
check "update-shard-count" "2	4" "$(aws kinesis update-shard-count --stream-name "$stream" \
  --target-shard-count 4 --scaling-type UNIFORM_SCALING \
  --query '[CurrentShardCount,TargetShardCount]')"
run "wait after scaling" aws kinesis wait stream-exists --stream-name "$stream"
check "open shards after scaling" 4 "$(aws kinesis list-shards --stream-name "$stream" \
  --shard-filter Type=AT_LATEST --query 'length(Shards)')"
# Reading shard 0 to its end: its records, then no iterator and the split's children.
it=$(aws kinesis get-shard-iterator --stream-name "$stream" --shard-id shardId-000000000000 \
  --shard-iterator-type TRIM_HORIZON --query ShardIterator)
aws kinesis get-records --shard-iterator "$it" --output json >"$work/end.json"
check "parent read to its end has no next iterator" null \
  "$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("NextShardIterator")))' "$work/end.json")"
check "parent's end names its children" "shardId-000000000002 shardId-000000000003" \
  "$(/usr/bin/python3 -c 'import json,sys; print(" ".join(c["ShardId"] for c in json.load(open(sys.argv[1]))["ChildShards"]))' "$work/end.json")"
run "add-tags-to-stream" aws kinesis add-tags-to-stream --stream-name "$stream" --tags team=data
check "list-tags-for-stream" "team	data" \
  "$(aws kinesis list-tags-for-stream --stream-name "$stream" --query 'Tags[0].[Key,Value]')"
run "increase-stream-retention-period" aws kinesis increase-stream-retention-period \
  --stream-name "$stream" --retention-period-hours 48
check "retention period" 48 "$(aws kinesis describe-stream-summary --stream-name "$stream" \
  --query StreamDescriptionSummary.RetentionPeriodHours)"

# --- signatures ---------------------------------------------------------------------------------
if AWS_SECRET_ACCESS_KEY=wrong-secret aws kinesis list-streams >/dev/null 2>"$work/err"; then
  fail "a wrong secret was accepted"
elif grep -q InvalidSignatureException "$work/err"; then
  pass "a wrong secret is InvalidSignatureException"
else
  fail "wrong-secret error: $(cat "$work/err")"
fi

# --- delete -----------------------------------------------------------------------------------
run "delete-stream" aws kinesis delete-stream --stream-name "$stream"
run "wait stream-not-exists" aws kinesis wait stream-not-exists --stream-name "$stream"
check "list-streams after delete" 0 "$(aws kinesis list-streams --query 'length(StreamNames)')"

# --- stop the broker by its pid ---------------------------------------------------------------
kill -TERM "$broker_pid"
status=0
wait "$broker_pid" || status=$?
broker_pid=""
check "broker exits 0 on SIGTERM" 0 "$status"
if [ "$failed" -ne 0 ]; then
  echo "# broker stderr:" >&2
  cat "$work/broker.err" >&2
fi
echo "aws_cli_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
