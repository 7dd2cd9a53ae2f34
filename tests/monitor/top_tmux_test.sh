#!/usr/bin/env bash
# monitor.top_tmux: `pinstream top` against a real broker and processor while records flow.
#
# A broker (free loopback ports, an API key) takes posts from `pinstream emulate --rate` while a
# processor with --metrics runs the Pinterest topology. Then:
#   - plain output: `top --once | cat` has no escape codes, the three streams and the tables; a
#     broker asked without its key, or not there at all, is a DOWN line, not a failure; a
#     running `top | cat` prints a frame per interval and ends cleanly on SIGTERM;
#   - the terminal: `top` in a private tmux server (-L) on a 160x50 window; the screen is read
#     with capture-pane until it shows every stream with records flowing in and out and the
#     processor's tables; the window shrinks and the frame is laid out again within it; `q` ends
#     it with status 0, and so does Ctrl-C in a second session.
# Every process is started here and stopped by its pid; the tmux server by its socket.
#
#   tests/monitor/top_tmux_test.sh build/pinstream SOURCE_DIR
set -euo pipefail
PINSTREAM=${1:?usage: top_tmux_test.sh PINSTREAM_BINARY SOURCE_DIR}
SOURCE=${2:?usage: top_tmux_test.sh PINSTREAM_BINARY SOURCE_DIR}
PINSTREAM=$(cd "$(dirname "$PINSTREAM")" && pwd)/$(basename "$PINSTREAM")
command -v tmux >/dev/null || { echo "FAIL: tmux is missing; ./run installs it" >&2; exit 1; }
unset PINSTREAM_API_KEY PINSTREAM_HTTP PINSTREAM_BROKER TMUX

work=$(mktemp -d /tmp/pinstream-top.XXXXXX)
sock="pinstream-top-$$"
broker_pid="" processor_pid="" emulate_pid="" plain_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for pid in "$plain_pid" "$emulate_pid" "$processor_pid" "$broker_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}
# The value of "key" in a one-line JSON object.
json_field() {
  [[ $1 =~ \"$2\":\"([^\"]+)\" ]] && echo "${BASH_REMATCH[1]}"
}

# --- a broker with an API key, streams, a processor, posts flowing -----------------------------
printf 'top-test-key\n' >"$work/api.key"
chmod 600 "$work/api.key"
export PINSTREAM_API_KEY=top-test-key  # the emulator's and the processor's
exec {broker_fd}< <(exec "$PINSTREAM" broker --data "$work/broker" --listen 'tcp://127.0.0.1:*' \
  --http 127.0.0.1:0 2>"$work/broker.err")
broker_pid=$!
read -r -t 30 -u "$broker_fd" ready || fail "no broker ready line"
endpoint=$(json_field "$ready" endpoint) || fail "broker ready line: $ready"
http=$(json_field "$ready" http) || fail "broker ready line: $ready"
export PINSTREAM_BROKER=$endpoint
echo "# broker pid $broker_pid at $endpoint and $http"

# The streams exist before the processor starts.
"$PINSTREAM" emulate --count 30 --no-progress >/dev/null 2>"$work/emulate-first.err" ||
  fail "emulate --count 30"
exec {processor_fd}< <(exec "$PINSTREAM" run "$SOURCE/topologies/pinterest.json" \
  --data "$work/processor" --metrics 127.0.0.1:0 2>"$work/processor.err")
processor_pid=$!
read -r -t 30 -u "$processor_fd" ready || fail "no processor ready line"
metrics=$(json_field "$ready" metrics) || fail "processor ready line: $ready"
processor=${metrics%/metrics}
echo "# processor pid $processor_pid at $processor"

# A seed of its own, so that the posts are new to the processor's dedup and rows flow out.
"$PINSTREAM" emulate --count 1000000 --rate 150 --seed 17 --no-progress >/dev/null \
  2>"$work/emulate.err" &
emulate_pid=$!
disown "$emulate_pid"  # stopped by the trap, without bash reporting it killed
# Waits below fail at once, with its message, should the emulator stop early.
emulating() {
  kill -0 "$emulate_pid" 2>/dev/null || fail "the emulator stopped: $(cat "$work/emulate.err")"
}

unset PINSTREAM_API_KEY  # top takes the key from --api-key-file
top=("$PINSTREAM" top --broker-http "$http" --processor "$processor" --api-key-file "$work/api.key")

# --- plain output ------------------------------------------------------------------------------
tables_committed() {
  emulating
  "${top[@]}" --once | cat >"$work/plain.txt" && grep -Eq '(^| )pin v[1-9]' "$work/plain.txt"
}
wait_for 30 "the processor's first tables in plain output" tables_committed
if grep -q $'\e' "$work/plain.txt"; then fail "escape codes in plain output"; fi
for stream in pin geo user; do
  grep -q "^streaming-demo-$stream " "$work/plain.txt" || fail "no streaming-demo-$stream row:
$(cat "$work/plain.txt")"
done
grep -q "broker $http ok  processor $processor ok" "$work/plain.txt" || fail "header:
$(head -1 "$work/plain.txt")"
grep -q '^TABLES' "$work/plain.txt" || fail "no TABLES"
echo "ok - top --once | cat: plain, with the streams and the tables"

"$PINSTREAM" top --broker-http "$http" --once >"$work/nokey.txt" 2>"$work/nokey.err" ||
  fail "top without the key failed"
grep -q "^BROKER  $http  DOWN  AccessDenied" "$work/nokey.txt" || fail "without the key:
$(cat "$work/nokey.txt")"
"$PINSTREAM" top --broker-http http://127.0.0.1:1 --processor 127.0.0.1:1 --once \
  >"$work/down.txt" 2>"$work/down.err" || fail "top against nothing failed"
grep -q '^BROKER  http://127.0.0.1:1  DOWN  unreachable' "$work/down.txt" || fail "down:
$(cat "$work/down.txt")"
grep -q '^PROCESSOR  http://127.0.0.1:1  DOWN  unreachable' "$work/down.txt" || fail "down:
$(cat "$work/down.txt")"
echo "ok - a broker without its key, or not there, is a DOWN line"

"${top[@]}" --interval 200ms >"$work/frames.txt" 2>"$work/frames.err" &
plain_pid=$!
three_frames() { [ "$(grep -c '^pinstream top ' "$work/frames.txt")" -ge 3 ]; }
wait_for 20 "three plain frames" three_frames
kill -TERM "$plain_pid"
status=0
wait "$plain_pid" || status=$?
plain_pid=""
[ "$status" -eq 0 ] || fail "top | cat ended with $status on SIGTERM"
grep -q $'\e' "$work/frames.txt" && fail "escape codes in plain frames"
# Frames are separated by one blank line.
[ "$(grep -B1 '^pinstream top ' "$work/frames.txt" | grep -c '^$')" -ge 2 ] ||
  fail "frames not separated by a blank line"
echo "ok - top | cat: a plain frame per interval, SIGTERM ends it cleanly"

# --- the terminal ------------------------------------------------------------------------------
printf -v command '%q ' "${top[@]}" --interval 500ms
tmux -L "$sock" -f /dev/null new-session -d -s top -x 160 -y 50 \
  "$command; echo \$? >$work/top.rc"
capture() { tmux -L "$sock" capture-pane -p -t top >"$work/screen.txt"; }
# Every stream with records in and out each second, the processor reading and its tables.
screen_live() {
  emulating
  capture || return 1
  for stream in pin geo user; do
    awk -v n="streaming-demo-$stream" '$1 == n && $3 + 0 > 0 && $4 + 0 > 0 { f = 1 }
      END { exit !f }' "$work/screen.txt" || return 1
  done
  awk '$1 == "in" && $3 == "rec/s" && $2 + 0 > 0 { f = 1 } END { exit !f }' "$work/screen.txt" &&
    grep -q "processor $processor ok  (q quits)" "$work/screen.txt" &&
    grep -q '^TABLES' "$work/screen.txt" && grep -Eq '(^| )pin v[1-9]' "$work/screen.txt"
}
wait_for 30 "the screen to show records flowing and the tables" screen_live
cp "$work/screen.txt" "$work/screen-160.txt"
echo "ok - top in tmux shows the streams with rates and the processor's tables"
[ -n "${TOP_SCREEN_OUT:-}" ] && cp "$work/screen.txt" "$TOP_SCREEN_OUT"

# A narrower window: the frame is laid out again within it, no line wrapped.
tmux -L "$sock" resize-window -t top -x 70 -y 50
# (A line too long would wrap onto the next row, which then would not start as it does here.)
fits_70() {
  capture || return 1
  [ "$(wc -L <"$work/screen.txt")" -le 70 ] && ! grep -q '(q quits)' "$work/screen.txt" &&
    [ -z "$(sed -n 2p "$work/screen.txt")" ] && sed -n 3p "$work/screen.txt" | grep -q '^BROKER ' &&
    sed -n 4p "$work/screen.txt" | grep -q '^STREAM / SHARD ' &&
    sed -n 5p "$work/screen.txt" | grep -q '^streaming-demo-'
}
wait_for 10 "the frame to fit 70 columns" fits_70
echo "ok - a narrower window gets a frame cut to its width"

tmux -L "$sock" send-keys -t top q
wait_for 10 "top to end on q" test -s "$work/top.rc"
[ "$(cat "$work/top.rc")" = 0 ] || fail "top ended with $(cat "$work/top.rc") on q"
session_gone() { ! tmux -L "$sock" has-session -t top 2>/dev/null; }
wait_for 10 "the tmux session to end" session_gone
echo "ok - q quits with status 0"

rm -f "$work/top.rc"
tmux -L "$sock" -f /dev/null new-session -d -s top -x 160 -y 50 \
  "$command; echo \$? >$work/top.rc"
started() { capture && grep -q '^BROKER ' "$work/screen.txt"; }
wait_for 20 "the second top to draw" started
tmux -L "$sock" send-keys -t top C-c
wait_for 10 "top to end on Ctrl-C" test -s "$work/top.rc"
[ "$(cat "$work/top.rc")" = 0 ] || fail "top ended with $(cat "$work/top.rc") on Ctrl-C"
echo "ok - Ctrl-C quits with status 0"

echo "--- the screen at 160x50:"
sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$work/screen-160.txt"  # without the empty rows below
echo "monitor.top_tmux: ok"
