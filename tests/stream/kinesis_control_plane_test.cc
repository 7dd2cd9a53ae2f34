// The Kinesis control plane through KinesisApi: tags, retention, encryption, monitoring, stream
// modes, limits, consumers and pagination (issue 15), with AWS's limits and errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/base64.h"
#include "common/clock.h"
#include "stream/kinesis_api.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

constexpr int64_t kStartMs = 1'600'000'000'000;  // 2020-09-13T12:26:40Z
constexpr char kArn[] = "arn:aws:kinesis:us-east-1:000000000000:stream/";

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    api_.reset();
    store_.reset();
    StreamStore::Options options;
    options.path = dir_.Sub("db");
    options.clock = &clock_;
    options.write_buffer_bytes = size_t{16} << 20;
    options.shard_limit = 500;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    api_ = std::make_unique<KinesisApi>(store_.get());
  }

  json Call(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_TRUE(r.ok()) << action << " " << request.dump() << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }

  // The error's type and message, "OK" when the call succeeded.
  Status Error(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_FALSE(r.ok()) << action << " " << request.dump() << " returned " << r->dump();
    return r.ok() ? Status::OK() : r.status();
  }

  void Create(const std::string& name, int shards) {
    Call("CreateStream", {{"StreamName", name}, {"ShardCount", shards}});
  }

  json Summary(const std::string& name) {
    return Call("DescribeStreamSummary", {{"StreamName", name}})["StreamDescriptionSummary"];
  }

  json TagsOf(const std::string& name) {
    return Call("ListTagsForStream", {{"StreamName", name}})["Tags"];
  }

  testing::TempDir dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<KinesisApi> api_;
};

// --- Tags -------------------------------------------------------------------------------------

TEST_F(ControlPlaneTest, AddListAndRemoveTags) {
  Create("s", 1);
  EXPECT_EQ(Call("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"b", "2"}, {"a", "1"}}}}),
            json::object());
  Call("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"c", ""}, {"a", "one"}}}});
  json r = Call("ListTagsForStream", {{"StreamName", "s"}});
  EXPECT_EQ(r["Tags"], json::parse(R"([{"Key":"a","Value":"one"},{"Key":"b","Value":"2"},
                                       {"Key":"c","Value":""}])"));
  EXPECT_EQ(r["HasMoreTags"], false);

  r = Call("ListTagsForStream", {{"StreamName", "s"}, {"Limit", 1}});
  EXPECT_EQ(r["Tags"], json::parse(R"([{"Key":"a","Value":"one"}])"));
  EXPECT_EQ(r["HasMoreTags"], true);
  r = Call("ListTagsForStream", {{"StreamName", "s"}, {"ExclusiveStartTagKey", "a"}, {"Limit", 1}});
  EXPECT_EQ(r["Tags"], json::parse(R"([{"Key":"b","Value":"2"}])"));
  EXPECT_EQ(r["HasMoreTags"], true);
  r = Call("ListTagsForStream", {{"StreamName", "s"}, {"ExclusiveStartTagKey", "b"}});
  EXPECT_EQ(r["Tags"], json::parse(R"([{"Key":"c","Value":""}])"));
  EXPECT_EQ(r["HasMoreTags"], false);

  // A key the stream lacks is no error.
  Call("RemoveTagsFromStream", {{"StreamName", "s"}, {"TagKeys", {"a", "zz"}}});
  EXPECT_EQ(TagsOf("s").size(), 2u);
  EXPECT_EQ(Error("AddTagsToStream", {{"StreamName", "x"}, {"Tags", {{"a", "1"}}}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_FALSE(api_->Call("ListTagsForStream", {{"StreamName", "s"}, {"Limit", 51}}).ok());
}

TEST_F(ControlPlaneTest, FiftyTagsAStreamInAwsWords) {
  Create("s", 1);
  json tags = json::object();
  for (int i = 0; i < 50; ++i) tags["k" + std::to_string(i)] = "v";
  Call("AddTagsToStream", {{"StreamName", "s"}, {"Tags", tags}});
  // Overwriting keys it has is no new tag.
  Call("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"k0", "w"}}}});
  Status s = Error("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"one-more", "v"}}}});
  EXPECT_EQ(s.TypeName(), "InvalidArgumentException");
  EXPECT_EQ(s.message(),
            "Failed to add tags to stream s under account 000000000000 because a given stream "
            "cannot have more than 50 tags associated with it.");
  EXPECT_EQ(TagsOf("s").size(), 50u);
}

TEST_F(ControlPlaneTest, TagCharactersAsAwsChecksThem) {
  Create("s", 1);
  Call("AddTagsToStream",
       {{"StreamName", "s"}, {"Tags", {{"Owner: team/a_b.c=d+e-f@g", "caf\u00e9 \u0416"}}}});
  Status s = Error("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"a#b", "v"}}}});
  EXPECT_EQ(s.TypeName(), "InvalidArgumentException");
  EXPECT_EQ(s.message(),
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
            "white space, _ . / = + - % @ :.");
  s = Error("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"a", "50%"}}}});
  EXPECT_EQ(s.message(),
            "Failed to add tags to stream s under account 000000000000 because some tags "
            "contained illegal characters. The allowed characters are Unicode letters, "
            "white-spaces, '_',',','/','=','+','-','@',':'.");
  s = Error("RemoveTagsFromStream", {{"StreamName", "s"}, {"TagKeys", {"a%"}}});
  EXPECT_TRUE(s.message().starts_with("Failed to remove tags from stream s under account"));
  EXPECT_EQ(TagsOf("s").size(), 1u);
}

TEST_F(ControlPlaneTest, CreateStreamTagsAndModes) {
  Call("CreateStream", {{"StreamName", "t"}, {"ShardCount", 2}, {"Tags", {{"env", "test"}}}});
  EXPECT_EQ(TagsOf("t"), json::parse(R"([{"Key":"env","Value":"test"}])"));
  EXPECT_EQ(Summary("t")["StreamModeDetails"]["StreamMode"], "PROVISIONED");

  // ON_DEMAND sizes itself: 4 shards, as AWS's.
  Call("CreateStream",
       {{"StreamName", "od"}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}});
  json sum = Summary("od");
  EXPECT_EQ(sum["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
  EXPECT_EQ(sum["OpenShardCount"], 4);

  // A CreateStream refused for its tags creates nothing.
  EXPECT_EQ(Error("CreateStream", {{"StreamName", "bad"}, {"Tags", {{"a%", "b"}}}}).TypeName(),
            "InvalidArgumentException");
  EXPECT_FALSE(store_->DescribeStream("bad").ok());
}

TEST_F(ControlPlaneTest, TagsByResourceArn) {
  Create("s", 1);
  const std::string arn = std::string(kArn) + "s";
  Call("TagResource", {{"ResourceARN", arn}, {"Tags", {{"a", "1"}, {"b", "2"}}}});
  EXPECT_EQ(Call("ListTagsForResource", {{"ResourceARN", arn}})["Tags"],
            json::parse(R"([{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}])"));
  EXPECT_EQ(TagsOf("s").size(), 2u);  // the same tags as by name
  Call("UntagResource", {{"ResourceARN", arn}, {"TagKeys", {"a"}}});
  EXPECT_EQ(TagsOf("s"), json::parse(R"([{"Key":"b","Value":"2"}])"));

  // A consumer's tags are its own.
  json c = Call("RegisterStreamConsumer",
                {{"StreamARN", arn}, {"ConsumerName", "app"}, {"Tags", {{"team", "x"}}}});
  const std::string carn = c["Consumer"]["ConsumerARN"];
  EXPECT_EQ(Call("ListTagsForResource", {{"ResourceARN", carn}})["Tags"],
            json::parse(R"([{"Key":"team","Value":"x"}])"));
  Call("TagResource", {{"ResourceARN", carn}, {"Tags", {{"tier", "gold"}}}});
  Call("UntagResource", {{"ResourceARN", carn}, {"TagKeys", {"team"}}});
  EXPECT_EQ(Call("ListTagsForResource", {{"ResourceARN", carn}})["Tags"],
            json::parse(R"([{"Key":"tier","Value":"gold"}])"));
  EXPECT_EQ(TagsOf("s"), json::parse(R"([{"Key":"b","Value":"2"}])"));

  EXPECT_EQ(Error("ListTagsForResource", {{"ResourceARN", arn + "/consumer/nope:1"}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_EQ(Error("ListTagsForResource", {{"ResourceARN", std::string(kArn) + "gone"}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_EQ(
      Error("TagResource", {{"ResourceARN", "arn:aws:kinesis:us-east-1:123456789012:stream/s"},
                            {"Tags", {{"a", "1"}}}})
          .TypeName(),
      "InvalidArgumentException");
}

// --- Retention ------------------------------------------------------------------------------

TEST_F(ControlPlaneTest, RetentionPeriodsInAwsWords) {
  Create("s", 1);
  EXPECT_EQ(Summary("s")["RetentionPeriodHours"], 24);
  Call("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 168}});
  EXPECT_EQ(Summary("s")["RetentionPeriodHours"], 168);
  EXPECT_EQ(
      Call("DescribeStream", {{"StreamName", "s"}})["StreamDescription"]["RetentionPeriodHours"],
      168);

  Status s =
      Error("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 48}});
  EXPECT_EQ(s.TypeName(), "InvalidArgumentException");
  EXPECT_EQ(s.message(),
            "Requested retention period (48 hours) for stream s can not be shorter than existing "
            "retention period (168 hours). Use DecreaseRetentionPeriod API.");
  s = Error("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 200}});
  EXPECT_EQ(s.message(),
            "Requested retention period (200 hours) for stream s can not be longer than existing "
            "retention period (168 hours). Use IncreaseRetentionPeriod API.");
  s = Error("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 23}});
  EXPECT_EQ(s.message(),
            "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) "
            "is too short.");
  s = Error("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 8761}});
  EXPECT_EQ(s.message(),
            "Maximum allowed retention period is 8760 hours. Requested retention period (8761 "
            "hours) is too long.");
  Call("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 8760}});
  Call("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 24}});
  EXPECT_EQ(Summary("s")["RetentionPeriodHours"], 24);
  // The same period is no change, and no error.
  Call("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 24}});
  EXPECT_EQ(
      Error("IncreaseStreamRetentionPeriod", {{"StreamName", "x"}, {"RetentionPeriodHours", 48}})
          .TypeName(),
      "ResourceNotFoundException");
}

// Each stream is trimmed by its own retention period.
TEST_F(ControlPlaneTest, RetentionPerStreamTrimsByTheStreamsOwnPeriod) {
  Create("short", 1);
  Create("long", 1);
  Call("IncreaseStreamRetentionPeriod", {{"StreamName", "long"}, {"RetentionPeriodHours", 48}});
  for (const char* name : {"short", "long"}) {
    Call("PutRecord", {{"StreamName", name}, {"PartitionKey", "k"}, {"Data", Base64Encode("x")}});
  }
  auto count = [&](const std::string& name) {
    json it = Call("GetShardIterator", {{"StreamName", name},
                                        {"ShardId", "shardId-000000000000"},
                                        {"ShardIteratorType", "TRIM_HORIZON"}});
    return Call("GetRecords", {{"ShardIterator", it["ShardIterator"]}})["Records"].size();
  };
  clock_.Advance(30 * 3600 * 1000);
  ASSERT_OK(store_->TrimExpired());
  EXPECT_EQ(count("short"), 0u);
  EXPECT_EQ(count("long"), 1u);
  clock_.Advance(20 * 3600 * 1000);
  ASSERT_OK(store_->TrimExpired());
  EXPECT_EQ(count("long"), 0u);
}

// --- Encryption, monitoring, modes, limits ------------------------------------------------

TEST_F(ControlPlaneTest, EncryptionIsRecordedAndReported) {
  Create("s", 1);
  EXPECT_EQ(Summary("s")["EncryptionType"], "NONE");
  EXPECT_FALSE(Summary("s").contains("KeyId"));
  Call("StartStreamEncryption",
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
  json d = Call("DescribeStream", {{"StreamName", "s"}})["StreamDescription"];
  EXPECT_EQ(d["EncryptionType"], "KMS");
  EXPECT_EQ(d["KeyId"], "alias/aws/kinesis");
  EXPECT_EQ(Summary("s")["KeyId"], "alias/aws/kinesis");
  Call("StopStreamEncryption",
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
  EXPECT_EQ(Summary("s")["EncryptionType"], "NONE");
  EXPECT_FALSE(Summary("s").contains("KeyId"));
  EXPECT_EQ(Error("StartStreamEncryption",
                  {{"StreamName", "s"}, {"EncryptionType", "NONE"}, {"KeyId", "k"}})
                .TypeName(),
            "InvalidArgumentException");
  EXPECT_EQ(Error("StartStreamEncryption",
                  {{"StreamName", "x"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}})
                .TypeName(),
            "ResourceNotFoundException");
}

TEST_F(ControlPlaneTest, EnhancedMonitoringCurrentAndDesired) {
  Create("s", 1);
  json r = Call("EnableEnhancedMonitoring",
                {{"StreamName", "s"}, {"ShardLevelMetrics", {"IncomingBytes"}}});
  EXPECT_EQ(r["StreamName"], "s");
  EXPECT_EQ(r["StreamARN"], std::string(kArn) + "s");
  EXPECT_EQ(r["CurrentShardLevelMetrics"], json::array());
  EXPECT_EQ(r["DesiredShardLevelMetrics"], json({"IncomingBytes"}));
  r = Call("EnableEnhancedMonitoring", {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
  EXPECT_EQ(r["CurrentShardLevelMetrics"], json({"IncomingBytes"}));
  EXPECT_EQ(r["DesiredShardLevelMetrics"].size(), 7u);
  EXPECT_EQ(Summary("s")["EnhancedMonitoring"][0]["ShardLevelMetrics"].size(), 7u);
  r = Call("DisableEnhancedMonitoring",
           {{"StreamName", "s"}, {"ShardLevelMetrics", {"IncomingBytes", "OutgoingBytes"}}});
  EXPECT_EQ(r["DesiredShardLevelMetrics"].size(), 5u);
  r = Call("DisableEnhancedMonitoring", {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
  EXPECT_EQ(r["DesiredShardLevelMetrics"], json::array());
  EXPECT_EQ(Summary("s")["EnhancedMonitoring"], json::parse(R"([{"ShardLevelMetrics":[]}])"));
}

TEST_F(ControlPlaneTest, UpdateStreamModeAndDescribeLimits) {
  Create("a", 3);
  Create("b", 2);
  json limits = Call("DescribeLimits", json::object());
  EXPECT_EQ(limits, json::parse(R"({"ShardLimit":500,"OpenShardCount":5,
                                    "OnDemandStreamCount":0,"OnDemandStreamCountLimit":50})"));
  const std::string arn = std::string(kArn) + "a";
  Call("UpdateStreamMode",
       {{"StreamARN", arn}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}});
  EXPECT_EQ(Summary("a")["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
  EXPECT_EQ(Summary("a")["OpenShardCount"], 3);  // switching keeps the shards, as AWS does
  EXPECT_EQ(
      Call("ListStreams", json::object())["StreamSummaries"][0]["StreamModeDetails"]["StreamMode"],
      "ON_DEMAND");
  EXPECT_EQ(Call("DescribeLimits", json::object())["OnDemandStreamCount"], 1);
  Call("UpdateStreamMode",
       {{"StreamARN", arn}, {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}}});
  EXPECT_EQ(Call("DescribeLimits", json::object())["OnDemandStreamCount"], 0);
  EXPECT_EQ(Error("UpdateStreamMode", {{"StreamARN", std::string(kArn) + "x"},
                                       {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}})
                .TypeName(),
            "ResourceNotFoundException");
}

TEST_F(ControlPlaneTest, OnDemandStreamCountLimit) {
  for (int i = 0; i < 50; ++i) {
    Call("CreateStream", {{"StreamName", "od" + std::to_string(i)},
                          {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}});
  }
  EXPECT_EQ(Error("CreateStream", {{"StreamName", "one-more"},
                                   {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}})
                .TypeName(),
            "LimitExceededException");
  Create("p", 1);
  EXPECT_EQ(Error("UpdateStreamMode", {{"StreamARN", std::string(kArn) + "p"},
                                       {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}})
                .TypeName(),
            "LimitExceededException");
}

// --- Consumers ------------------------------------------------------------------------------

TEST_F(ControlPlaneTest, ConsumersRegisterDescribeListDeregister) {
  Create("s", 1);
  const std::string arn = std::string(kArn) + "s";
  json c =
      Call("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}})["Consumer"];
  const std::string carn = arn + "/consumer/app:" + std::to_string(kStartMs / 1000);
  EXPECT_EQ(c["ConsumerName"], "app");
  EXPECT_EQ(c["ConsumerARN"], carn);
  EXPECT_EQ(c["ConsumerStatus"], "ACTIVE");
  EXPECT_DOUBLE_EQ(c["ConsumerCreationTimestamp"].get<double>(), kStartMs / 1000.0);
  EXPECT_EQ(Summary("s")["ConsumerCount"], 1);

  Status s = Error("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}});
  EXPECT_EQ(s.TypeName(), "ResourceInUseException");

  json by_arn = Call("DescribeStreamConsumer", {{"ConsumerARN", carn}})["ConsumerDescription"];
  EXPECT_EQ(by_arn["StreamARN"], arn);
  EXPECT_EQ(by_arn["ConsumerName"], "app");
  json by_name = Call("DescribeStreamConsumer",
                      {{"StreamARN", arn}, {"ConsumerName", "app"}})["ConsumerDescription"];
  EXPECT_EQ(by_name, by_arn);
  // An ARN of another registration under the name (another creation time) is not this one.
  EXPECT_EQ(Error("DescribeStreamConsumer", {{"ConsumerARN", arn + "/consumer/app:1"}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_EQ(Error("DescribeStreamConsumer", {{"StreamARN", arn}}).TypeName(),
            "InvalidArgumentException");

  for (int i = 0; i < 4; ++i) {
    clock_.Advance(1000);
    Call("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "c" + std::to_string(i)}});
  }
  std::vector<std::string> names;
  json page = Call("ListStreamConsumers", {{"StreamARN", arn}, {"MaxResults", 2}});
  int pages = 1;
  for (;;) {
    for (const auto& x : page["Consumers"]) names.push_back(x["ConsumerName"]);
    if (!page.contains("NextToken")) break;
    page = Call("ListStreamConsumers",
                {{"StreamARN", arn}, {"MaxResults", 2}, {"NextToken", page["NextToken"]}});
    ++pages;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"app", "c0", "c1", "c2", "c3"}));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(Summary("s")["ConsumerCount"], 5);

  Call("DeregisterStreamConsumer", {{"ConsumerARN", carn}});
  Call("DeregisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "c0"}});
  EXPECT_EQ(Summary("s")["ConsumerCount"], 3);
  EXPECT_EQ(Error("DescribeStreamConsumer", {{"ConsumerARN", carn}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_EQ(Error("DeregisterStreamConsumer", {{"ConsumerARN", carn}}).TypeName(),
            "ResourceNotFoundException");
  EXPECT_EQ(Error("RegisterStreamConsumer",
                  {{"StreamARN", std::string(kArn) + "x"}, {"ConsumerName", "a"}})
                .TypeName(),
            "ResourceNotFoundException");
}

TEST_F(ControlPlaneTest, TwentyConsumersAStream) {
  Create("s", 1);
  const std::string arn = std::string(kArn) + "s";
  for (int i = 0; i < 20; ++i) {
    Call("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "c" + std::to_string(i)}});
  }
  EXPECT_EQ(
      Error("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "c20"}}).TypeName(),
      "LimitExceededException");
}

// --- Durability -------------------------------------------------------------------------------

TEST_F(ControlPlaneTest, SettingsSurviveAReopenAndDieWithTheStream) {
  Call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 2}, {"Tags", {{"a", "1"}}}});
  const std::string arn = std::string(kArn) + "s";
  Call("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 72}});
  Call("StartStreamEncryption", {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}});
  Call("EnableEnhancedMonitoring", {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
  Call("UpdateStreamMode",
       {{"StreamARN", arn}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}});
  Call("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}});
  const json before = Summary("s");
  const json tags = TagsOf("s");

  Open();
  EXPECT_EQ(Summary("s"), before);
  EXPECT_EQ(TagsOf("s"), tags);
  EXPECT_EQ(before["RetentionPeriodHours"], 72);
  EXPECT_EQ(before["ConsumerCount"], 1);

  // Deleted with the stream: one created again under its name starts from the defaults.
  Call("DeleteStream", {{"StreamName", "s"}});
  Create("s", 1);
  json fresh = Summary("s");
  EXPECT_EQ(fresh["RetentionPeriodHours"], 24);
  EXPECT_EQ(fresh["EncryptionType"], "NONE");
  EXPECT_EQ(fresh["ConsumerCount"], 0);
  EXPECT_EQ(fresh["StreamModeDetails"]["StreamMode"], "PROVISIONED");
  EXPECT_EQ(fresh["EnhancedMonitoring"][0]["ShardLevelMetrics"], json::array());
  EXPECT_EQ(TagsOf("s"), json::array());
  Open();
  EXPECT_EQ(Summary("s")["RetentionPeriodHours"], 24);
}

// --- Pagination -----------------------------------------------------------------------------

TEST_F(ControlPlaneTest, DescribeStreamPagesShards) {
  Create("s", 5);
  json d = Call("DescribeStream", {{"StreamName", "s"}, {"Limit", 2}})["StreamDescription"];
  ASSERT_EQ(d["Shards"].size(), 2u);
  EXPECT_EQ(d["HasMoreShards"], true);
  d = Call("DescribeStream",
           {{"StreamName", "s"},
            {"Limit", 2},
            {"ExclusiveStartShardId", d["Shards"][1]["ShardId"]}})["StreamDescription"];
  EXPECT_EQ(d["Shards"][0]["ShardId"], "shardId-000000000002");
  EXPECT_EQ(d["HasMoreShards"], true);
  d = Call("DescribeStream",
           {{"StreamName", "s"},
            {"ExclusiveStartShardId", "shardId-000000000002"}})["StreamDescription"];
  EXPECT_EQ(d["Shards"].size(), 2u);
  EXPECT_EQ(d["HasMoreShards"], false);
}

TEST_F(ControlPlaneTest, ListStreamsPagesWithNextToken) {
  for (const char* n : {"a", "b", "c", "d", "e"}) Create(n, 1);
  std::vector<std::string> names;
  json page = Call("ListStreams", {{"Limit", 2}});
  EXPECT_EQ(page["HasMoreStreams"], true);
  EXPECT_EQ(page["StreamSummaries"].size(), 2u);
  for (;;) {
    for (const auto& n : page["StreamNames"]) names.push_back(n);
    if (!page.contains("NextToken")) break;
    EXPECT_EQ(page["HasMoreStreams"], true);
    page = Call("ListStreams", {{"Limit", 2}, {"NextToken", page["NextToken"]}});
  }
  EXPECT_EQ(page["HasMoreStreams"], false);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  json r = Call("ListStreams", {{"ExclusiveStartStreamName", "c"}});
  EXPECT_EQ(r["StreamNames"], json({"d", "e"}));
  EXPECT_EQ(Error("ListStreams", {{"NextToken", "!!"}}).TypeName(), "InvalidArgumentException");
}

TEST_F(ControlPlaneTest, ListShardsPagesAndFilters) {
  Create("s", 5);
  std::vector<std::string> ids;
  json page = Call("ListShards", {{"StreamName", "s"}, {"MaxResults", 2}});
  for (;;) {
    for (const auto& sh : page["Shards"]) ids.push_back(sh["ShardId"]);
    if (!page.contains("NextToken")) break;
    page = Call("ListShards", {{"NextToken", page["NextToken"]}, {"MaxResults", 2}});
  }
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[4], "shardId-000000000004");

  Status s = Error("ListShards", {{"StreamName", "s"}, {"NextToken", "abc"}});
  EXPECT_EQ(s.message(), "NextToken and StreamName cannot be provided together.");
  s = Error("ListShards", json::object());
  EXPECT_EQ(s.message(), "Either NextToken or StreamName should be provided.");

  json r =
      Call("ListShards", {{"StreamName", "s"}, {"ExclusiveStartShardId", "shardId-000000000002"}});
  EXPECT_EQ(r["Shards"].size(), 2u);
  r = Call("ListShards",
           {{"StreamName", "s"},
            {"ShardFilter", {{"Type", "AFTER_SHARD_ID"}, {"ShardId", "shardId-000000000003"}}}});
  ASSERT_EQ(r["Shards"].size(), 1u);
  EXPECT_EQ(r["Shards"][0]["ShardId"], "shardId-000000000004");
  for (const char* type : {"AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST"}) {
    EXPECT_EQ(Call("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", type}}}})["Shards"]
                  .size(),
              5u)
        << type;
  }
  r = Call("ListShards",
           {{"StreamName", "s"},
            {"ShardFilter", {{"Type", "AT_TIMESTAMP"}, {"Timestamp", kStartMs / 1000}}}});
  EXPECT_EQ(r["Shards"].size(), 5u);
  EXPECT_FALSE(
      api_->Call("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", "AT_TIMESTAMP"}}}})
          .ok());

  // StreamCreationTimestamp names one incarnation of the stream.
  EXPECT_EQ(Call("ListShards",
                 {{"StreamName", "s"}, {"StreamCreationTimestamp", kStartMs / 1000}})["Shards"]
                .size(),
            5u);
  EXPECT_EQ(
      Error("ListShards", {{"StreamName", "s"}, {"StreamCreationTimestamp", 1000}}).TypeName(),
      "ResourceNotFoundException");
}

}  // namespace
}  // namespace pinstream
