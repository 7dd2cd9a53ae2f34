#!/usr/bin/env bash
# archive.s3: `pinstream archive` into a real S3 server, s3rver from the npm registry
# (tests/archive/s3rver: the locked version, installed into MODULES_DIR on the first run), and
# the objects checked with Debian's AWS CLI (/usr/bin/aws s3 ls / cp --endpoint-url). s3rver and
# the broker are started here on loopback ports they pick, and stopped by their pids.
#
# Covers: the layout under s3://bucket/prefix, every record exactly once with its headers
# companion, resuming from the listed objects (past 1000 keys, so ListObjectsV2 pages with
# continuation tokens), credentials and endpoint from the environment and from ~/.aws files,
# a missing bucket as S3's NoSuchBucket, and the long-running mode stopped by SIGTERM.
#
#   tests/archive/s3_archive_test.sh build/pinstream build/s3rver
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PINSTREAM=${1:?usage: s3_archive_test.sh PINSTREAM_BINARY MODULES_DIR}
MODULES=${2:?usage: s3_archive_test.sh PINSTREAM_BINARY MODULES_DIR}
AWS=/usr/bin/aws
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
check() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

for tool in "$AWS" node python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing; ./run installs it" >&2; exit 1; }
done
"$here/s3rver/install.sh" "$MODULES"

work=$(mktemp -d /tmp/pinstream-s3-archive.XXXXXX)
broker_pid=""
s3_pid=""
cleanup() {
  for pid in "$broker_pid" "$s3_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# s3rver's credentials; a private AWS config so that nothing of the user's ~/.aws leaks in.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=2
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_PROFILE AWS_REGION AWS_SESSION_TOKEN

# --- s3rver on a loopback port of its choosing ------------------------------------------------
mkdir -p "$work/s3"
# s3rver makes continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
exec {s3_fd}< <(exec node --openssl-legacy-provider "$MODULES/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" \
  -a 127.0.0.1 -p 0 --silent --configure-bucket bucket 2>"$work/s3rver.err")
s3_pid=$!
line=""
while read -r -t 30 -u "$s3_fd" line; do
  [[ $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]] && break
done
if [[ ! $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
  echo "FAIL: s3rver did not say where it listens; stderr:" >&2
  cat "$work/s3rver.err" >&2
  exit 1
fi
endpoint="http://127.0.0.1:${BASH_REMATCH[1]}"
echo "# s3rver pid $s3_pid at $endpoint"

# --- a broker and records ---------------------------------------------------------------------
exec {ready_fd}< <(exec "$PINSTREAM" broker --data "$work/broker" --listen 'tcp://127.0.0.1:*' \
  2>"$work/broker.err")
broker_pid=$!
ready=""
read -r -t 30 -u "$ready_fd" ready || { echo "FAIL: no broker ready line" >&2; exit 1; }
[[ $ready =~ \"endpoint\":\"([^\"]+)\" ]] || { echo "FAIL: ready line $ready" >&2; exit 1; }
export PINSTREAM_BROKER=${BASH_REMATCH[1]}
echo "# broker pid $broker_pid at $PINSTREAM_BROKER"

# put N FIRST: records {"i":FIRST..FIRST+N-1} with partition keys k<i>.
put() {
  python3 - "$1" "$2" >"$work/records.jsonl" <<'PY'
import base64, json, sys
n, first = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + n):
    data = json.dumps({"i": i, "title": "post %d" % i}, separators=(",", ":"))
    print(json.dumps({"PartitionKey": "k%d" % i, "Data": base64.b64encode(data.encode()).decode()}))
PY
  "$PINSTREAM" stream put-records s3-pin --file "$work/records.jsonl" >/dev/null
}
"$PINSTREAM" stream create s3-pin --shards 2 >/dev/null
put 300 0

archive() { "$PINSTREAM" archive s3-pin --to s3://bucket/lake/raw --endpoint-url "$endpoint" "$@"; }

# verify COUNT: every record 0..COUNT-1 exactly once, read back with the AWS CLI.
verify() {
  rm -rf "$work/copy"
  "$AWS" --endpoint-url "$endpoint" s3 cp --recursive --quiet s3://bucket/lake/raw "$work/copy"
  python3 - "$work/copy" "$1" <<'PY'
import json, os, re, sys
root, count = sys.argv[1], int(sys.argv[2])
key_re = re.compile(r"^topics/s3-pin/partition=(\d+)/s3-pin\+(\d+)\+(\d{10})(\.headers)?\.json$")
seen, problems = {}, []
for dirpath, _, files in os.walk(root):
    for f in files:
        key = os.path.relpath(os.path.join(dirpath, f), root)
        m = key_re.match(key)
        if not m or m.group(1) != m.group(2):
            problems.append("unexpected key " + key)
            continue
        if m.group(4):
            continue
        lines = open(os.path.join(dirpath, f)).read().splitlines()
        headers = open(os.path.join(dirpath, f[:-5] + ".headers.json")).read().splitlines()
        if len(lines) != len(headers):
            problems.append("%s: %d lines, %d header lines" % (key, len(lines), len(headers)))
        for n, line in enumerate(lines):
            i = json.loads(line)["i"]
            if i in seen:
                problems.append("record %d twice (%s, %s)" % (i, seen[i], key))
            seen[i] = key
            h = json.loads(headers[n])
            seq = h["sequence_number"]
            if int(seq[12:32]) != int(m.group(3)) + n or int(seq[2:12]) != int(m.group(1)):
                problems.append("%s line %d: sequence number %s" % (key, n, seq))
missing = [i for i in range(count) if i not in seen]
if missing:
    problems.append("%d missing, first %d" % (len(missing), missing[0]))
if len(seen) != count:
    problems.append("%d records, expected %d" % (len(seen), count))
print("\n".join(problems) if problems else "ok")
PY
}

# --- the first archive, with the endpoint and credentials from the flags and environment ----
out=$(archive --once --flush-size 100 2>"$work/archive.err") || { cat "$work/archive.err" >&2; exit 1; }
check "summary counts every record" 300 "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$out")"
check "summary names the location" s3://bucket/lake/raw \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["location"])' "$out")"
listing=$("$AWS" --endpoint-url "$endpoint" s3 ls --recursive s3://bucket/lake/raw/ | awk '{print $4}')
check "the first object of partition 0 is where the connector puts it" yes \
  "$(grep -qx 'lake/raw/topics/s3-pin/partition=0/s3-pin+0+0000000001.json' <<<"$listing" && echo yes)"
check "every data object has its headers companion" \
  "$(grep -c '\.headers\.json$' <<<"$listing")" "$(grep -vc '\.headers\.json$' <<<"$listing")"
check "aws s3 cp reads back every record once" ok "$(verify 300)"
first=$("$AWS" --endpoint-url "$endpoint" s3 cp \
  's3://bucket/lake/raw/topics/s3-pin/partition=0/s3-pin+0+0000000001.json' - | head -1)
check "a line is the record's JSON as it was put" 0 \
  "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(0 if set(d)=={"i","title"} else 1)' "$first")"

# --- nothing new: nothing written -------------------------------------------------------------
out=$(archive --once 2>>"$work/archive.err")
check "a second run writes nothing" 0 "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["objects"])' "$out")"

# --- one record per object past 1000 keys; the next run lists them through continuation tokens
put 600 300
archive --once --flush-size 1 >/dev/null 2>>"$work/archive.err"
keys=$("$AWS" --endpoint-url "$endpoint" s3 ls --recursive s3://bucket/lake/raw/ | wc -l)
check "more than 1000 keys" yes "$([ "$keys" -gt 1000 ] && echo yes)"
put 100 900
# Endpoint and credentials from the AWS files and variables alone, as the AWS CLI reads them.
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$work/aws-credentials"
chmod 600 "$work/aws-credentials"
printf '[default]\nregion = us-east-1\n' >"$work/aws-config"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL="$endpoint" \
  "$PINSTREAM" archive s3-pin --to s3://bucket/lake/raw --once 2>>"$work/archive.err") || {
  cat "$work/archive.err" >&2
  exit 1
}
check "resumed past 1000 listed keys: only the new records" 100 \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$out")"
check "every record once after resuming" ok "$(verify 1000)"

# --- a bucket that does not exist is S3's NoSuchBucket --------------------------------------
status=0
"$PINSTREAM" archive s3-pin --to s3://no-such-bucket/x --endpoint-url "$endpoint" --once \
  >/dev/null 2>"$work/nobucket.err" || status=$?
check "a missing bucket fails" 1 "$status"
check "with one line naming S3's error" yes \
  "$(grep -q '^ResourceNotFoundException: NoSuchBucket: ' "$work/nobucket.err" && echo yes)"

# --- long-running: SIGTERM writes what it holds and exits 0; the next run goes on from there ---
"$PINSTREAM" archive s3-pin --to s3://bucket/lake/raw --endpoint-url "$endpoint" \
  --flush-size 1000 --rotate-interval 1h >"$work/live.out" 2>"$work/live.err" &
live_pid=$!
put 250 1000
sleep 2
kill -TERM "$live_pid"
status=0
wait "$live_pid" || status=$?
check "long-running archive exits 0 on SIGTERM" 0 "$status"
held=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$work/live.out")
echo "# the long-running archive had read $held of 250 records when stopped"
# Whatever it had not read yet, a run after it archives: together exactly the 250.
out=$(archive --once 2>>"$work/archive.err")
rest=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$out")
check "what it wrote and what the next run wrote are the 250 records" 250 "$((held + rest))"
check "every record once at the end" ok "$(verify 1250)"

kill -TERM "$broker_pid"
wait "$broker_pid" || true
broker_pid=""
kill -TERM "$s3_pid"
wait "$s3_pid" 2>/dev/null || true
s3_pid=""
if [ "$failed" -ne 0 ]; then
  echo "# archive stderr:" >&2
  tail -20 "$work/archive.err" >&2
fi
echo "s3_archive_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
