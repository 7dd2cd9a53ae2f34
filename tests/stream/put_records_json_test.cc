#include "stream/put_records_json.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/clock.h"
#include "stream/kinesis_api.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

json Entry(const std::string& key, const std::string& data) {
  return {{"PartitionKey", key}, {"Data", Base64Encode(data)}};
}

TEST(DecodePutRecordsJsonTest, DecodesAPlainRequest) {
  json request = {
      {"StreamName", "s"},
      {"Records",
       {Entry("k1", std::string("a\0b", 3)),
        {{"PartitionKey", "k2"}, {"Data", Base64Encode("xyz")}, {"ExplicitHashKey", "7"}}}},
      {"Ignored", 1}};
  auto batch = DecodePutRecordsJson(request.dump());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->stream, "s");
  ASSERT_EQ(batch->entries.size(), 2u);
  EXPECT_EQ(batch->entries[0].partition_key, "k1");
  EXPECT_EQ(batch->entries[0].data, std::string("a\0b", 3));
  EXPECT_FALSE(batch->entries[0].explicit_hash_key.has_value());
  EXPECT_EQ(batch->entries[1].partition_key, "k2");
  EXPECT_EQ(batch->entries[1].data, "xyz");
  ASSERT_TRUE(batch->entries[1].explicit_hash_key.has_value());
  EXPECT_EQ(*batch->entries[1].explicit_hash_key, "7");

  // The views stay valid when the batch moves.
  PutRecordsJson moved = std::move(*batch);
  EXPECT_EQ(moved.entries[1].data, "xyz");
}

// A full batch of large records decodes byte for byte, into a reused PutRecordsJson whose views
// follow its buffer, from a padded body parsed in place as from one that is not.
TEST(DecodePutRecordsJsonTest, DecodesLargeBatchesIntoAReusedBatch) {
  std::vector<std::string> data;
  json records = json::array();
  for (size_t i = 0; i < kMaxPutRecordsEntries; ++i) {
    std::string bytes(i % 3 == 0 ? 700 : 1 + i, '\0');
    for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<char>(i * 31 + j * 7);
    records.push_back(Entry("key-" + std::to_string(i), bytes));
    data.push_back(std::move(bytes));
  }
  const std::string big = json{{"StreamName", "s"}, {"Records", records}}.dump();
  const std::string small = json{{"StreamName", "t"}, {"Records", {Entry("k", "xyz")}}}.dump();
  std::string padded = big + std::string(kPutRecordsJsonPadding, '\0');

  PutRecordsJson batch;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(
        DecodePutRecordsJson(std::string_view(padded.data(), big.size()), padded.size(), &batch));
    ASSERT_EQ(batch.entries.size(), data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      EXPECT_EQ(batch.entries[i].partition_key, "key-" + std::to_string(i));
      EXPECT_EQ(batch.entries[i].data, data[i]) << i;
    }
    ASSERT_TRUE(DecodePutRecordsJson(small, small.size(), &batch));
    EXPECT_EQ(batch.stream, "t");
    ASSERT_EQ(batch.entries.size(), 1u);
    EXPECT_EQ(batch.entries[0].data, "xyz");
  }

  // A bad character deep inside long data, or padding in its middle, leaves it to the general path.
  for (char bad : {'*', '=', ' '}) {
    json broken = records;
    std::string text = broken[250]["Data"];
    text[text.size() / 2] = bad;
    broken[250]["Data"] = text;
    EXPECT_FALSE(DecodePutRecordsJson(json{{"StreamName", "s"}, {"Records", broken}}.dump()))
        << bad;
  }
}

// Everything but the plain case is left to the general path, which reports it.
TEST(DecodePutRecordsJsonTest, LeavesEverythingElseToTheGeneralPath) {
  json five_hundred_and_one = json::array();
  for (int i = 0; i < 501; ++i) five_hundred_and_one.push_back(Entry("k", "d"));
  const std::string cases[] = {
      "",
      "{",
      "[]",
      R"({"Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamARN":"arn:aws:kinesis:us-east-1:0:stream/s","Records":[]})",
      R"({"StreamName":7,"Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamName":"s"})",
      R"({"StreamName":"s","Records":{}})",
      R"({"StreamName":"s","Records":[]})",
      json{{"StreamName", "s"}, {"Records", five_hundred_and_one}}.dump(),
      R"({"StreamName":"s","Records":[1]})",
      R"({"StreamName":"s","Records":[{"Data":"ZA=="}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":5,"Data":"ZA=="}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":null}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"not base64!"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"ZA==","ExplicitHashKey":1}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","PartitionKey":"j","Data":"ZA=="}]})",
      R"({"StreamName":"s","StreamName":"t","Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      "{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"\xff\",\"Data\":\"ZA==\"}]}",
      // AWS's constraints, which the general path words as a ValidationException (or, for an
      // ExplicitHashKey past 2^128-1, an InvalidArgumentException for the whole call).
      R"({"StreamName":"s","StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s",)"
      R"("Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamName":"bad name","Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamName":"","Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      json{{"StreamName", std::string(129, 's')}, {"Records", {Entry("k", "d")}}}.dump(),
      R"({"StreamName":"s","Records":[{"PartitionKey":"","Data":"ZA=="}]})",
      json{{"StreamName", "s"}, {"Records", {Entry(std::string(257, 'k'), "d")}}}.dump(),
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"ZB=="}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"ZA==","ExplicitHashKey":"x"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"ZA==","ExplicitHashKey":"01"}]})",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"ZA==",)"
      R"("ExplicitHashKey":"340282366920938463463374607431768211456"}]})",
  };
  for (const auto& body : cases) {
    EXPECT_FALSE(DecodePutRecordsJson(body).has_value()) << body.substr(0, 120);
  }
}

// The hand-written response is KinesisApi's, successes and per-record failures alike.
TEST(EncodePutRecordsResponseTest, MatchesKinesisApi) {
  testing::TempDir dir;
  ManualClock clock(1'600'000'000'000);
  auto open = [&](const std::string& name) {
    StreamStore::Options options;
    options.path = dir.Sub(name);
    options.clock = &clock;
    options.write_buffer_bytes = size_t{8} << 20;
    auto store = StreamStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_OK((*store)->CreateStream("s", 3));
    return std::move(store).value();
  };
  auto general = open("general");
  auto fast = open("fast");

  json records = json::array();
  for (int i = 0; i < 20; ++i) records.push_back(Entry("key-" + std::to_string(i), "r"));
  records[7]["Data"] = Base64Encode(std::string(kMaxRecordDataBytes + 1, 'x'));  // too big
  records[9]["ExplicitHashKey"] = "340282366920938463463374607431768211455";
  const json request = {{"StreamName", "s"}, {"Records", records}};

  auto expected = KinesisApi(general.get()).Call("PutRecords", request);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  auto batch = DecodePutRecordsJson(request.dump());
  ASSERT_TRUE(batch.has_value());
  std::vector<PutResult> results;
  ASSERT_OK(fast->PutRecords(batch->stream, batch->entries, &results));
  const std::string text = EncodePutRecordsResponse(results);
  json actual = json::parse(text);
  EXPECT_EQ(actual, *expected) << text;
  EXPECT_EQ(actual["FailedRecordCount"], 1);
}

// What the HTTP gateway answers a PutRecords body (kinesis_route.cc): the fast path when
// DecodePutRecordsJson takes the body, else the general path. Errors as "Type: message".
std::string GatewayReply(StreamStore* store, const std::string& body, bool fast) {
  if (fast) {
    if (auto batch = DecodePutRecordsJson(body)) {
      std::vector<PutResult> results;
      Status s = store->PutRecords(batch->stream, batch->entries, &results);
      if (!s.ok()) return s.ToString();
      return json::parse(EncodePutRecordsResponse(results)).dump();
    }
  }
  auto r = KinesisApi(store).Call("PutRecords", json::parse(body));
  return r.ok() ? r->dump() : r.status().ToString();
}

// The fast path is only a faster way to the general path's answers: for every body, valid or
// not, both reply alike (the same records written, or the same error type and AWS's message).
TEST(PutRecordsFastPathTest, AnswersAsTheGeneralPath) {
  testing::TempDir dir;
  ManualClock clock(1'600'000'000'000);
  auto open = [&](const std::string& name) {
    StreamStore::Options options;
    options.path = dir.Sub(name);
    options.clock = &clock;
    options.write_buffer_bytes = size_t{8} << 20;
    auto store = StreamStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_OK((*store)->CreateStream("s", 2));
    return std::move(store).value();
  };
  auto general = open("general");
  auto fast = open("fast");

  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back(Entry("k" + std::to_string(i), "d"));
  std::string umlauts;
  for (int i = 0; i < 256; ++i) umlauts += "\xc3\xa4";
  // A braced list of one entry is that entry to nlohmann, not an array of it: wrap it.
  auto body = [](const json& records, const json& stream = "s") {
    const json list = records.is_object() ? json::array({records}) : records;
    return json{{"StreamName", stream}, {"Records", list}}.dump();
  };
  json big = Entry("big", std::string(kMaxRecordDataBytes + 1, 'x'));
  const std::string hash_max = "340282366920938463463374607431768211455";
  const std::vector<std::string> bodies = {
      body({Entry("a", "one"), Entry("b", "two")}),
      body({Entry(umlauts, "256 characters in 512 bytes")}),
      body({Entry(umlauts + "\xc3\xa4", "257 characters")}),
      body({Entry("k", "d"), big}),  // one record too big: that record fails
      body({{{"PartitionKey", "k"}, {"Data", "ZA=="}, {"ExplicitHashKey", hash_max}}}),
      body({{{"PartitionKey", "k"}, {"Data", "ZA=="}, {"ExplicitHashKey", hash_max + "0"}}}),
      body({{{"PartitionKey", "k"},
             {"Data", "ZA=="},
             {"ExplicitHashKey", "340282366920938463463374607431768211456"}}}),
      body({{{"PartitionKey", "k"}, {"Data", "ZA=="}, {"ExplicitHashKey", "-1"}}}),
      body({{{"PartitionKey", "k"}, {"Data", "ZA=="}, {"ExplicitHashKey", 7}}}),
      body({{{"PartitionKey", "k"}, {"Data", "ZB=="}}}),
      body({{{"PartitionKey", "k"}, {"Data", "not base64!"}}}),
      body({{{"PartitionKey", ""}, {"Data", "ZA=="}}}),
      body({{{"PartitionKey", std::string(257, 'k')}, {"Data", "ZA=="}}}),
      body({{{"PartitionKey", 5}, {"Data", "ZA=="}}}),
      body({{{"Data", "ZA=="}}}),
      body(json::array()),
      body(many),
      body({Entry("k", "d")}, "nope"),
      body({Entry("k", "d")}, "bad name"),
      body({Entry("k", "d")}, ""),
      body({Entry("k", "d")}, std::string(129, 's')),
      body({Entry("k", "d")}, 7),
      R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s",)"
      R"("Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamName":"s","StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/nope",)"
      R"("Records":[{"PartitionKey":"k","Data":"ZA=="}]})",
      R"({"StreamName":"s","Records":{}})",
      R"({"StreamName":"s"})",
  };
  std::vector<size_t> fast_taken;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const std::string& b = bodies[i];
    SCOPED_TRACE(b.substr(0, 200));
    if (DecodePutRecordsJson(b).has_value()) fast_taken.push_back(i);
    EXPECT_EQ(GatewayReply(fast.get(), b, /*fast=*/true),
              GatewayReply(general.get(), b, /*fast=*/false));
  }
  // The valid bodies did take the fast path: the plain ones, 256 characters, a record too big
  // (the store's per-record failure), the largest ExplicitHashKey and an unknown stream (the
  // store's ResourceNotFoundException).
  EXPECT_EQ(fast_taken, (std::vector<size_t>{0, 1, 3, 4, 17}));
}

}  // namespace
}  // namespace pinstream
