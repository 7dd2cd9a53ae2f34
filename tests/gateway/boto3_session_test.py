#!/usr/bin/python3
"""A whole Kinesis session through boto3, as existing Kinesis code runs one (issue 15).

Against a real `pinstream broker` whose streams take a while to be CREATING, UPDATING and
DELETING (so boto3's waiters poll): create a stream and wait for it, put records, split a shard,
merge two, scale with UpdateShardCount, read every shard from the oldest following ChildShards
(a child only after its parents, as the KCL does), tag, change the retention period, delete and
wait until the stream is gone. The broker is stopped by its pid.

    /usr/bin/python3 tests/gateway/boto3_session_test.py build/pinstream
"""

import os
import sys
import unittest

import boto3
import botocore.config
import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinstream_broker  # noqa: E402

PINSTREAM = None  # set from argv in main
DELAY_MS = 300  # each state change takes this long


def kinesis_client(url):
    return boto3.session.Session().client(
        "kinesis", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="pinstream-test", aws_secret_access_key="pinstream-test",
        config=botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}))


class SessionTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        delay = str(DELAY_MS)
        cls.broker = pinstream_broker.Broker(
            PINSTREAM, ["--create-stream-ms", delay, "--update-stream-ms", delay,
                        "--delete-stream-ms", delay], prefix="pinstream-session-")
        cls.kinesis = kinesis_client(cls.broker.url)

    @classmethod
    def tearDownClass(cls):
        cls.kinesis.close()
        cls.broker.stop()

    def wait_active(self, name):
        self.kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})

    def status(self, name):
        return self.kinesis.describe_stream_summary(
            StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]

    def shards(self, name):
        pages = self.kinesis.get_paginator("list_shards").paginate(StreamName=name)
        return [s for page in pages for s in page["Shards"]]

    def read_to_end(self, name, shard_id):
        """Every record of a shard from TRIM_HORIZON, and the ChildShards at its end (None
        while the shard is open)."""
        it = self.kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        while it:
            page = self.kinesis.get_records(ShardIterator=it, Limit=7)
            records += page["Records"]
            if "ChildShards" in page:
                self.assertIsNone(page.get("NextShardIterator"))
                return records, page["ChildShards"]
            if not page["Records"]:
                return records, None
            it = page["NextShardIterator"]
        return records, None

    def test_whole_session(self):
        name = "boto3-session"
        k = self.kinesis
        k.create_stream(StreamName=name, ShardCount=2)
        self.assertEqual(self.status(name), "CREATING")
        with self.assertRaises(k.exceptions.ResourceNotFoundException):
            k.put_record(StreamName=name, Data=b"too early", PartitionKey="p")
        self.wait_active(name)
        self.assertEqual(self.status(name), "ACTIVE")

        sent = []  # (partition key, data) in the order put

        def put(n):
            records = []
            for i in range(n):
                key = "key-%d" % (len(sent) % 16)
                data = b"r%04d" % len(sent)
                sent.append((key, data))
                records.append({"PartitionKey": key, "Data": data})
            reply = k.put_records(StreamName=name, Records=records)
            self.assertEqual(reply["FailedRecordCount"], 0)
            for r in reply["Records"]:
                self.assertEqual(len(r["SequenceNumber"]), 56)

        put(40)
        shards = self.shards(name)
        self.assertEqual([s["ShardId"] for s in shards],
                         ["shardId-000000000000", "shardId-000000000001"])

        # Split the first shard in the middle of its range.
        first = shards[0]["HashKeyRange"]
        middle = (int(first["StartingHashKey"]) + int(first["EndingHashKey"])) // 2 + 1
        k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                      NewStartingHashKey=str(middle))
        self.assertEqual(self.status(name), "UPDATING")
        put(20)  # an UPDATING stream takes records
        with self.assertRaises(k.exceptions.ResourceInUseException):
            k.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                           AdjacentShardToMerge="shardId-000000000003")
        self.wait_active(name)

        shards = {s["ShardId"]: s for s in self.shards(name)}
        self.assertIn("EndingSequenceNumber", shards["shardId-000000000000"]["SequenceNumberRange"])
        self.assertEqual(shards["shardId-000000000002"]["ParentShardId"], "shardId-000000000000")
        self.assertEqual(shards["shardId-000000000003"]["ParentShardId"], "shardId-000000000000")

        # Merge the split's upper child with the second original shard.
        k.merge_shards(StreamName=name, ShardToMerge="shardId-000000000003",
                       AdjacentShardToMerge="shardId-000000000001")
        self.wait_active(name)
        merged = self.shards(name)[-1]
        self.assertEqual(merged["ParentShardId"], "shardId-000000000003")
        self.assertEqual(merged["AdjacentParentShardId"], "shardId-000000000001")
        put(20)

        # Scale up and down.
        reply = k.update_shard_count(StreamName=name, TargetShardCount=4,
                                     ScalingType="UNIFORM_SCALING")
        self.assertEqual(reply["CurrentShardCount"], 2)
        self.assertEqual(reply["TargetShardCount"], 4)
        self.wait_active(name)
        put(20)
        with self.assertRaises(k.exceptions.LimitExceededException):
            k.update_shard_count(StreamName=name, TargetShardCount=1,
                                 ScalingType="UNIFORM_SCALING")
        k.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
        self.wait_active(name)
        put(20)
        latest = self.kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})
        self.assertEqual(len(latest["Shards"]), 3)
        summary = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["OpenShardCount"], 3)

        # Read as the KCL does: the oldest shards first, a child once all its parents are done.
        all_shards = {s["ShardId"]: s for s in self.shards(name)}
        done, got = set(), []
        ready = [sid for sid, s in all_shards.items() if "ParentShardId" not in s]
        while ready:
            sid = ready.pop(0)
            records, children = self.read_to_end(name, sid)
            done.add(sid)
            got += [(r["PartitionKey"], r["Data"]) for r in records]
            for child in children or []:
                if child["ShardId"] in done or child["ShardId"] in ready:
                    continue
                if all(p in done for p in child["ParentShards"]):
                    ready.append(child["ShardId"])
        self.assertEqual(done, set(all_shards))
        self.assertEqual(sorted(got), sorted(sent))
        # Each key's records in the order they were put.
        for key in {key for key, _ in sent}:
            self.assertEqual([d for kk, d in got if kk == key], [d for kk, d in sent if kk == key])

        # Tags and retention.
        k.add_tags_to_stream(StreamName=name, Tags={"team": "data", "stage": "test"})
        tags = k.list_tags_for_stream(StreamName=name)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags),
                         [("stage", "test"), ("team", "data")])
        k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        self.assertEqual(k.describe_stream_summary(StreamName=name)
                         ["StreamDescriptionSummary"]["RetentionPeriodHours"], 48)

        # Delete, and wait until it is gone.
        k.delete_stream(StreamName=name)
        self.assertEqual(self.status(name), "DELETING")
        k.get_waiter("stream_not_exists").wait(StreamName=name,
                                               WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
        with self.assertRaises(k.exceptions.ResourceNotFoundException):
            k.describe_stream_summary(StreamName=name)


def main():
    global PINSTREAM
    PINSTREAM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
