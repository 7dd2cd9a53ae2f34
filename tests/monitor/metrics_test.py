"""monitor.metrics: a real broker and processor expose Prometheus metrics that a real Prometheus
reads, and that count what really happened.

A broker (free loopback ports, stopped by pid) takes 400 emulated posts (1200 records over three
streams of four shards); a processor with --metrics runs the Pinterest topology over them. Both
/metrics pages are read with the Prometheus client library's own parser (Debian's
python3-prometheus-client), and their counts checked against the posts: records in per stream,
records out, the processor's records and each pipeline's parse step, a failed request counted
under its Kinesis error type, histograms whose +Inf bucket equals their count. Then Debian's
Prometheus scrapes both each second, and a PromQL query gives the same totals. A broker with an
API key answers /metrics 403 without it, and Prometheus scrapes it with the key as a bearer
token. `broker --no-metrics` serves no /metrics at all.

    /usr/bin/python3 tests/monitor/metrics_test.py build/pinstream SOURCE_DIR
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gateway"))
from pinstream_broker import Broker, Process, http, kinesis, wait_for  # noqa: E402

POSTS = 400
STREAMS = ["streaming-demo-pin", "streaming-demo-geo", "streaming-demo-user"]
DEADLINE_S = 90


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port



def scrape(url, headers=None):
    """{(name, frozenset(labels)): value} of every sample, and the families by name."""
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        text = r.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {}
    for f in families.values():
        for s in f.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, families


def total(samples, name, **labels):
    """The sum of `name`'s samples whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def check_histograms(families):
    for f in families.values():
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            key = frozenset((k, v) for k, v in s.labels.items() if k != "le")
            series.setdefault(key, {})[s.name + ":" + s.labels.get("le", "")] = s.value
        for key, values in series.items():
            buckets = sorted(((float(k.split(":")[1]), v) for k, v in values.items()
                              if k.startswith(f.name + "_bucket")))
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), (f.name, key, "buckets are not cumulative")
            assert buckets[-1][0] == float("inf")
            assert buckets[-1][1] == values[f.name + "_count:"], (f.name, key)



def prometheus_query(base, query):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=10) as r:
        data = json.loads(r.read())
    result = data["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def main():
    binary = os.path.abspath(sys.argv[1])
    source = os.path.abspath(sys.argv[2])
    scratch = tempfile.mkdtemp(prefix="pinstream-metrics-")
    started = []
    broker = keyed = bare = None
    try:
        broker = Broker(binary, prefix="pinstream-metrics-broker-")
        assert broker.ready["metrics"] == broker.url + "/metrics"
        env = dict(os.environ, PINSTREAM_BROKER=broker.endpoint)
        env.pop("PINSTREAM_API_KEY", None)
        subprocess.run([binary, "emulate", "--count", str(POSTS), "--seed", "7", "--no-progress"],
                       env=env, check=True, stdout=subprocess.DEVNULL, timeout=120)
        # A request that fails: its error type is counted under its action.
        status, body = kinesis(broker.url, "DescribeStream", {"StreamName": "no-such-stream"})
        assert status == 400 and body["__type"] == "ResourceNotFoundException", body

        processor = Process([binary, "run", os.path.join(source, "topologies", "pinterest.json"),
                             "--data", os.path.join(scratch, "processor"),
                             "--metrics", "127.0.0.1:0"], env, os.path.join(scratch, "run.err"))
        started.append(processor)
        pm = processor.ready["metrics"]
        assert processor.ready["pid"] == processor.proc.pid
        wait_for("the processor to read every record", lambda: total(
            scrape(pm)[0], "pinstream_processor_records_in_total") == 3 * POSTS, DEADLINE_S)

        b, b_families = scrape(broker.ready["metrics"])
        for stream in STREAMS:
            assert total(b, "pinstream_stream_incoming_records_total", stream=stream) == POSTS
            assert total(b, "pinstream_stream_outgoing_records_total", stream=stream) == POSTS
            assert total(b, "pinstream_stream_incoming_bytes_total", stream=stream) > 0
            assert total(b, "pinstream_stream_retained_records", stream=stream) == POSTS
            assert total(b, "pinstream_stream_shard_open", stream=stream) == 4
            shards = [ls for (n, ls) in b if n == "pinstream_stream_iterator_age_ms" and
                      ("stream", stream) in ls]
            assert len(shards) == 4, shards
        assert total(b, "pinstream_requests_total", transport="zmq", action="PutRecords") > 0
        assert total(b, "pinstream_requests_total", transport="zmq", action="GetRecords") > 0
        assert total(b, "pinstream_request_errors_total", transport="http",
                     action="DescribeStream", error="ResourceNotFoundException") == 1
        assert total(b, "pinstream_request_duration_seconds_count", transport="zmq",
                     action="PutRecords") == total(b, "pinstream_requests_total",
                                                   transport="zmq", action="PutRecords")
        assert total(b, "pinstream_store_bytes") > 0
        assert total(b, "process_cpu_seconds_total") > 0
        check_histograms(b_families)

        p, p_families = scrape(pm)
        assert total(p, "pinstream_processor_records_in_total", topology="pinterest") == 3 * POSTS
        for pipeline in ("pin", "geo", "user"):
            assert total(p, "pinstream_processor_operator_rows_in_total",
                         operator=pipeline + "/0:parse_json") == POSTS
        assert total(p, "pinstream_processor_rows_out_total") > 3 * POSTS * 0.9
        assert total(p, "pinstream_processor_dead_letters_total") == total(
            p, "pinstream_processor_operator_failed_total")
        assert total(p, "pinstream_processor_batches_total") >= 1
        assert total(p, "pinstream_processor_batch_records_count") == total(
            p, "pinstream_processor_batches_total")
        assert total(p, "pinstream_processor_batch_records_sum") == 3 * POSTS
        lags = [ls for (n, ls) in p if n == "pinstream_processor_millis_behind_latest"]
        assert len(lags) == 12, lags
        assert total(p, "pinstream_table_version", table="pin") >= 1
        assert total(p, "pinstream_processor_data_bytes") > 0
        check_histograms(p_families)

        # A real Prometheus scrapes both, and the keyed broker with its key as a bearer token.
        key_file = os.path.join(scratch, "api.key")
        with open(key_file, "w") as f:
            f.write("metrics-test-key\n")
        keyed = Broker(binary, ["--api-key-file", key_file], prefix="pinstream-metrics-keyed-")
        status, _, _ = http("GET", keyed.url + "/metrics")
        assert status == 403, status
        status, _, _ = http("GET", keyed.url + "/metrics", headers={
            "Authorization": "Bearer wrong"})
        assert status == 403, status
        scrape(keyed.url + "/metrics", {"Authorization": "Bearer metrics-test-key"})
        scrape(keyed.url + "/metrics", {"x-api-key": "metrics-test-key"})

        target = lambda url: urllib.parse.urlparse(url).netloc  # noqa: E731
        port = free_port()
        config = os.path.join(scratch, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: broker\n    static_configs:\n"
                    "      - targets: ['%s']\n"
                    "  - job_name: processor\n    static_configs:\n"
                    "      - targets: ['%s']\n"
                    "  - job_name: keyed\n    authorization:\n"
                    "      credentials_file: %s\n    static_configs:\n"
                    "      - targets: ['%s']\n" %
                    (target(broker.url), target(pm), key_file, target(keyed.url)))
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(scratch, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "prom.err"), "wb"),
            stdin=subprocess.DEVNULL)
        try:
            base = "http://127.0.0.1:%d" % port

            def targets_up():
                try:
                    with urllib.request.urlopen(base + "/api/v1/targets", timeout=5) as r:
                        active = json.loads(r.read())["data"]["activeTargets"]
                except OSError:
                    return False
                return len(active) == 3 and all(t["health"] == "up" for t in active)

            wait_for("Prometheus to scrape all three targets", targets_up, DEADLINE_S)
            assert prometheus_query(
                base, 'sum(pinstream_stream_incoming_records_total{job="broker"})') == 3 * POSTS
            assert prometheus_query(
                base, "sum(pinstream_processor_records_in_total)") == 3 * POSTS
            assert prometheus_query(base, 'up{job="keyed"}') == 1
        finally:
            prom.send_signal(signal.SIGTERM)
            prom.wait(30)

        # --no-metrics: nothing counted, nothing served.
        bare = Broker(binary, ["--no-metrics"], prefix="pinstream-metrics-bare-")
        assert "metrics" not in bare.ready
        status, _, _ = http("GET", bare.url + "/metrics")
        assert status == 404, status
        print("monitor.metrics: ok")
    finally:
        for p in started:
            p.stop()
        for b in (broker, keyed, bare):
            if b is not None:
                b.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
