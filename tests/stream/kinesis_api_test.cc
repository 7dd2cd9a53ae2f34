#include "stream/kinesis_api.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/base64.h"
#include "common/clock.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

constexpr int64_t kStartMs = 1'600'000'000'000;  // 2020-09-13T12:26:40Z
constexpr char kArn[] = "arn:aws:kinesis:us-east-1:000000000000:stream/";

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}

class KinesisApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamStore::Options options;
    options.path = dir_.Sub("db");
    options.clock = &clock_;
    options.write_buffer_bytes = size_t{16} << 20;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    api_ = std::make_unique<KinesisApi>(store_.get());
  }

  // Calls `action`, failing the test on an error.
  json Call(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_TRUE(r.ok()) << action << " " << request.dump() << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }

  std::string CallError(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_FALSE(r.ok()) << action << " " << request.dump() << " returned " << r->dump();
    return ErrorOf(r);
  }

  void Create(const std::string& name, int shards) {
    Call("CreateStream", {{"StreamName", name}, {"ShardCount", shards}});
  }

  std::string Iterator(const std::string& stream, const std::string& shard_id,
                       const std::string& type) {
    json r = Call("GetShardIterator",
                  {{"StreamName", stream}, {"ShardId", shard_id}, {"ShardIteratorType", type}});
    return r.value("ShardIterator", "");
  }

  testing::TempDir dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<KinesisApi> api_;
};

TEST_F(KinesisApiTest, CreateStreamReturnsEmptyObject) {
  json r = Call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 2}});
  EXPECT_TRUE(r.is_object());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(store_->DescribeStream("s")->shards.size(), 2u);
}

TEST_F(KinesisApiTest, CreateStreamWithoutShardCountHasOneShard) {
  Call("CreateStream", {{"StreamName", "s"}});
  EXPECT_EQ(store_->DescribeStream("s")->shards.size(), 1u);
}

TEST_F(KinesisApiTest, CreateStreamErrors) {
  Create("s", 1);
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}}),
            "ResourceInUseException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", 0}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", -3}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", "2"}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", 2.5}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", 1025}}),
            "LimitExceededException");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "bad name"}, {"ShardCount", 1}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("CreateStream", {{"ShardCount", 1}}), "InvalidArgumentException");
  EXPECT_EQ(store_->ListStreams(), std::vector<std::string>{"s"});
}

TEST_F(KinesisApiTest, DescribeStreamShape) {
  Create("orders", 2);
  json r = Call("DescribeStream", {{"StreamName", "orders"}});
  ASSERT_TRUE(r.contains("StreamDescription"));
  const json& d = r["StreamDescription"];
  EXPECT_EQ(d["StreamName"], "orders");
  EXPECT_EQ(d["StreamARN"], std::string(kArn) + "orders");
  EXPECT_EQ(d["StreamStatus"], "ACTIVE");
  EXPECT_EQ(d["HasMoreShards"], false);
  EXPECT_EQ(d["RetentionPeriodHours"], 24);
  EXPECT_EQ(d["StreamCreationTimestamp"].get<double>(), kStartMs / 1000.0);
  ASSERT_TRUE(d["Shards"].is_array());
  ASSERT_EQ(d["Shards"].size(), 2u);
  const json& s0 = d["Shards"][0];
  const json& s1 = d["Shards"][1];
  EXPECT_EQ(s0["ShardId"], "shardId-000000000000");
  EXPECT_EQ(s1["ShardId"], "shardId-000000000001");
  EXPECT_EQ(s0["HashKeyRange"]["StartingHashKey"], "0");
  EXPECT_EQ(s0["HashKeyRange"]["EndingHashKey"], "170141183460469231731687303715884105727");
  EXPECT_EQ(s1["HashKeyRange"]["StartingHashKey"], "170141183460469231731687303715884105728");
  EXPECT_EQ(s1["HashKeyRange"]["EndingHashKey"], "340282366920938463463374607431768211455");
  for (const json& s : d["Shards"]) {
    ASSERT_TRUE(s["SequenceNumberRange"]["StartingSequenceNumber"].is_string());
    std::string start = s["SequenceNumberRange"]["StartingSequenceNumber"];
    EXPECT_EQ(start.size(), 38u);
  }
  // Every sequence number of a shard is at or after its StartingSequenceNumber.
  json put = Call("PutRecord", {{"StreamName", "orders"},
                                {"PartitionKey", "k"},
                                {"Data", "AA=="},
                                {"ExplicitHashKey", "170141183460469231731687303715884105728"}});
  EXPECT_EQ(put["ShardId"], "shardId-000000000001");
  EXPECT_GT(put["SequenceNumber"].get<std::string>(),
            s1["SequenceNumberRange"]["StartingSequenceNumber"].get<std::string>());
}

TEST_F(KinesisApiTest, DescribeStreamSummaryShape) {
  Create("s", 3);
  json r = Call("DescribeStreamSummary", {{"StreamName", "s"}});
  const json& d = r["StreamDescriptionSummary"];
  EXPECT_EQ(d["StreamName"], "s");
  EXPECT_EQ(d["StreamStatus"], "ACTIVE");
  EXPECT_EQ(d["OpenShardCount"], 3);
}

TEST_F(KinesisApiTest, ListStreamsAndListShards) {
  Create("b", 1);
  Create("a", 3);
  Create("c", 1);
  json r = Call("ListStreams", json::object());
  EXPECT_EQ(r["StreamNames"], json({"a", "b", "c"}));
  EXPECT_EQ(r["HasMoreStreams"], false);
  ASSERT_EQ(r["StreamSummaries"].size(), 3u);
  EXPECT_EQ(r["StreamSummaries"][0]["StreamName"], "a");
  EXPECT_EQ(r["StreamSummaries"][0]["StreamStatus"], "ACTIVE");

  r = Call("ListStreams", {{"Limit", 2}});
  EXPECT_EQ(r["StreamNames"], json({"a", "b"}));
  EXPECT_EQ(r["HasMoreStreams"], true);
  r = Call("ListStreams", {{"ExclusiveStartStreamName", "b"}});
  EXPECT_EQ(r["StreamNames"], json({"c"}));
  EXPECT_EQ(r["HasMoreStreams"], false);
  EXPECT_EQ(CallError("ListStreams", {{"Limit", "2"}}), "InvalidArgumentException");

  json shards = Call("ListShards", {{"StreamName", "a"}});
  ASSERT_EQ(shards["Shards"].size(), 3u);
  json described = Call("DescribeStream", {{"StreamName", "a"}});
  EXPECT_EQ(shards["Shards"], described["StreamDescription"]["Shards"]);
  EXPECT_EQ(shards["Shards"][2]["ShardId"], "shardId-000000000002");
  EXPECT_EQ(shards["Shards"][1]["HashKeyRange"]["StartingHashKey"],
            "113427455640312821154458202477256070485");
}

TEST_F(KinesisApiTest, DeleteStream) {
  Create("s", 1);
  json r = Call("DeleteStream", {{"StreamName", "s"}});
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(CallError("DescribeStream", {{"StreamName", "s"}}), "ResourceNotFoundException");
  EXPECT_EQ(CallError("DeleteStream", {{"StreamName", "s"}}), "ResourceNotFoundException");
  EXPECT_EQ(CallError("ListShards", {{"StreamName", "s"}}), "ResourceNotFoundException");
}

TEST_F(KinesisApiTest, PutRecordReturnsShardAndSequenceNumber) {
  Create("s", 4);
  // MD5("partition-1") = 198019941650871988756153596255032211816 (python3 hashlib): shard 2.
  json r =
      Call("PutRecord",
           {{"StreamName", "s"}, {"PartitionKey", "partition-1"}, {"Data", Base64Encode("hello")}});
  EXPECT_EQ(r["ShardId"], "shardId-000000000002");
  ASSERT_TRUE(r["SequenceNumber"].is_string());
  std::string seq = r["SequenceNumber"];
  EXPECT_EQ(seq, (SequenceNumber{2, 1}.ToString()));

  json again =
      Call("PutRecord",
           {{"StreamName", "s"}, {"PartitionKey", "partition-1"}, {"Data", Base64Encode("again")}});
  EXPECT_GT(again["SequenceNumber"].get<std::string>(), seq);

  json ehk = Call("PutRecord", {{"StreamName", "s"},
                                {"PartitionKey", "partition-1"},
                                {"Data", ""},
                                {"ExplicitHashKey", "0"}});
  EXPECT_EQ(ehk["ShardId"], "shardId-000000000000");
}

TEST_F(KinesisApiTest, PutRecordErrors) {
  Create("s", 1);
  const json base = {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "aGk="}};
  auto with = [&base](const char* field, json value) {
    json r = base;
    r[field] = std::move(value);
    return r;
  };
  auto without = [&base](const char* field) {
    json r = base;
    r.erase(field);
    return r;
  };
  EXPECT_EQ(CallError("PutRecord", with("Data", "not base64!")), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("Data", 12)), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", without("Data")), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", without("PartitionKey")), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("PartitionKey", "")), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("PartitionKey", std::string(257, 'k'))),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("ExplicitHashKey", "x")), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("ExplicitHashKey", 5)), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecord", with("StreamName", "other")), "ResourceNotFoundException");
  EXPECT_EQ(CallError("PutRecord", without("StreamName")), "InvalidArgumentException");
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 0u);
  Call("PutRecord", base);
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 1u);
}

TEST_F(KinesisApiTest, PutRecordsReportsPerEntryFailures) {
  Create("s", 2);
  json req = {{"StreamName", "s"},
              {"Records",
               {
                   {{"PartitionKey", "a"}, {"Data", Base64Encode("one")}},
                   {{"PartitionKey", "b"}, {"Data", "%%%%"}},  // bad base64
                   {{"Data", Base64Encode("no key")}},         // missing PartitionKey
                   {{"PartitionKey", "c"}, {"Data", Base64Encode("two")}, {"ExplicitHashKey", "0"}},
               }}};
  json r = Call("PutRecords", req);
  EXPECT_EQ(r["FailedRecordCount"], 2);
  ASSERT_EQ(r["Records"].size(), 4u);
  for (int i : {1, 2}) {
    SCOPED_TRACE(i);
    const json& e = r["Records"][i];
    EXPECT_EQ(e["ErrorCode"], "InvalidArgumentException");
    EXPECT_TRUE(e["ErrorMessage"].is_string());
    EXPECT_FALSE(e.contains("SequenceNumber"));
  }
  for (int i : {0, 3}) {
    SCOPED_TRACE(i);
    const json& e = r["Records"][i];
    EXPECT_FALSE(e.contains("ErrorCode"));
    ASSERT_TRUE(e["SequenceNumber"].is_string());
    EXPECT_EQ(e["SequenceNumber"].get<std::string>().size(), 38u);
    EXPECT_TRUE(e["ShardId"].is_string());
  }
  EXPECT_EQ(r["Records"][3]["ShardId"], "shardId-000000000000");

  // Exactly the two good records were written.
  uint64_t total = 0;
  ASSERT_OK_AND_ASSIGN(StreamDescription d, store_->DescribeStream("s"));
  for (const auto& s : d.shards) total += s.last_counter;
  EXPECT_EQ(total, 2u);
}

TEST_F(KinesisApiTest, PutRecordsEntryLevelTypeErrors) {
  Create("s", 1);
  json req = {{"StreamName", "s"},
              {"Records",
               {
                   "not an object",
                   {{"PartitionKey", 7}, {"Data", "AA=="}},
                   {{"PartitionKey", "k"}, {"Data", "AA=="}, {"ExplicitHashKey", 3}},
                   {{"PartitionKey", "k"}, {"Data", "AA=="}, {"ExplicitHashKey", "-3"}},
                   {{"PartitionKey", "k"}, {"Data", "AA=="}},
               }}};
  json r = Call("PutRecords", req);
  EXPECT_EQ(r["FailedRecordCount"], 4);
  ASSERT_EQ(r["Records"].size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r["Records"][i]["ErrorCode"], "InvalidArgumentException");
  EXPECT_EQ(r["Records"][4]["SequenceNumber"], (SequenceNumber{0, 1}.ToString()));
}

TEST_F(KinesisApiTest, PutRecordsWholeRequestErrors) {
  Create("s", 1);
  const json good = {{"PartitionKey", "k"}, {"Data", "AA=="}};
  const json bad = {{"PartitionKey", "k"}, {"Data", "!"}};
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "s"}, {"Records", json::array()}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "s"}}), "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "s"}, {"Records", good}}),
            "InvalidArgumentException");
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back(good);
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "s"}, {"Records", many}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "nope"}, {"Records", {good}}}),
            "ResourceNotFoundException");
  // Even when every entry is invalid, an unknown stream is reported as such.
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "nope"}, {"Records", {bad}}}),
            "ResourceNotFoundException");
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 0u);

  json all_bad = Call("PutRecords", {{"StreamName", "s"}, {"Records", {bad, bad}}});
  EXPECT_EQ(all_bad["FailedRecordCount"], 2);
  many.erase(many.begin());
  json r = Call("PutRecords", {{"StreamName", "s"}, {"Records", many}});
  EXPECT_EQ(r["FailedRecordCount"], 0);
  EXPECT_EQ(r["Records"].size(), 500u);
}

TEST_F(KinesisApiTest, GetShardIteratorAndGetRecordsRoundTrip) {
  Create("s", 1);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(255 - i));
  const std::string payloads[] = {"first", "", binary};
  std::vector<std::string> seqs;
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(250);
    json r = Call("PutRecord", {{"StreamName", "s"},
                                {"PartitionKey", "pk-" + std::to_string(i)},
                                {"Data", Base64Encode(payloads[i])}});
    seqs.push_back(r["SequenceNumber"]);
  }
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  ASSERT_FALSE(it.empty());
  json r = Call("GetRecords", {{"ShardIterator", it}});
  ASSERT_EQ(r["Records"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const json& rec = r["Records"][i];
    EXPECT_EQ(rec["Data"], Base64Encode(payloads[i]));
    ASSERT_OK_AND_ASSIGN(std::string decoded, Base64Decode(rec["Data"].get<std::string>()));
    EXPECT_EQ(decoded, payloads[i]);
    EXPECT_EQ(rec["PartitionKey"], "pk-" + std::to_string(i));
    EXPECT_EQ(rec["SequenceNumber"], seqs[i]);
    // Seconds since the epoch, with milliseconds as the fraction.
    ASSERT_TRUE(rec["ApproximateArrivalTimestamp"].is_number());
    EXPECT_DOUBLE_EQ(rec["ApproximateArrivalTimestamp"].get<double>(),
                     (kStartMs + 250 * static_cast<int64_t>(i + 1)) / 1000.0);
  }
  EXPECT_EQ(r["MillisBehindLatest"], 0);
  ASSERT_TRUE(r["NextShardIterator"].is_string());

  // The next iterator continues after the last record.
  Call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", Base64Encode("4th")}});
  json next = Call("GetRecords", {{"ShardIterator", r["NextShardIterator"]}, {"Limit", 10}});
  ASSERT_EQ(next["Records"].size(), 1u);
  EXPECT_EQ(next["Records"][0]["Data"], Base64Encode("4th"));

  // Limit.
  json one = Call("GetRecords", {{"ShardIterator", it}, {"Limit", 1}});
  ASSERT_EQ(one["Records"].size(), 1u);
  EXPECT_EQ(one["Records"][0]["SequenceNumber"], seqs[0]);
}

TEST_F(KinesisApiTest, MillisBehindLatestInJson) {
  Create("s", 1);
  for (int i = 0; i < 3; ++i) {
    Call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "AA=="}});
  }
  clock_.Advance(5000);
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  json r = Call("GetRecords", {{"ShardIterator", it}, {"Limit", 1}});
  EXPECT_EQ(r["MillisBehindLatest"], 5000);
  r = Call("GetRecords", {{"ShardIterator", r["NextShardIterator"]}});
  EXPECT_EQ(r["Records"].size(), 2u);
  EXPECT_EQ(r["MillisBehindLatest"], 0);
}

TEST_F(KinesisApiTest, IteratorTypesThroughJson) {
  Create("s", 1);
  std::vector<std::string> seqs;
  for (int i = 0; i < 4; ++i) {
    json r = Call("PutRecord", {{"StreamName", "s"},
                                {"PartitionKey", "k"},
                                {"Data", Base64Encode("r" + std::to_string(i))}});
    seqs.push_back(r["SequenceNumber"]);
    clock_.Advance(1000);
  }
  auto first_data = [&](const json& req) -> std::string {
    json it = Call("GetShardIterator", req);
    json r = Call("GetRecords", {{"ShardIterator", it["ShardIterator"]}, {"Limit", 1}});
    if (r["Records"].empty()) return "<none>";
    auto d = Base64Decode(r["Records"][0]["Data"].get<std::string>());
    return d.ok() ? *d : "<bad>";
  };
  const json base = {{"StreamName", "s"}, {"ShardId", "shardId-000000000000"}};
  auto req = [&base](json extra) {
    json r = base;
    r.update(extra);
    return r;
  };
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "TRIM_HORIZON"}})), "r0");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "LATEST"}})), "<none>");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                            {"StartingSequenceNumber", seqs[2]}})),
            "r2");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AFTER_SEQUENCE_NUMBER"},
                            {"StartingSequenceNumber", seqs[2]}})),
            "r3");
  // AT_TIMESTAMP takes epoch seconds as a number (AWS CLI / SDKs) or as text.
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 1600000001.0}})),
            "r1");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 1600000001.5}})),
            "r2");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 1600000002}})),
            "r2");
  EXPECT_EQ(first_data(req(
                {{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", "2020-09-13T12:26:43Z"}})),
            "r3");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_TIMESTAMP"},
                            {"Timestamp", "2020-09-13T14:26:41+02:00"}})),
            "r1");
  EXPECT_EQ(first_data(req({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 1600000004}})),
            "<none>");
  // In the future, or past what a timestamp can be: refused, as AWS does.
  for (const json& ts :
       {json(1700000000), json(1e300), json(-1e300), json("9999-01-01T00:00:00Z")}) {
    SCOPED_TRACE(ts.dump());
    EXPECT_EQ(CallError("GetShardIterator", {{"StreamName", "s"},
                                             {"ShardId", "shardId-000000000000"},
                                             {"ShardIteratorType", "AT_TIMESTAMP"},
                                             {"Timestamp", ts}}),
              "InvalidArgumentException");
  }
}

TEST_F(KinesisApiTest, GetShardIteratorErrors) {
  Create("s", 2);
  const json base = {{"StreamName", "s"},
                     {"ShardId", "shardId-000000000000"},
                     {"ShardIteratorType", "TRIM_HORIZON"}};
  auto with = [&base](const char* field, json value) {
    json r = base;
    r[field] = std::move(value);
    return r;
  };
  auto without = [&base](const char* field) {
    json r = base;
    r.erase(field);
    return r;
  };
  EXPECT_EQ(CallError("GetShardIterator", with("ShardIteratorType", "OLDEST")),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("GetShardIterator", without("ShardIteratorType")),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("GetShardIterator", without("ShardId")), "InvalidArgumentException");
  EXPECT_EQ(CallError("GetShardIterator", with("ShardId", 0)), "InvalidArgumentException");
  EXPECT_EQ(CallError("GetShardIterator", with("ShardId", "shardId-000000000002")),
            "ResourceNotFoundException");
  EXPECT_EQ(CallError("GetShardIterator", with("StreamName", "nope")), "ResourceNotFoundException");
  EXPECT_EQ(CallError("GetShardIterator", with("ShardIteratorType", "AT_SEQUENCE_NUMBER")),
            "InvalidArgumentException");  // no StartingSequenceNumber
  EXPECT_EQ(CallError("GetShardIterator", with("ShardIteratorType", "AT_TIMESTAMP")),
            "InvalidArgumentException");  // no Timestamp
  json bad_ts = with("ShardIteratorType", "AT_TIMESTAMP");
  bad_ts["Timestamp"] = "last tuesday";
  EXPECT_EQ(CallError("GetShardIterator", bad_ts), "InvalidArgumentException");
  bad_ts["Timestamp"] = json::array();
  EXPECT_EQ(CallError("GetShardIterator", bad_ts), "InvalidArgumentException");
  json other_shard = with("ShardIteratorType", "AFTER_SEQUENCE_NUMBER");
  other_shard["StartingSequenceNumber"] = SequenceNumber{1, 1}.ToString();
  EXPECT_EQ(CallError("GetShardIterator", other_shard), "InvalidArgumentException");
}

TEST_F(KinesisApiTest, GetRecordsErrors) {
  Create("s", 1);
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  EXPECT_EQ(CallError("GetRecords", json::object()), "InvalidArgumentException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", 5}}), "InvalidArgumentException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", "garbage"}}), "InvalidArgumentException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}, {"Limit", 0}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}, {"Limit", 10001}}),
            "InvalidArgumentException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}, {"Limit", "10"}}),
            "InvalidArgumentException");
  Call("GetRecords", {{"ShardIterator", it}, {"Limit", 10000}});
  clock_.Advance(kIteratorLifetimeMs + 1);
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}}), "ExpiredIteratorException");
}

TEST_F(KinesisApiTest, MissingOrMistypedStreamName) {
  Create("s", 1);
  for (const char* action :
       {"DescribeStream", "DescribeStreamSummary", "ListShards", "DeleteStream", "PutRecord",
        "PutRecords", "GetShardIterator", "CreateStream"}) {
    SCOPED_TRACE(action);
    EXPECT_EQ(CallError(action, json::object()), "InvalidArgumentException");
    EXPECT_EQ(CallError(action, {{"StreamName", 42}}), "InvalidArgumentException");
    EXPECT_EQ(CallError(action, {{"StreamName", nullptr}}), "InvalidArgumentException");
    EXPECT_EQ(CallError(action, {{"StreamName", {"s"}}}), "InvalidArgumentException");
  }
  EXPECT_EQ(store_->ListStreams(), std::vector<std::string>{"s"});
}

TEST_F(KinesisApiTest, UnknownActionAndNonObjectBody) {
  Create("s", 1);
  EXPECT_EQ(CallError("FrobnicateStream", {{"StreamName", "s"}}), "InvalidArgumentException");
  EXPECT_EQ(CallError("", json::object()), "InvalidArgumentException");
  EXPECT_EQ(CallError("describestream", {{"StreamName", "s"}}), "InvalidArgumentException");
  for (const json& body :
       {json::array({{"StreamName", "s"}}), json("s"), json(nullptr), json(3), json(true)}) {
    SCOPED_TRACE(body.dump());
    EXPECT_EQ(CallError("DescribeStream", body), "InvalidArgumentException");
    EXPECT_EQ(CallError("ListStreams", body), "InvalidArgumentException");
  }
}

TEST_F(KinesisApiTest, StreamArnAcceptedInsteadOfName) {
  Create("s", 2);
  const std::string arn = std::string(kArn) + "s";
  json d = Call("DescribeStream", {{"StreamARN", arn}});
  EXPECT_EQ(d["StreamDescription"]["StreamName"], "s");
  EXPECT_EQ(d["StreamDescription"]["StreamARN"], arn);
  json put = Call("PutRecord", {{"StreamARN", arn}, {"PartitionKey", "k"}, {"Data", "AA=="}});
  EXPECT_TRUE(put["SequenceNumber"].is_string());
  json puts = Call("PutRecords",
                   {{"StreamARN", arn}, {"Records", {{{"PartitionKey", "k"}, {"Data", "AA=="}}}}});
  EXPECT_EQ(puts["FailedRecordCount"], 0);
  json it = Call(
      "GetShardIterator",
      {{"StreamARN", arn}, {"ShardId", put["ShardId"]}, {"ShardIteratorType", "TRIM_HORIZON"}});
  json recs = Call("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
  EXPECT_EQ(recs["Records"].size(), 2u);
  EXPECT_EQ(Call("ListShards", {{"StreamARN", arn}})["Shards"].size(), 2u);

  EXPECT_EQ(CallError("DescribeStream", {{"StreamARN", "not-an-arn"}}), "InvalidArgumentException");
  EXPECT_EQ(CallError("DescribeStream", {{"StreamARN", std::string(kArn) + "other"}}),
            "ResourceNotFoundException");
  Call("DeleteStream", {{"StreamARN", arn}});
  EXPECT_TRUE(store_->ListStreams().empty());
}

}  // namespace
}  // namespace pinstream
