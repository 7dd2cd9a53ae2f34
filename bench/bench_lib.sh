# Sourced by the bench scripts.
#
# start_broker DIR [FLAG...] starts `pinstream broker` on a free
# loopback port with its data in DIR/broker and the broker flags given, waits for its ready
# line and sets broker_pid and endpoint. Needs BUILD set; the caller's cleanup kills broker_pid.
start_broker() {
  local dir=$1
  shift
  "$BUILD/pinstream" broker --data "$dir/broker" --listen 'tcp://127.0.0.1:*' "$@" \
    >"$dir/broker.out" 2>"$dir/broker.err" &
  broker_pid=$!
  for _ in $(seq 200); do
    [ -s "$dir/broker.out" ] && break
    kill -0 "$broker_pid" 2>/dev/null || { cat "$dir/broker.err" >&2; exit 1; }
    sleep 0.1
  done
  endpoint=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["endpoint"])' \
    "$dir/broker.out")
}

# free_port: a free loopback TCP port (for servers that take a port, not 0).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cpu_seconds PID: the CPU seconds (user + system) the process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
