#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) and the seeds' posting scripts against a real broker.

Starts `pinstream broker --http 127.0.0.1:0` on free loopback ports, reads its ready line from a
pipe with a deadline, drives every Kinesis action of SPEC section 3 through boto3 with
endpoint_url, posts the way the original scripts did (REST proxy with `requests`-style JSON, the
Kafka REST proxy's produce call), checks the API key, and stops the broker by its pid.

    /usr/bin/python3 tests/gateway/boto3_test.py build/pinstream
"""

import base64
import datetime
import json
import os
import shutil
import sys
import tempfile
import unittest

import boto3
import botocore.config
import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinstream_broker  # noqa: E402
from pinstream_broker import http  # noqa: E402

PINSTREAM = None  # set from argv in main


def Broker(extra_args=()):
    """A `pinstream broker` child process with its HTTP gateway (pinstream_broker.Broker)."""
    return pinstream_broker.Broker(PINSTREAM, extra_args, prefix="pinstream-boto3-")

def kinesis_client(url, **kwargs):
    return boto3.session.Session().client(
        "kinesis", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="pinstream-test", aws_secret_access_key="pinstream-test",
        config=botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}),
        **kwargs)


class GatewayTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        cls.kinesis = kinesis_client(cls.broker.url)

    @classmethod
    def tearDownClass(cls):
        cls.kinesis.close()
        try:
            status = cls.broker.terminate()
            if status != 0:
                raise AssertionError("broker exited with %s: %s" % (status, cls.broker.log()))
        finally:
            cls.broker.close()

    def create(self, name, shards):
        self.kinesis.create_stream(StreamName=name, ShardCount=shards)
        self.kinesis.get_waiter("stream_exists").wait(StreamName=name)

    def read_shard(self, stream, shard_id, **position):
        position.setdefault("ShardIteratorType", "TRIM_HORIZON")
        it = self.kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id,
                                             **position)["ShardIterator"]
        return self.kinesis.get_records(ShardIterator=it, Limit=10000)["Records"]

    def read_all(self, stream):
        out = []
        for shard in self.kinesis.list_shards(StreamName=stream)["Shards"]:
            out += self.read_shard(stream, shard["ShardId"])
        return out

    # --- Kinesis through boto3 ----------------------------------------------------------------

    def test_control_plane(self):
        self.create("boto-control", 3)
        self.assertIn("boto-control", self.kinesis.list_streams()["StreamNames"])
        desc = self.kinesis.describe_stream(StreamName="boto-control")["StreamDescription"]
        self.assertEqual(desc["StreamStatus"], "ACTIVE")
        self.assertEqual(len(desc["Shards"]), 3)
        self.assertEqual(desc["Shards"][0]["HashKeyRange"]["StartingHashKey"], "0")
        self.assertEqual(desc["Shards"][2]["HashKeyRange"]["EndingHashKey"], str(2**128 - 1))
        self.assertIsInstance(desc["StreamCreationTimestamp"], datetime.datetime)
        summary = self.kinesis.describe_stream_summary(StreamName="boto-control")
        self.assertEqual(summary["StreamDescriptionSummary"]["OpenShardCount"], 3)
        self.assertEqual(len(self.kinesis.list_shards(StreamName="boto-control")["Shards"]), 3)
        with self.assertRaises(self.kinesis.exceptions.ResourceInUseException):
            self.kinesis.create_stream(StreamName="boto-control", ShardCount=1)
        self.kinesis.delete_stream(StreamName="boto-control")
        self.kinesis.get_waiter("stream_not_exists").wait(StreamName="boto-control")
        self.assertNotIn("boto-control", self.kinesis.list_streams()["StreamNames"])
        with self.assertRaises(self.kinesis.exceptions.ResourceNotFoundException):
            self.kinesis.describe_stream(StreamName="boto-control")

    def test_put_and_get_round_trip(self):
        self.create("boto-data", 2)
        payload = bytes(range(256))
        put = self.kinesis.put_record(StreamName="boto-data", PartitionKey="k", Data=payload)
        records = self.read_shard("boto-data", put["ShardId"])
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["Data"], payload)
        self.assertEqual(records[0]["PartitionKey"], "k")
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        self.assertIsInstance(records[0]["ApproximateArrivalTimestamp"], datetime.datetime)

    def test_put_records_partial_failure(self):
        self.create("boto-batch", 4)
        entries = [{"Data": ("record %d" % i).encode(), "PartitionKey": "key-%d" % i}
                   for i in range(10)]
        # botocore checks only minimum lengths: the 300-character key reaches the server, which
        # refuses the whole call in AWS's words.
        long_key = [dict(e) for e in entries]
        long_key[4]["PartitionKey"] = "k" * 300
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.kinesis.put_records(StreamName="boto-batch", Records=long_key)
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "1 validation error detected: Value '%s' at "
                         "'records.5.member.partitionKey' failed to satisfy constraint: Member "
                         "must have length less than or equal to 256" % ("k" * 300))
        # Data past 1 MiB is within the model's 10 MiB: the store fails that record alone.
        entries[4]["Data"] = b"x" * (1024 * 1024 + 1)
        r = self.kinesis.put_records(StreamName="boto-batch", Records=entries)
        self.assertEqual(r["FailedRecordCount"], 1)
        self.assertEqual(r["Records"][4]["ErrorCode"], "InvalidArgumentException")
        self.assertIn("ErrorMessage", r["Records"][4])
        for i in range(10):
            if i != 4:
                self.assertIn("SequenceNumber", r["Records"][i])
                self.assertIn("ShardId", r["Records"][i])
        stored = sorted(rec["Data"] for rec in self.read_all("boto-batch"))
        self.assertEqual(stored, sorted(("record %d" % i).encode() for i in range(10) if i != 4))

    def test_every_iterator_type(self):
        self.create("boto-iter", 1)
        shard = "shardId-000000000000"
        seqs = [self.kinesis.put_record(StreamName="boto-iter", PartitionKey="k",
                                        Data=b"r%d" % i)["SequenceNumber"] for i in range(3)]

        def data(**position):
            return [r["Data"] for r in self.read_shard("boto-iter", shard, **position)]

        self.assertEqual(data(ShardIteratorType="TRIM_HORIZON"), [b"r0", b"r1", b"r2"])
        self.assertEqual(data(ShardIteratorType="LATEST"), [])
        self.assertEqual(data(ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=seqs[1]), [b"r1", b"r2"])
        self.assertEqual(data(ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                              StartingSequenceNumber=seqs[1]), [b"r2"])
        self.assertEqual(data(ShardIteratorType="AT_TIMESTAMP",
                              Timestamp=datetime.datetime(2020, 1, 1,
                                                          tzinfo=datetime.timezone.utc)),
                         [b"r0", b"r1", b"r2"])
        # AWS refuses a timestamp in the future.
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            data(ShardIteratorType="AT_TIMESTAMP", Timestamp=future)
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidArgumentException")

        # LATEST sees what comes after it; NextShardIterator continues from there.
        it = self.kinesis.get_shard_iterator(StreamName="boto-iter", ShardId=shard,
                                             ShardIteratorType="LATEST")["ShardIterator"]
        self.kinesis.put_record(StreamName="boto-iter", PartitionKey="k", Data=b"r3")
        got = self.kinesis.get_records(ShardIterator=it)
        self.assertEqual([r["Data"] for r in got["Records"]], [b"r3"])
        self.assertEqual(self.kinesis.get_records(
            ShardIterator=got["NextShardIterator"])["Records"], [])
        self.assertIn("MillisBehindLatest", got)

    def test_errors(self):
        with self.assertRaises(self.kinesis.exceptions.ResourceNotFoundException) as caught:
            self.kinesis.put_record(StreamName="boto-missing", PartitionKey="k", Data=b"x")
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "Stream boto-missing under account 000000000000 not found.")
        with self.assertRaises(self.kinesis.exceptions.InvalidArgumentException) as caught:
            self.kinesis.get_records(ShardIterator="not-an-iterator")
        self.assertEqual(caught.exception.response["Error"]["Message"], "Invalid ShardIterator.")
        with self.assertRaises(self.kinesis.exceptions.LimitExceededException):
            self.kinesis.create_stream(StreamName="boto-huge", ShardCount=100000)

    # --- the seeds' posting scripts ---------------------------------------------------------

    def test_seed_rest_proxy_script(self):
        # user_posting_emulation_streaming.py: PUT /streams/{name}/record, a row under Data.
        base = self.broker.url
        status, _, _ = http("POST", base + "/streams/0a1b2c.pin", {"ShardCount": 2})
        self.assertEqual(status, 200)
        status, body, _ = http("GET", base + "/streams")
        self.assertIn("0a1b2c.pin", body["StreamNames"])
        row = {"index": 7528, "unique_id": "fbe53c66", "title": "No Title Data Available",
               "follower_count": "12k", "downloaded": 1}
        payload = json.dumps({"StreamName": "0a1b2c.pin", "Data": row,
                              "PartitionKey": "partition-1"})
        status, body, ctype = http("PUT", base + "/streams/0a1b2c.pin/record", payload.encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "application/json")
        self.assertIn("SequenceNumber", body)
        stored = self.read_all("0a1b2c.pin")
        self.assertEqual(len(stored), 1)
        self.assertEqual(json.loads(stored[0]["Data"]), row)
        self.assertEqual(stored[0]["PartitionKey"], "partition-1")

        status, body, _ = http("PUT", base + "/streams/0a1b2c.pin/records",
                               {"records": [{"data": "a", "partition-key": "p"},
                                            {"data": {"x": 1}, "partition-key": "q"}]})
        self.assertEqual((status, body["FailedRecordCount"]), (200, 0))
        status, body, _ = http("GET", base + "/streams/0a1b2c.pin")
        self.assertEqual(len(body["StreamDescription"]["Shards"]), 2)
        status, body, _ = http("PUT", base + "/streams/nope/record", payload.encode())
        self.assertEqual((status, body["__type"]), (404, "ResourceNotFoundException"))
        status, body, _ = http("PUT", base + "/streams/0a1b2c.pin/record", b"{not json")
        self.assertEqual(status, 400)
        status, _, _ = http("DELETE", base + "/streams/0a1b2c.pin")
        self.assertEqual(status, 200)

    def test_seed_kafka_rest_proxy_script(self):
        # user_posting_emulation.py: POST /topics/{name}, {"records":[{"value": row}]}.
        self.create("0a1b2c.geo", 2)
        rows = [{"ind": i, "timestamp": "2020-08-28 03:52:47", "latitude": -89.9787,
                 "longitude": -173.293, "country": "Antarctica (the territory South of 60 deg S)"}
                for i in range(5)]
        payload = json.dumps({"records": [{"value": r} for r in rows]}, default=str)
        status, body, ctype = http("POST", self.broker.url + "/topics/0a1b2c.geo",
                                   payload.encode(), "application/vnd.kafka.json.v2+json")
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "application/vnd.kafka.v2+json")
        self.assertEqual(len(body["offsets"]), 5)
        for o in body["offsets"]:
            self.assertIn(o["partition"], (0, 1))
            self.assertIsInstance(o["offset"], int)
            self.assertIsNone(o["error_code"])
        self.assertIsNone(body["key_schema_id"])
        stored = sorted((json.loads(r["Data"]) for r in self.read_all("0a1b2c.geo")),
                        key=lambda r: r["ind"])
        self.assertEqual(stored, rows)
        status, body, _ = http("POST", self.broker.url + "/topics/missing", payload.encode(),
                               "application/vnd.kafka.json.v2+json")
        self.assertEqual((status, body["error_code"]), (404, 40401))


class ApiKeyTest(unittest.TestCase):

    def test_api_key(self):
        key_file = os.path.join(tempfile.mkdtemp(prefix="pinstream-key-"), "key")
        with open(key_file, "w") as f:
            f.write("sekrit\n")
        os.chmod(key_file, 0o600)
        broker = Broker(["--api-key-file", key_file])
        try:
            plain = kinesis_client(broker.url)
            with self.assertRaises(botocore.exceptions.ClientError) as caught:
                plain.list_streams()
            self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
            self.assertEqual(caught.exception.response["Error"]["Code"], "AccessDeniedException")
            plain.close()

            keyed = kinesis_client(broker.url)

            def add_key(request, **_):
                request.headers["x-api-key"] = "sekrit"

            keyed.meta.events.register("before-sign.kinesis.*", add_key)
            keyed.create_stream(StreamName="keyed", ShardCount=1)
            self.assertEqual(keyed.list_streams()["StreamNames"], ["keyed"])
            keyed.close()

            status, body, _ = http("GET", broker.url + "/streams")
            self.assertEqual(status, 403)
            status, body, _ = http("GET", broker.url + "/streams", headers={"x-api-key": "wrong"})
            self.assertEqual(status, 403)
            status, body, _ = http("GET", broker.url + "/streams", headers={"x-api-key": "sekrit"})
            self.assertEqual((status, body["StreamNames"]), (200, ["keyed"]))
            self.assertEqual(broker.terminate(), 0, broker.log())
        finally:
            broker.close()


class SigV4Test(unittest.TestCase):
    """`broker --aws-credentials FILE`: the gateway verifies SigV4 on Kinesis requests."""

    KEY_ID = "AKIDPINSTREAMTEST"
    SECRET = "right-secret/+example"

    def signed_request(self, url, secret, key_id=None, skew=datetime.timedelta(0)):
        """A ListStreams signed by botocore's SigV4Auth with the clock moved by `skew`; its
        (status, parsed body)."""
        import unittest.mock
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=url + "/", data=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "Kinesis_20131202.ListStreams"})
        creds = botocore.credentials.Credentials(key_id or self.KEY_ID, secret)
        real = datetime.datetime

        class Shifted(real):
            @classmethod
            def utcnow(cls):
                return real.utcnow() + skew

        with unittest.mock.patch.object(botocore.auth.datetime, "datetime", Shifted):
            botocore.auth.SigV4Auth(creds, "kinesis", "us-east-1").add_auth(req)
        prepared = req.prepare()
        status, body, _ = http("POST", url + "/", prepared.body,
                               "application/x-amz-json-1.1", dict(prepared.headers))
        return status, body

    def test_signatures_are_verified(self):
        folder = tempfile.mkdtemp(prefix="pinstream-creds-")
        creds_file = os.path.join(folder, "credentials")
        with open(creds_file, "w") as f:
            f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" %
                    (self.KEY_ID, self.SECRET))
        os.chmod(creds_file, 0o600)
        broker = Broker(["--aws-credentials", creds_file])
        try:
            def client(secret, key_id=None):
                return boto3.session.Session().client(
                    "kinesis", endpoint_url=broker.url, region_name="us-east-1",
                    aws_access_key_id=key_id or self.KEY_ID, aws_secret_access_key=secret,
                    config=botocore.config.Config(retries={"max_attempts": 1}))

            good = client(self.SECRET)
            good.create_stream(StreamName="signed", ShardCount=1)
            self.assertEqual(good.list_streams()["StreamNames"], ["signed"])
            good.put_record(StreamName="signed", Data=b"x", PartitionKey="k")
            good.close()

            for secret, key_id, code in (("wrong-secret", None, "InvalidSignatureException"),
                                         (self.SECRET, "AKIDUNKNOWN", "UnrecognizedClientException")):
                bad = client(secret, key_id)
                with self.assertRaises(botocore.exceptions.ClientError) as caught:
                    bad.list_streams()
                response = caught.exception.response
                self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)
                self.assertEqual(response["Error"]["Code"], code)
                bad.close()

            status, body = self.signed_request(broker.url, self.SECRET)
            self.assertEqual((status, body["StreamNames"]), (200, ["signed"]))
            for skew in (datetime.timedelta(minutes=-10), datetime.timedelta(minutes=10)):
                status, body = self.signed_request(broker.url, self.SECRET, skew=skew)
                self.assertEqual(status, 400, body)
                self.assertEqual(body["__type"], "InvalidSignatureException")
                self.assertIn("Signature", body["message"])

            status, body, _ = http("POST", broker.url + "/", {}, "application/x-amz-json-1.1",
                                   {"X-Amz-Target": "Kinesis_20131202.ListStreams"})
            self.assertEqual(status, 403, body)
            self.assertEqual(body["__type"], "MissingAuthenticationTokenException")
            self.assertEqual(broker.terminate(), 0, broker.log())
        finally:
            broker.close()
            shutil.rmtree(folder, ignore_errors=True)


def main():
    global PINSTREAM
    if len(sys.argv) < 2:
        print("usage: boto3_test.py PINSTREAM_BINARY [unittest args]", file=sys.stderr)
        return 2
    PINSTREAM = os.path.abspath(sys.argv.pop(1))
    result = unittest.main(verbosity=2, exit=False).result
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
