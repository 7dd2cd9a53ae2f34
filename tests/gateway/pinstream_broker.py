"""Real pinstream child processes for the Python tests, and plain HTTP helpers.

`Broker` is a `pinstream broker` on free loopback ports (`--listen tcp://127.0.0.1:*`, `--http
127.0.0.1:0`); `Process` is any other pinstream command (a processor, an emulation). Ready lines
are read from a pipe with a deadline; processes are stopped by their pids.
"""

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

READY_TIMEOUT_S = 30
EXIT_TIMEOUT_S = 30


class Broker:
    """A `pinstream broker` child process with its HTTP gateway."""

    def __init__(self, binary, extra_args=(), env=None, prefix="pinstream-gw-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.stderr = open(os.path.join(self.dir, "broker.err"), "wb")
        self.proc = subprocess.Popen(
            [binary, "broker", "--data", os.path.join(self.dir, "data"), "--listen",
             "tcp://127.0.0.1:*", "--http", "127.0.0.1:0", *extra_args],
            stdout=subprocess.PIPE, stderr=self.stderr, stdin=subprocess.DEVNULL, env=env)
        line = b""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, left))
            if not ready:
                self.kill()
                raise RuntimeError("no ready line within %d s: %s" % (READY_TIMEOUT_S, self.log()))
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.proc.wait(EXIT_TIMEOUT_S)
                raise RuntimeError("broker exited with %s before it was ready: %s" %
                                   (self.proc.returncode, self.log()))
            line += chunk
        self.ready = json.loads(line.decode().splitlines()[0])
        if self.ready["pid"] != self.proc.pid:
            raise RuntimeError("ready line names pid %s, not %s" %
                               (self.ready["pid"], self.proc.pid))
        self.url = self.ready["http"]
        self.endpoint = self.ready["endpoint"]

    def alive(self):
        return self.proc.poll() is None

    def rss_mib(self):
        """The broker's resident memory, from /proc."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        raise RuntimeError("no VmRSS for pid %d" % self.proc.pid)

    def log(self):
        self.stderr.flush()
        with open(self.stderr.name, "rb") as f:
            return f.read().decode(errors="replace")[-2000:]

    def terminate(self):
        """SIGTERM by pid; the exit status (0 expected)."""
        os.kill(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(EXIT_TIMEOUT_S)

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(EXIT_TIMEOUT_S)

    def stop(self):
        """SIGTERM, then close; raises AssertionError unless the broker exited 0."""
        try:
            status = self.terminate()
            if status != 0:
                raise AssertionError("broker exited with %s: %s" % (status, self.log()))
        finally:
            self.close()

    def close(self):
        self.kill()
        self.proc.stdout.close()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def http(method, url, body=None, content_type="application/json", headers=None, timeout=30):
    """One HTTP request; (status, parsed JSON body or None, content type)."""
    data = body
    if body is not None and not isinstance(body, bytes):
        data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, _json_or_none(r.read()), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, _json_or_none(e.read()), e.headers.get("Content-Type")


def kinesis(url, action, request, timeout=30):
    """A Kinesis JSON 1.1 call without a signature; (status, parsed body)."""
    status, body, _ = http("POST", url + "/", request, "application/x-amz-json-1.1",
                           {"X-Amz-Target": "Kinesis_20131202." + action}, timeout)
    return status, body


def _json_or_none(raw):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


class Process:
    """A pinstream child process; its first stdout line, when asked, as JSON; stopped by pid."""

    def __init__(self, args, env, log, ready_line=True):
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE if ready_line else self.log,
                                     stderr=self.log, stdin=subprocess.DEVNULL, env=env)
        self.ready = None
        if ready_line:
            line = b""
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not line.endswith(b"\n"):
                ready, _, _ = select.select([self.proc.stdout], [], [], 1)
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("%s gave no ready line: %s" % (args[1], open(log).read()))
                if ready:
                    line += os.read(self.proc.stdout.fileno(), 4096)
            self.ready = json.loads(line.decode().splitlines()[0])

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(EXIT_TIMEOUT_S)
        self.log.close()


def wait_for(what, check, timeout=90):
    """Polls `check` until it returns something true (returned), or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.2)
