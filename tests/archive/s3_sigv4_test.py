"""archive.s3_sigv4: the S3 store's requests carry signatures that AWS's own code accepts.

s3rver (archive.s3) checks access key ids but not SigV4 signatures, so this test stands a small
S3 endpoint of its own on a loopback port that recomputes every request's signature with
botocore's S3SigV4Auth (the signer of the AWS CLI and boto3) and refuses a mismatch as S3 does
(403 SignatureDoesNotMatch). It keeps objects in memory and pages ListObjectsV2 two keys at a
time, so resuming walks continuation tokens. `pinstream archive` then runs against it through
a real broker: signed PUTs, GETs and listings, a session token, keys with '+' and '=', and a
wrong secret refused.

    /usr/bin/python3 tests/archive/s3_sigv4_test.py build/pinstream
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gateway"))
from pinstream_broker import Broker  # noqa: E402

KEY_ID, SECRET, TOKEN = "AKIDPINSTREAMTEST", "secret/with+odd=chars", "session-token-123"
REGION = "eu-west-3"


class S3:
    """What the endpoint holds and what it saw."""

    def __init__(self):
        self.objects = {}  # "bucket/key" -> bytes
        self.lock = threading.Lock()
        self.verified = 0
        self.refused = []
        self.tokens_seen = 0
        self.list_pages = 0


def verify(handler, body):
    """None when the request's SigV4 signature is right, else why not."""
    auth = handler.headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no SigV4 Authorization header"
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key_id, date, region, service, _ = fields["Credential"].split("/")
    if (key_id, region, service) != (KEY_ID, REGION, "s3"):
        return "credential scope %s" % fields["Credential"]
    signed = fields["SignedHeaders"].split(";")
    for required in ("host", "x-amz-date", "x-amz-content-sha256"):
        if required not in signed:
            return "%s is not signed" % required
    headers = {name: handler.headers[name] for name in signed}
    request = AWSRequest(method=handler.command, url="http://%s%s" % (handler.headers["Host"],
                                                                       handler.path),
                         data=body, headers=headers)
    request.context["timestamp"] = handler.headers["x-amz-date"]
    signer = S3SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "s3", REGION)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != fields["Signature"]:
        return "signature mismatch; botocore's canonical request:\n" + canonical
    if not date == handler.headers["x-amz-date"][:8]:
        return "scope date %s" % date
    return None


def make_handler(s3):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", content_type="application/xml"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, code, message):
            self.reply(status, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                                "<Message>%s</Message></Error>" % (code, escape(message))).encode())

        def handle_any(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            why = verify(self, body)
            with s3.lock:
                if why:
                    s3.refused.append("%s %s: %s" % (self.command, self.path, why))
                else:
                    s3.verified += 1
                if self.headers.get("x-amz-security-token") == TOKEN:
                    s3.tokens_seen += 1
            if why:
                return self.error(403, "SignatureDoesNotMatch", "The request signature we "
                                  "calculated does not match the signature you provided.")
            parsed = urllib.parse.urlsplit(self.path)
            bucket, _, key = parsed.path[1:].partition("/")
            key = urllib.parse.unquote(key)
            if bucket != "bkt":
                return self.error(404, "NoSuchBucket", "The specified bucket does not exist")
            if self.command == "PUT":
                with s3.lock:
                    s3.objects[key] = body
                return self.reply(200)
            query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
            if self.command == "GET" and not key and query.get("list-type") == ["2"]:
                return self.list_page(query)
            if self.command == "GET":
                with s3.lock:
                    data = s3.objects.get(key)
                if data is None:
                    return self.error(404, "NoSuchKey", "The specified key does not exist.")
                return self.reply(200, data, "application/octet-stream")
            return self.error(405, "MethodNotAllowed", self.command)

        def list_page(self, query):
            prefix = query.get("prefix", [""])[0]
            after = query.get("continuation-token", [""])[0]
            after = base64.b64decode(after).decode() if after else ""
            with s3.lock:
                keys = sorted(k for k in s3.objects if k.startswith(prefix) and k > after)
                s3.list_pages += 1
                page, more = keys[:2], len(keys) > 2
                sizes = {k: len(s3.objects[k]) for k in page}
            xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
                   "<Name>bkt</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>" %
                   (escape(prefix), len(page)),
                   "<IsTruncated>%s</IsTruncated>" % ("true" if more else "false")]
            for k in page:
                xml.append("<Contents><Key>%s</Key><Size>%d</Size></Contents>" %
                           (escape(k), sizes[k]))
            if more:
                xml.append("<NextContinuationToken>%s</NextContinuationToken>" %
                           base64.b64encode(page[-1].encode()).decode())
            xml.append("</ListBucketResult>")
            self.reply(200, "".join(xml).encode())

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

    return Handler


def main():
    binary = sys.argv[1]
    failures = []
    passed = 0

    def check(name, ok, detail=""):
        nonlocal passed
        if ok:
            passed += 1
            print("ok - " + name)
        else:
            failures.append(name)
            print("not ok - %s %s" % (name, detail), file=sys.stderr)

    s3 = S3()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(s3))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    work = tempfile.mkdtemp(prefix="pinstream-s3-sigv4-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
               AWS_REGION=REGION, AWS_ENDPOINT_URL=endpoint,
               AWS_CONFIG_FILE=os.path.join(work, "none"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "none"))
    broker = Broker(binary, prefix="pinstream-s3-sigv4-broker-")
    try:
        env["PINSTREAM_BROKER"] = broker.endpoint

        def pinstream(*args, expect=0):
            run = subprocess.run([binary, *args], env=env, capture_output=True, text=True,
                                 timeout=120)
            if run.returncode != expect:
                raise AssertionError("pinstream %s exited %d: %s" % (" ".join(args),
                                                                     run.returncode, run.stderr))
            return run

        pinstream("stream", "create", "sig.pin", "--shards", "2")
        records = os.path.join(work, "records.jsonl")

        def put(first, n):
            with open(records, "w") as f:
                for i in range(first, first + n):
                    data = json.dumps({"i": i}).encode()
                    f.write(json.dumps({"PartitionKey": "k%d" % i,
                                        "Data": base64.b64encode(data).decode()}) + "\n")
            pinstream("stream", "put-records", "sig.pin", "--file", records)

        put(0, 40)
        out = json.loads(pinstream("archive", "sig.pin", "--to", "s3://bkt/a+b=c/prefix",
                                   "--flush-size", "7", "--once").stdout)
        check("every record archived", out["records"] == 40, out)
        check("no request refused", not s3.refused, "\n".join(s3.refused[:3]))
        check("every request signed with the session token", s3.tokens_seen == s3.verified > 0,
              (s3.tokens_seen, s3.verified))
        keys = sorted(s3.objects)
        check("keys keep '+' and '=' through the signed path",
              "a+b=c/prefix/topics/sig.pin/partition=0/sig.pin+0+0000000001.json" in keys,
              keys[:4])

        put(40, 10)
        pages_before = s3.list_pages
        out = json.loads(pinstream("archive", "sig.pin", "--to", "s3://bkt/a+b=c/prefix",
                                   "--flush-size", "7", "--once").stdout)
        check("resumed through signed, paged listings", out["records"] == 10, out)
        check("listing walked continuation tokens", s3.list_pages - pages_before > 2,
              s3.list_pages - pages_before)
        lines = []
        for k in sorted(s3.objects):
            if not k.endswith(".headers.json"):
                lines += s3.objects[k].decode().splitlines()
        check("every record once", sorted(json.loads(l)["i"] for l in lines) == list(range(50)))
        check("still no request refused", not s3.refused, "\n".join(s3.refused[:3]))

        env["AWS_SECRET_ACCESS_KEY"] = "wrong"
        run = pinstream("archive", "sig.pin", "--to", "s3://bkt/x", "--once", expect=1)
        check("a wrong secret is refused as S3 refuses it",
              run.stderr.startswith("InvalidSignatureException: SignatureDoesNotMatch: "),
              run.stderr)
    except AssertionError as e:
        print("not ok - %s\nrefused: %s" % (e, "\n".join(s3.refused[:2])), file=sys.stderr)
        failures.append(str(e))
    finally:
        broker.close()
        server.shutdown()
    print("s3_sigv4_test: %d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
