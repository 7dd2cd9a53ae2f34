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

  // The error of `action` as "Type: message": AWS's words are what people search for.
  std::string CallFailure(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_FALSE(r.ok()) << action << " " << request.dump() << " returned " << r->dump();
    return r.status().ToString();
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
  EXPECT_EQ(CallFailure("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}}),
            "ResourceInUseException: Stream s under account 000000000000 already exists.");
  EXPECT_EQ(CallFailure("CreateStream", {{"StreamName", "t"}, {"ShardCount", 0}}),
            "ValidationException: 1 validation error detected: Value '0' at 'shardCount' failed "
            "to satisfy constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", -3}}),
            "ValidationException");
  EXPECT_EQ(CallFailure("CreateStream", {{"StreamName", "t"}, {"ShardCount", "2"}}),
            "SerializationException: class java.lang.String can not be converted to an Integer");
  EXPECT_EQ(CallError("CreateStream", {{"StreamName", "t"}, {"ShardCount", 1025}}),
            "LimitExceededException");
  EXPECT_EQ(CallFailure("CreateStream", {{"StreamName", "bad name"}, {"ShardCount", 1}}),
            "ValidationException: 1 validation error detected: Value 'bad name' at 'streamName' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z0-9_.-]+");
  EXPECT_EQ(CallFailure("CreateStream", {{"ShardCount", 1}}),
            "ValidationException: 1 validation error detected: Value null at 'streamName' failed "
            "to satisfy constraint: Member must not be null");
  // Every constraint at once, members in AWS's order.
  EXPECT_EQ(CallFailure("CreateStream", {{"StreamName", ""}, {"ShardCount", 0}}),
            "ValidationException: 3 validation errors detected: Value '0' at 'shardCount' failed "
            "to satisfy constraint: Member must have value greater than or equal to 1; Value '' "
            "at 'streamName' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: [a-zA-Z0-9_.-]+; Value '' at 'streamName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1");
  EXPECT_EQ(store_->ListStreams(), std::vector<std::string>{"s"});
  // AWS truncates a fraction.
  Call("CreateStream", {{"StreamName", "t"}, {"ShardCount", 2.5}});
  EXPECT_EQ(store_->DescribeStream("t")->shards.size(), 2u);
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
    EXPECT_EQ(start.size(), 56u);
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
  EXPECT_EQ(CallError("ListStreams", {{"Limit", "2"}}), "SerializationException");

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
  EXPECT_EQ(CallFailure("DescribeStream", {{"StreamName", "s"}}),
            "ResourceNotFoundException: Stream s under account 000000000000 not found.");
  EXPECT_EQ(CallFailure("DeleteStream", {{"StreamName", "s"}}),
            "ResourceNotFoundException: Stream s under account 000000000000 not found.");
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
  ASSERT_OK_AND_ASSIGN(SequenceNumber parsed, SequenceNumber::Parse(seq));
  EXPECT_EQ(parsed, (SequenceNumber{2, 1}));
  EXPECT_GT(parsed.arrival_ms, 0);

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
  // Types first, in AWS's (Java's) words.
  EXPECT_EQ(CallFailure("PutRecord", with("Data", "not base64!")),
            "SerializationException: 'not base64!' can not be converted to a Blob: Base64 encoded "
            "length is expected a multiple of 4 bytes but found: 11");
  EXPECT_EQ(CallFailure("PutRecord", with("Data", 12)),
            "SerializationException: class java.math.BigDecimal can not be converted to a Blob");
  EXPECT_EQ(CallFailure("PutRecord", with("ExplicitHashKey", 5)),
            "SerializationException: class java.math.BigDecimal can not be converted to an String");
  // Then every constraint at once.
  EXPECT_EQ(CallFailure("PutRecord", without("Data")),
            "ValidationException: 1 validation error detected: Value null at 'data' failed to "
            "satisfy constraint: Member must not be null");
  EXPECT_EQ(CallFailure("PutRecord", without("PartitionKey")),
            "ValidationException: 1 validation error detected: Value null at 'partitionKey' "
            "failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(CallFailure("PutRecord", with("PartitionKey", "")),
            "ValidationException: 1 validation error detected: Value '' at 'partitionKey' failed "
            "to satisfy constraint: Member must have length greater than or equal to 1");
  EXPECT_EQ(CallFailure("PutRecord", with("PartitionKey", std::string(257, 'k'))),
            "ValidationException: 1 validation error detected: Value '" + std::string(257, 'k') +
                "' at 'partitionKey' failed to satisfy constraint: Member must have length less "
                "than or equal to 256");
  EXPECT_EQ(CallFailure("PutRecord", with("ExplicitHashKey", "x")),
            "ValidationException: 1 validation error detected: Value 'x' at 'explicitHashKey' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "0|([1-9]\\d{0,38})");
  // Then existence and state.
  EXPECT_EQ(CallFailure("PutRecord", with("StreamName", "other")),
            "ResourceNotFoundException: Stream other under account 000000000000 not found.");
  EXPECT_EQ(CallError("PutRecord", without("StreamName")), "InvalidArgumentException");
  EXPECT_EQ(
      CallFailure("PutRecord", with("ExplicitHashKey", "340282366920938463463374607431768211456")),
      "InvalidArgumentException: Invalid ExplicitHashKey. ExplicitHashKey must be in the "
      "range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456");
  EXPECT_EQ(CallFailure("PutRecord", with("SequenceNumberForOrdering", "7")),
            "InvalidArgumentException: ExclusiveMinimumSequenceNumber 7 used in PutRecord on "
            "stream s under account 000000000000 is invalid.");
  // A sequence number the stream has not issued yet is no more valid.
  const std::string unissued = SequenceNumber{0, 1}.ToString();
  EXPECT_EQ(CallError("PutRecord", with("SequenceNumberForOrdering", unissued)),
            "InvalidArgumentException");
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 0u);
  json first = Call("PutRecord", base);
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 1u);
  Call("PutRecord", with("SequenceNumberForOrdering", first["SequenceNumber"]));
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 2u);
}

TEST_F(KinesisApiTest, PutRecordsReportsPerEntryFailures) {
  Create("s", 2);
  json req = {{"StreamName", "s"},
              {"Records",
               {
                   {{"PartitionKey", "a"}, {"Data", Base64Encode("one")}},
                   // What passes AWS's constraints but not the store's: data past 1 MiB (the
                   // model allows 10), a key that is not UTF-8.
                   {{"PartitionKey", "b"},
                    {"Data", Base64Encode(std::string(kMaxRecordDataBytes + 1, 'x'))}},
                   {{"PartitionKey", "\xff"}, {"Data", Base64Encode("bad key")}},
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
    EXPECT_EQ(e["SequenceNumber"].get<std::string>().size(), 56u);
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
  // A wrong type anywhere fails the whole call, before any constraint, as AWS's parser does.
  EXPECT_EQ(CallFailure("PutRecords", req), "SerializationException: Expected null");
  req["Records"].erase(0);
  EXPECT_EQ(CallFailure("PutRecords", req),
            "SerializationException: class java.math.BigDecimal can not be converted to an String");
  req["Records"].erase(0);
  req["Records"].erase(0);
  EXPECT_EQ(CallFailure("PutRecords", req),
            "ValidationException: 1 validation error detected: Value '-3' at "
            "'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: 0|([1-9]\\d{0,38})");
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 0u);
}

TEST_F(KinesisApiTest, PutRecordsWholeRequestErrors) {
  Create("s", 1);
  const json good = {{"PartitionKey", "k"}, {"Data", "AA=="}};
  const json bad = {{"PartitionKey", "k"}, {"Data", "!"}};
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "s"}, {"Records", json::array()}}),
            "ValidationException: 1 validation error detected: Value '[]' at 'records' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1");
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "s"}}),
            "ValidationException: 1 validation error detected: Value null at 'records' failed to "
            "satisfy constraint: Member must not be null");
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "s"}, {"Records", good}}),
            "SerializationException: Start of structure or map found where not expected.");
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back(good);
  EXPECT_EQ(CallError("PutRecords", {{"StreamName", "s"}, {"Records", many}}),
            "ValidationException");
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "nope"}, {"Records", {good}}}),
            "ResourceNotFoundException: Stream nope under account 000000000000 not found.");
  // Types come before existence: bad base64 is reported for an unknown stream too.
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "nope"}, {"Records", {bad}}}),
            "SerializationException: '!' can not be converted to a Blob: Base64 encoded length is "
            "expected a multiple of 4 bytes but found: 1");
  // An ExplicitHashKey past 2^128-1 fails the whole call, once the stream is known to exist.
  const json too_high = {{"PartitionKey", "k"},
                         {"Data", "AA=="},
                         {"ExplicitHashKey", "340282366920938463463374607431768211456"}};
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "nope"}, {"Records", {good, too_high}}}),
            "ResourceNotFoundException: Stream nope under account 000000000000 not found.");
  EXPECT_EQ(CallFailure("PutRecords", {{"StreamName", "s"}, {"Records", {good, too_high}}}),
            "InvalidArgumentException: Invalid ExplicitHashKey. ExplicitHashKey must be in the "
            "range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456");
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 0u);

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
  // Without a Timestamp: AWS's words.
  EXPECT_EQ(CallFailure("GetShardIterator", req({{"ShardIteratorType", "AT_TIMESTAMP"}})),
            "InvalidArgumentException: Must specify timestampInMillis parameter for iterator of "
            "type AT_TIMESTAMP. Current request has no timestamp parameter.");
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
  EXPECT_EQ(CallFailure("GetShardIterator", with("ShardIteratorType", "OLDEST")),
            "ValidationException: 1 validation error detected: Value 'OLDEST' at "
            "'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: "
            "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]");
  EXPECT_EQ(CallError("GetShardIterator", without("ShardIteratorType")), "ValidationException");
  EXPECT_EQ(CallError("GetShardIterator", without("ShardId")), "ValidationException");
  EXPECT_EQ(CallError("GetShardIterator", with("ShardId", 0)), "SerializationException");
  EXPECT_EQ(CallFailure("GetShardIterator", with("ShardId", "shardId-000000000002")),
            "ResourceNotFoundException: Shard shardId-000000000002 in stream s under account "
            "000000000000 does not exist");
  EXPECT_EQ(CallFailure("GetShardIterator", with("ShardId", "2")),
            "ResourceNotFoundException: Shard shardId-000000000002 in stream s under account "
            "000000000000 does not exist");
  EXPECT_EQ(CallFailure("GetShardIterator", with("ShardId", "shardId-x")),
            "ResourceNotFoundException: Could not find shard shardId-x in stream s under account "
            "000000000000.");
  EXPECT_EQ(CallFailure("GetShardIterator", with("StreamName", "nope")),
            "ResourceNotFoundException: Shard shardId-000000000000 in stream nope under account "
            "000000000000 does not exist");
  EXPECT_EQ(CallFailure("GetShardIterator", with("ShardIteratorType", "AT_SEQUENCE_NUMBER")),
            "InvalidArgumentException: Must either specify (1) AT_SEQUENCE_NUMBER or "
            "AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
            "StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no "
            "StartingSequenceNumber.");
  json latest_at = with("ShardIteratorType", "LATEST");
  latest_at["StartingSequenceNumber"] = SequenceNumber{0, 1}.ToString();
  EXPECT_EQ(CallFailure("GetShardIterator", latest_at),
            "InvalidArgumentException: Must either specify (1) AT_SEQUENCE_NUMBER or "
            "AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
            "StartingSequenceNumber. Request specified LATEST and also a StartingSequenceNumber.");
  json not_a_seq = with("ShardIteratorType", "AT_SEQUENCE_NUMBER");
  not_a_seq["StartingSequenceNumber"] = "12";
  EXPECT_EQ(CallFailure("GetShardIterator", not_a_seq),
            "InvalidArgumentException: StartingSequenceNumber 12 used in GetShardIterator on shard "
            "shardId-000000000000 in stream s under account 000000000000 is invalid.");
  EXPECT_EQ(CallError("GetShardIterator", with("ShardIteratorType", "AT_TIMESTAMP")),
            "InvalidArgumentException");  // no Timestamp
  json bad_ts = with("ShardIteratorType", "AT_TIMESTAMP");
  bad_ts["Timestamp"] = "last tuesday";
  EXPECT_EQ(CallError("GetShardIterator", bad_ts), "InvalidArgumentException");
  bad_ts["Timestamp"] = json::array();
  EXPECT_EQ(CallError("GetShardIterator", bad_ts), "SerializationException");
  bad_ts["Timestamp"] = kStartMs / 1000 + 60;
  EXPECT_EQ(CallFailure("GetShardIterator", bad_ts),
            "InvalidArgumentException: The timestampInMillis parameter cannot be greater than the "
            "currentTimestampInMillis. timestampInMillis: 1600000060000, "
            "currentTimestampInMillis: 1600000000000");
  json other_shard = with("ShardIteratorType", "AFTER_SEQUENCE_NUMBER");
  other_shard["StartingSequenceNumber"] = SequenceNumber{1, 1}.ToString();
  EXPECT_EQ(CallFailure("GetShardIterator", other_shard),
            "InvalidArgumentException: Invalid StartingSequenceNumber. It encodes "
            "shardId-000000000001, while it was used in a call to a shard with "
            "shardId-000000000000");
  const std::string fifth = SequenceNumber{0, 5}.ToString();
  json unissued = with("ShardIteratorType", "AFTER_SEQUENCE_NUMBER");
  unissued["StartingSequenceNumber"] = fifth;
  EXPECT_EQ(CallFailure("GetShardIterator", unissued),
            "InvalidArgumentException: StartingSequenceNumber " + fifth +
                " used in GetShardIterator on shard shardId-000000000000 in stream s under "
                "account 000000000000 is invalid because it did not come from this stream.");
}

TEST_F(KinesisApiTest, GetRecordsErrors) {
  Create("s", 1);
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  EXPECT_EQ(CallError("GetRecords", json::object()), "ValidationException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", 5}}), "SerializationException");
  EXPECT_EQ(CallFailure("GetRecords", {{"ShardIterator", "garbage"}}),
            "InvalidArgumentException: Invalid ShardIterator.");
  EXPECT_EQ(CallFailure("GetRecords", {{"ShardIterator", it}, {"Limit", 0}}),
            "ValidationException: 1 validation error detected: Value '0' at 'limit' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}, {"Limit", 10001}}),
            "ValidationException");
  EXPECT_EQ(CallError("GetRecords", {{"ShardIterator", it}, {"Limit", "10"}}),
            "SerializationException");
  Call("GetRecords", {{"ShardIterator", it}, {"Limit", 10000}});
  clock_.Advance(kIteratorLifetimeMs + 1);
  // 2020-09-13T12:26:40Z, and the iterator's lifetime and a millisecond later.
  EXPECT_EQ(CallFailure("GetRecords", {{"ShardIterator", it}}),
            "ExpiredIteratorException: Iterator expired. The iterator was created at time Sun Sep "
            "13 12:26:40 UTC 2020 while right now it is Sun Sep 13 12:31:40 UTC 2020 which is "
            "further in the future than the tolerated delay of 300000 milliseconds.");
}

TEST_F(KinesisApiTest, MissingOrMistypedStreamName) {
  Create("s", 1);
  for (const char* action :
       {"DescribeStream", "DescribeStreamSummary", "ListShards", "DeleteStream", "PutRecord",
        "PutRecords", "GetShardIterator", "CreateStream"}) {
    SCOPED_TRACE(action);
    // Missing: a ValidationException where AWS's model requires the member (CreateStream's,
    // and every member the other actions require besides), else the action's own refusal.
    const std::string missing = CallError(action, json::object());
    EXPECT_TRUE(missing == "ValidationException" || missing == "InvalidArgumentException")
        << missing;
    EXPECT_EQ(CallFailure(action, {{"StreamName", 42}}),
              "SerializationException: class java.math.BigDecimal can not be converted to an "
              "String");
    EXPECT_EQ(CallError(action, {{"StreamName", nullptr}}), missing);  // null is absent
    EXPECT_EQ(CallFailure(action, {{"StreamName", {"s"}}}),
              "SerializationException: Start of list found where not expected");
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

  EXPECT_EQ(CallFailure("DescribeStream", {{"StreamARN", "not-an-arn"}}),
            "ValidationException: 1 validation error detected: Value 'not-an-arn' at 'streamARN' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
  EXPECT_EQ(CallError("DescribeStream", {{"StreamARN", std::string(kArn) + "other"}}),
            "ResourceNotFoundException");
  Call("DeleteStream", {{"StreamARN", arn}});
  EXPECT_TRUE(store_->ListStreams().empty());
}

}  // namespace
}  // namespace pinstream
