"""monitor.status_page: the status page, rendered by headless Chromium while records flow.

A broker (free loopback ports) takes posts from `pinstream emulate --rate` running in the
background, and a processor with --metrics runs the Pinterest topology over them. Once both have
a few seconds of history, Debian's Chromium loads each page (--dump-dom after the page's own
fetches, in a fresh profile) and the rendered DOM is checked: the broker's page shows non-zero
incoming rates for the three demo streams, a chart per stream with its lines drawn, and the
requests; the processor's page lists the tables (pin, geo, user, the q_* tables, dead_letters and
data_loss set apart), draws its charts, and its row browser shows rows of pin, then of geo from
the offset a link names (#table=geo&offset=20, as its prev/next links do). A broker with an API
key serves the page opened as /?key=KEY, whose fetches carry the key. Screenshots of both pages
(1280x1600) go to the scratch directory, kept with KEEP_WORK=1. Every process is stopped by pid.

    /usr/bin/python3 tests/monitor/status_page_test.py build/pinstream SOURCE_DIR
"""

import html.parser
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gateway"))
from pinstream_broker import Broker, Process, wait_for  # noqa: E402

STREAMS = ["streaming-demo-pin", "streaming-demo-geo", "streaming-demo-user"]
RATE = 300  # records per second, over the three streams
SAMPLES = 4  # history points each chart needs before the page is loaded
DEADLINE_S = 40
CHROMIUM = "/usr/bin/chromium"



def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], ""

    def find_all(self, tag=None, **attrs):
        """Descendants with `tag` whose attributes include `attrs` (None: present, any value);
        a trailing underscore in a name stands for a dash (data_rate: data-rate)."""
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for c in self.children:
            if (tag is None or c.tag == tag) and all(
                    k in c.attrs and (v is None or c.attrs[k] == v) for k, v in want.items()):
                found.append(c)
            found.extend(c.find_all(tag, **attrs))
        return found

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        assert found, "no <%s %s> in the page" % (tag, attrs)
        return found[0]

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)


class Dom(html.parser.HTMLParser):
    """The dumped DOM as a tree of Nodes (void elements have no children)."""
    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}

    def __init__(self, text):
        super().__init__()
        self.root = self.at = Node("#root", {}, None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        if tag not in self.VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))

    def handle_endtag(self, tag):
        node = self.at
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.at = node.parent

    def handle_data(self, data):
        self.at.text += data


class Chromium:
    """Headless Chromium runs, each in a fresh profile under `scratch`."""

    def __init__(self, scratch):
        self.scratch, self.runs = scratch, 0

    def run(self, url, *args):
        self.runs += 1
        profile = os.path.join(self.scratch, "chromium-profile-%d" % self.runs)
        log = os.path.join(self.scratch, "chromium-%d.err" % self.runs)
        # The budget is virtual time: it runs on while the page's fetches are answered, so a few
        # seconds of it see the first refresh drawn and a couple after it.
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
               "--virtual-time-budget=3000", *args, url]
        # Its own process group, so that a run that hangs is stopped with all its children.
        with open(log, "wb") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                out, _ = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise AssertionError("chromium took over 60 s on " + url)
        if proc.returncode != 0:
            raise AssertionError("chromium exited %d on %s: %s" %
                                 (proc.returncode, url, open(log).read()[-2000:]))
        return out.decode()

    def dom(self, url):
        text = self.run(url, "--dump-dom")
        with open(os.path.join(self.scratch, "dom-%d.html" % self.runs), "w") as f:
            f.write(text)
        return Dom(text).root

    def screenshot(self, url, path):
        self.run(url, "--window-size=1280,1600", "--screenshot=" + path)
        assert os.path.getsize(path) > 10000, path


def checked(load_and_check, attempts=3):
    """Loads a page and checks it, again after a failure: on a loaded machine the emulation may
    stall for the second that a rate covers. Each failure is reported."""
    for attempt in range(1, attempts + 1):
        try:
            return load_and_check()
        except AssertionError as e:
            print("# attempt %d of %d failed: %r" % (attempt, attempts, e), file=sys.stderr)
            if attempt == attempts:
                raise
            time.sleep(1)


def polyline_points(svg, series):
    points = svg.find("polyline", data_series=series).attrs.get("points", "")
    return [tuple(map(float, p.split(","))) for p in points.split()]


def check_drawn(page, kind):
    """The page drew `kind`'s view from data it fetched (a failed fetch or a script error shows
    in #updated instead)."""
    main = page.find("main", id="main")
    assert main.attrs.get("data-kind") == kind, main.attrs
    updated = page.find(id="updated").all_text()
    assert updated.startswith("updated "), updated


def check_broker_page(page):
    check_drawn(page, "broker")
    for stream in STREAMS:
        row = page.find("tr", class_="stream", data_stream=stream)
        rate = float(row.find("td", data_rate="in").attrs["data-value"])
        assert rate > 0, (stream, "incoming rate", rate)
        shards = [tr for tr in page.find_all("tr", data_stream=stream, data_shard=None)]
        assert len(shards) == 4, (stream, len(shards))
        chart = page.find("figure", data_stream=stream).find("svg", data_chart=stream)
        assert "chart" in chart.attrs["class"].split()
        points = polyline_points(chart, "in_records/" + stream)
        assert len(points) >= 2, (stream, points)
        zero = max(float(line.attrs["y1"]) for line in chart.find_all("line"))  # the 0 gridline
        assert any(y < zero - 1 for _, y in points), (stream, "a flat line at zero", points)
        assert len(polyline_points(chart, "out_records/" + stream)) >= 2
    actions = {tr.attrs["data-action"] for tr in page.find("div", id="requests").find_all("tr")
               if "data-action" in tr.attrs}
    assert {"PutRecords", "GetRecords"} <= actions, actions


def check_processor_page(page, table, offset):
    check_drawn(page, "processor")
    assert float(page.find(data_total="records_in").attrs["data-value"]) > 0
    listed = [li.attrs["data-table"] for li in page.find("ul", id="tables").find_all("li")]
    for name in ("pin", "geo", "user", "dead_letters"):
        assert name in listed, (name, listed)
    assert any(n.startswith("q_") for n in listed), listed
    # dead_letters (and data_loss, with "on_data_loss": "continue") come last, set apart, with
    # the count of this run as a badge.
    special = [n for n in listed if n in ("dead_letters", "data_loss")]
    assert listed[-len(special):] == special, listed
    dead = page.find("li", data_table="dead_letters")
    assert "special" in dead.attrs["class"].split() and dead.find(class_="badge", data_count=None)
    assert "selected" in page.find("li", data_table=table).attrs["class"].split()
    for chart, series in (("records", "records_in_per_s"), ("lag", "millis_behind"),
                          ("latency", "batch_seconds")):
        assert len(polyline_points(page.find("svg", data_chart=chart), series)) >= 2, chart
    assert page.find_all("tr", data_operator="pin/0:parse_json")
    assert len(page.find("div", id="shards").find_all("tr", data_shard=None)) == 12

    rows = page.find("table", id="rows")
    assert rows.attrs["data-table"] == table, rows.attrs
    assert rows.attrs["data-offset"] == str(offset), rows.attrs
    body = rows.find("tbody").find_all("tr", data_row=None)
    assert len(body) == 20, len(body)
    assert body[0].attrs["data-row"] == str(offset), body[0].attrs
    header = [th.all_text() for th in rows.find("thead").find_all("th")]
    assert "ind" in header, header
    assert all(len(tr.find_all("td")) == len(header) for tr in body)
    next_page = page.find("a", id="rows-next").attrs["href"]
    assert next_page == "#table=%s&offset=%d" % (table, offset + 20), next_page
    prev = page.find(id="rows-prev")
    if offset:
        assert prev.tag == "a" and prev.attrs["href"] == "#table=" + table, prev.attrs
    else:
        assert prev.tag == "span", prev.attrs  # nothing before the first page



def main():
    binary = os.path.abspath(sys.argv[1])
    source = os.path.abspath(sys.argv[2])
    assert os.access(CHROMIUM, os.X_OK), CHROMIUM + " is missing: apt-get install chromium"
    scratch = tempfile.mkdtemp(prefix="pinstream-status-page-")
    started, brokers = [], []
    ok = False
    try:
        broker = Broker(binary, prefix="pinstream-status-page-broker-")
        brokers.append(broker)
        env = dict(os.environ, PINSTREAM_BROKER=broker.endpoint)
        env.pop("PINSTREAM_API_KEY", None)
        started.append(Process(
            [binary, "emulate", "--rate", str(RATE), "--count", "1000000", "--no-progress"],
            env, os.path.join(scratch, "emulate.log"), ready_line=False))
        processor = Process([binary, "run", os.path.join(source, "topologies", "pinterest.json"),
                             "--data", os.path.join(scratch, "processor"),
                             "--metrics", "127.0.0.1:0"], env, os.path.join(scratch, "run.err"))
        started.append(processor)
        page_b, page_p = broker.ready["status_page"], processor.ready["status_page"]

        def broker_ready():
            status = get_json(broker.url + "/monitor/status")
            series = get_json(broker.url + "/monitor/history")["series"]
            rates = {s["name"]: s["incoming_records_per_s"] for s in status["streams"]}
            return all(rates.get(s, 0) > 0 and len(series.get("in_records/" + s, [])) >= SAMPLES
                       for s in STREAMS)

        def processor_ready():
            status = get_json(page_p + "monitor/status")
            series = get_json(page_p + "monitor/history")["series"]
            tables = {t["name"]: t["version"] for t in status["tables"]}
            # geo needs two pages of rows for the offset below.
            return (len(series.get("records_in_per_s", [])) >= SAMPLES and
                    tables.get("geo", 0) >= 1 and status["records_in"] >= 3 * 100)

        wait_for("the broker's rates and history", broker_ready, DEADLINE_S)
        wait_for("the processor's tables and history", processor_ready, DEADLINE_S)

        chromium = Chromium(scratch)
        checked(lambda: check_broker_page(chromium.dom(page_b)))
        checked(lambda: check_processor_page(chromium.dom(page_p), "pin", 0))
        checked(lambda: check_processor_page(chromium.dom(page_p + "#table=geo&offset=20"),
                                             "geo", 20))
        chromium.screenshot(page_b, os.path.join(scratch, "broker.png"))
        chromium.screenshot(page_p, os.path.join(scratch, "processor.png"))

        # A broker with an API key: the page's own fetches must carry it.
        key_file = os.path.join(scratch, "api.key")
        with open(key_file, "w") as f:
            f.write("status-page-key\n")
        keyed = Broker(binary, ["--api-key-file", key_file], prefix="pinstream-status-page-keyed-")
        brokers.append(keyed)
        page = chromium.dom(keyed.ready["status_page"] + "?key=status-page-key")
        check_drawn(page, "broker")
        ok = True
        print("monitor.status_page: ok (%d Chromium runs; screenshots in %s)" %
              (chromium.runs, scratch))
    finally:
        for p in reversed(started):
            p.stop()
        for b in brokers:
            b.close()
        if ok and not os.environ.get("KEEP_WORK"):
            shutil.rmtree(scratch, ignore_errors=True)
        elif not ok:
            print("scratch kept: " + scratch, file=sys.stderr)


if __name__ == "__main__":
    main()
