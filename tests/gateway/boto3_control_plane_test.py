#!/usr/bin/python3
"""The Kinesis control plane (issue 15) through boto3 against a real broker's HTTP gateway.

Starts `pinstream broker --http 127.0.0.1:0` on free loopback ports (pinstream_broker.Broker)
and drives tags, retention, encryption, monitoring, stream modes, limits, consumers and the
paginated listings with boto3's own calls and paginators, as an unmodified client would.

    /usr/bin/python3 tests/gateway/boto3_control_plane_test.py build/pinstream
"""

import datetime
import os
import sys
import unittest

import boto3
import botocore.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pinstream_broker  # noqa: E402

PINSTREAM = None  # set from argv in main
ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/"


class ControlPlaneTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = pinstream_broker.Broker(PINSTREAM, (), prefix="pinstream-boto3-cp-")
        cls.kinesis = boto3.session.Session().client(
            "kinesis", endpoint_url=cls.broker.url, region_name="us-east-1",
            aws_access_key_id="pinstream-test", aws_secret_access_key="pinstream-test",
            config=botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}))

    @classmethod
    def tearDownClass(cls):
        cls.kinesis.close()
        try:
            status = cls.broker.terminate()
            if status != 0:
                raise AssertionError("broker exited with %s: %s" % (status, cls.broker.log()))
        finally:
            cls.broker.close()

    def raw(self, action, request):
        """An action this Debian botocore predates (TagResource, CreateStream's Tags, ...), sent
        as the same JSON 1.1 request a newer one sends; the reply's body."""
        status, body = pinstream_broker.kinesis(self.broker.url, action, request)
        self.assertEqual(status, 200, body)
        return body

    def summary(self, name):
        return self.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]

    def test_tags(self):
        self.raw("CreateStream", {"StreamName": "cp-tags", "ShardCount": 1,
                                  "Tags": {"env": "test"}})
        self.kinesis.add_tags_to_stream(StreamName="cp-tags", Tags={"a": "1", "b": "2"})
        page = self.kinesis.list_tags_for_stream(StreamName="cp-tags", Limit=2)
        self.assertEqual(page["Tags"], [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.assertTrue(page["HasMoreTags"])
        page = self.kinesis.list_tags_for_stream(StreamName="cp-tags", ExclusiveStartTagKey="b")
        self.assertEqual(page["Tags"], [{"Key": "env", "Value": "test"}])
        self.assertFalse(page["HasMoreTags"])
        self.kinesis.remove_tags_from_stream(StreamName="cp-tags", TagKeys=["a", "env"])
        self.raw("TagResource", {"ResourceARN": ARN + "cp-tags", "Tags": {"c": "3"}})
        self.raw("UntagResource", {"ResourceARN": ARN + "cp-tags", "TagKeys": ["b"]})
        self.assertEqual(self.raw("ListTagsForResource", {"ResourceARN": ARN + "cp-tags"})["Tags"],
                         [{"Key": "c", "Value": "3"}])
        with self.assertRaises(self.kinesis.exceptions.InvalidArgumentException) as e:
            self.kinesis.add_tags_to_stream(
                StreamName="cp-tags", Tags={"k%d" % i: "v" for i in range(50)})
        self.assertIn("cannot have more than 50 tags", str(e.exception))

    def test_retention_encryption_monitoring_mode(self):
        self.kinesis.create_stream(StreamName="cp-settings", ShardCount=2)
        self.kinesis.increase_stream_retention_period(StreamName="cp-settings",
                                                      RetentionPeriodHours=168)
        self.assertEqual(self.summary("cp-settings")["RetentionPeriodHours"], 168)
        with self.assertRaises(self.kinesis.exceptions.InvalidArgumentException) as e:
            self.kinesis.increase_stream_retention_period(StreamName="cp-settings",
                                                          RetentionPeriodHours=48)
        self.assertIn("Use DecreaseRetentionPeriod API", str(e.exception))
        self.kinesis.decrease_stream_retention_period(StreamName="cp-settings",
                                                      RetentionPeriodHours=48)
        desc = self.kinesis.describe_stream(StreamName="cp-settings")["StreamDescription"]
        self.assertEqual(desc["RetentionPeriodHours"], 48)

        self.kinesis.start_stream_encryption(StreamName="cp-settings", EncryptionType="KMS",
                                             KeyId="alias/aws/kinesis")
        s = self.summary("cp-settings")
        self.assertEqual((s["EncryptionType"], s["KeyId"]), ("KMS", "alias/aws/kinesis"))
        self.kinesis.stop_stream_encryption(StreamName="cp-settings", EncryptionType="KMS",
                                            KeyId="alias/aws/kinesis")
        self.assertEqual(self.summary("cp-settings")["EncryptionType"], "NONE")

        r = self.kinesis.enable_enhanced_monitoring(StreamName="cp-settings",
                                                    ShardLevelMetrics=["ALL"])
        self.assertEqual(r["CurrentShardLevelMetrics"], [])
        self.assertEqual(len(r["DesiredShardLevelMetrics"]), 7)
        r = self.kinesis.disable_enhanced_monitoring(StreamName="cp-settings",
                                                     ShardLevelMetrics=["IncomingBytes"])
        self.assertNotIn("IncomingBytes", r["DesiredShardLevelMetrics"])
        self.assertEqual(len(self.summary("cp-settings")["EnhancedMonitoring"][0]
                             ["ShardLevelMetrics"]), 6)

        before = self.kinesis.describe_limits()
        self.kinesis.update_stream_mode(StreamARN=ARN + "cp-settings",
                                        StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.assertEqual(self.summary("cp-settings")["StreamModeDetails"]["StreamMode"],
                         "ON_DEMAND")
        after = self.kinesis.describe_limits()
        self.assertEqual(after["OnDemandStreamCount"], before["OnDemandStreamCount"] + 1)
        self.assertEqual(after["OnDemandStreamCountLimit"], 50)
        self.assertEqual(after["ShardLimit"], 500)
        self.assertGreaterEqual(after["OpenShardCount"], 2)

        self.kinesis.create_stream(StreamName="cp-on-demand",
                                   StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.assertEqual(self.summary("cp-on-demand")["OpenShardCount"], 4)

    def test_consumers(self):
        self.kinesis.create_stream(StreamName="cp-consumers", ShardCount=1)
        arn = ARN + "cp-consumers"
        c = self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
        self.assertTrue(c["ConsumerARN"].startswith(arn + "/consumer/app:"))
        self.assertIsInstance(c["ConsumerCreationTimestamp"], datetime.datetime)
        self.kinesis.get_waiter("stream_exists").wait(StreamName="cp-consumers")
        d = self.kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
        self.assertEqual(d["ConsumerDescription"]["ConsumerStatus"], "ACTIVE")
        self.assertEqual(d["ConsumerDescription"]["StreamARN"], arn)
        for i in range(4):
            self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c%d" % i)
        with self.assertRaises(self.kinesis.exceptions.ResourceInUseException):
            self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")
        names = []
        for page in self.kinesis.get_paginator("list_stream_consumers").paginate(
                StreamARN=arn, PaginationConfig={"PageSize": 2}):
            names += [x["ConsumerName"] for x in page["Consumers"]]
        self.assertEqual(sorted(names), ["app", "c0", "c1", "c2", "c3"])
        self.assertEqual(self.summary("cp-consumers")["ConsumerCount"], 5)
        self.raw("TagResource", {"ResourceARN": c["ConsumerARN"], "Tags": {"team": "x"}})
        self.assertEqual(self.raw("ListTagsForResource", {"ResourceARN": c["ConsumerARN"]})["Tags"],
                         [{"Key": "team", "Value": "x"}])
        self.kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
        with self.assertRaises(self.kinesis.exceptions.ResourceNotFoundException):
            self.kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")
        self.assertEqual(self.summary("cp-consumers")["ConsumerCount"], 4)

    def test_pagination(self):
        for i in range(5):
            self.kinesis.create_stream(StreamName="cp-page-%d" % i, ShardCount=1)
        names = []
        for page in self.kinesis.get_paginator("list_streams").paginate(
                PaginationConfig={"PageSize": 2}):
            names += page["StreamNames"]
        self.assertEqual([n for n in names if n.startswith("cp-page-")],
                         ["cp-page-%d" % i for i in range(5)])
        self.assertEqual(len(names), len(set(names)))

        self.kinesis.create_stream(StreamName="cp-shards", ShardCount=7)
        shards = []
        for page in self.kinesis.get_paginator("describe_stream").paginate(
                StreamName="cp-shards", PaginationConfig={"PageSize": 3}):
            shards += [s["ShardId"] for s in page["StreamDescription"]["Shards"]]
        self.assertEqual(shards, ["shardId-%012d" % i for i in range(7)])

        # ListShards: the first call names the stream, the next ones only the token.
        page = self.kinesis.list_shards(StreamName="cp-shards", MaxResults=3)
        shards = [s["ShardId"] for s in page["Shards"]]
        while "NextToken" in page:
            page = self.kinesis.list_shards(NextToken=page["NextToken"], MaxResults=3)
            shards += [s["ShardId"] for s in page["Shards"]]
        self.assertEqual(shards, ["shardId-%012d" % i for i in range(7)])
        with self.assertRaises(self.kinesis.exceptions.InvalidArgumentException):
            self.kinesis.list_shards(StreamName="cp-shards", NextToken="abc")
        page = self.kinesis.list_shards(
            StreamName="cp-shards",
            ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000004"})
        self.assertEqual([s["ShardId"] for s in page["Shards"]],
                         ["shardId-000000000005", "shardId-000000000006"])
        created = self.summary("cp-shards")["StreamCreationTimestamp"]
        self.assertEqual(len(self.kinesis.list_shards(
            StreamName="cp-shards", StreamCreationTimestamp=created)["Shards"]), 7)


def main():
    global PINSTREAM
    if len(sys.argv) < 2:
        print("usage: boto3_control_plane_test.py PINSTREAM_BINARY [unittest args]",
              file=sys.stderr)
        return 2
    PINSTREAM = os.path.abspath(sys.argv.pop(1))
    result = unittest.main(verbosity=2, exit=False).result
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
