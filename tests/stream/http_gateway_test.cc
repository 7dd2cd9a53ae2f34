// The HTTP gateway in process: a store, the gateway on a free loopback port, and cpp-httplib's
// client speaking each dialect (Kinesis JSON 1.1, the seeds' REST proxy, the Kafka REST proxy).
#include "stream/http_gateway.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/hash_key.h"
#include "stream/kinesis_api.h"
#include "stream/stream_store.h"
#include "tests/support/proc_inspect.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

// One HTTP exchange as the tests look at it.
struct Reply {
  int status = 0;  // 0 when the request failed at the transport
  std::string content_type;
  std::string raw;
  json body;  // the parsed body; null when it is not JSON
};

Reply ToReply(const httplib::Result& r) {
  Reply out;
  if (!r) {
    out.raw = "transport error " + std::to_string(static_cast<int>(r.error()));
    return out;
  }
  out.status = r->status;
  out.content_type = r->get_header_value("Content-Type");
  out.raw = r->body;
  out.body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

// A record as read back through the store.
struct Stored {
  std::string partition_key;
  std::string data;
  uint32_t shard = 0;
};

class HttpGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { StartGateway(""); }

  void StartGateway(const std::string& api_key) {
    gateway_.reset();
    if (!store_) {
      StreamStore::Options options;
      options.path = dir_.Sub("db");
      options.write_buffer_bytes = size_t{16} << 20;
      auto store = StreamStore::Open(options);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    }
    HttpGateway::Options options;
    options.server.host = "127.0.0.1";
    options.server.port = 0;
    options.server.threads = 4;
    options.api_key = api_key;
    auto gateway = HttpGateway::Start(store_.get(), options);
    ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
    gateway_ = std::move(gateway).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    client_->set_keep_alive(true);
    client_->set_read_timeout(30);
  }

  Reply Kinesis(const std::string& action, const json& request,
                const std::string& content_type = "application/x-amz-json-1.1") {
    return KinesisRaw("Kinesis_20131202." + action, request.dump(), content_type);
  }

  Reply KinesisRaw(const std::string& target, const std::string& body,
                   const std::string& content_type = "application/x-amz-json-1.1",
                   httplib::Headers headers = {}) {
    if (!target.empty()) headers.emplace("X-Amz-Target", target);
    return ToReply(client_->Post("/", headers, body, content_type.c_str()));
  }

  // Calls a Kinesis action that must succeed.
  json KinesisOk(const std::string& action, const json& request) {
    Reply r = Kinesis(action, request);
    EXPECT_EQ(r.status, 200) << action << " " << request.dump() << ": " << r.raw;
    EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
    return r.body;
  }

  Reply Rest(const std::string& method, const std::string& path, const std::string& body = "") {
    if (method == "GET") return ToReply(client_->Get(path.c_str()));
    if (method == "DELETE") return ToReply(client_->Delete(path.c_str()));
    if (method == "POST") return ToReply(client_->Post(path.c_str(), body, "application/json"));
    return ToReply(client_->Put(path.c_str(), body, "application/json"));
  }

  Reply Kafka(const std::string& topic, const std::string& body,
              const std::string& content_type = "application/vnd.kafka.json.v2+json") {
    return ToReply(client_->Post(("/topics/" + topic).c_str(), body, content_type.c_str()));
  }

  void CreateStream(const std::string& name, int shards) {
    ASSERT_OK(store_->CreateStream(name, static_cast<uint32_t>(shards)));
  }

  // Every record of `stream`, shard by shard, read through the store.
  std::vector<Stored> ReadAll(const std::string& stream) {
    std::vector<Stored> out;
    auto desc = store_->DescribeStream(stream);
    EXPECT_TRUE(desc.ok()) << desc.status().ToString();
    if (!desc.ok()) return out;
    for (const auto& shard : desc->shards) {
      auto it = store_->GetShardIterator(stream, ShardIdFromIndex(shard.index), {});
      EXPECT_TRUE(it.ok()) << it.status().ToString();
      if (!it.ok()) return out;
      auto read = store_->GetRecords(*it, kMaxGetRecordsLimit, [&](const RecordView& r) {
        out.push_back({std::string(r.partition_key), std::string(r.data), shard.index});
      });
      EXPECT_TRUE(read.ok()) << read.status().ToString();
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<HttpGateway> gateway_;
  std::unique_ptr<httplib::Client> client_;
};

// ---------------------------------------------------------------------------------------------
// Kinesis JSON 1.1

TEST_F(HttpGatewayTest, KinesisControlPlane) {
  EXPECT_TRUE(KinesisOk("CreateStream", {{"StreamName", "s"}, {"ShardCount", 3}}).empty());
  json list = KinesisOk("ListStreams", json::object());
  EXPECT_EQ(list["StreamNames"], json::array({"s"}));
  EXPECT_EQ(list["HasMoreStreams"], false);
  json desc = KinesisOk("DescribeStream", {{"StreamName", "s"}})["StreamDescription"];
  EXPECT_EQ(desc["StreamStatus"], "ACTIVE");
  ASSERT_EQ(desc["Shards"].size(), 3u);
  EXPECT_EQ(desc["Shards"][0]["HashKeyRange"]["StartingHashKey"], "0");
  json summary = KinesisOk("DescribeStreamSummary", {{"StreamName", "s"}});
  EXPECT_EQ(summary["StreamDescriptionSummary"]["OpenShardCount"], 3);
  EXPECT_EQ(KinesisOk("ListShards", {{"StreamName", "s"}})["Shards"].size(), 3u);
  EXPECT_TRUE(KinesisOk("DeleteStream", {{"StreamName", "s"}}).empty());
  EXPECT_EQ(KinesisOk("ListStreams", json::object())["StreamNames"], json::array());
}

// Empty bodies, application/json, CBOR, CORS and the request ids: gateway_clients_test.cc.

TEST_F(HttpGatewayTest, KinesisRequestIdHeader) {
  auto r = client_->Post("/", {{"X-Amz-Target", "Kinesis_20131202.ListStreams"}}, "{}",
                         "application/x-amz-json-1.1");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->get_header_value("x-amzn-RequestId").empty());
}

TEST_F(HttpGatewayTest, KinesisPutRecordAndGetRecordsRoundTrip) {
  CreateStream("s", 2);
  const std::string data = std::string("binary\0data\xff", 12);
  json put = KinesisOk("PutRecord",
                       {{"StreamName", "s"}, {"PartitionKey", "k1"}, {"Data", Base64Encode(data)}});
  ASSERT_TRUE(put.contains("SequenceNumber")) << put.dump();
  const std::string shard = put["ShardId"];
  json it =
      KinesisOk("GetShardIterator",
                {{"StreamName", "s"}, {"ShardId", shard}, {"ShardIteratorType", "TRIM_HORIZON"}});
  json got = KinesisOk("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
  ASSERT_EQ(got["Records"].size(), 1u);
  EXPECT_EQ(got["Records"][0]["SequenceNumber"], put["SequenceNumber"]);
  EXPECT_EQ(got["Records"][0]["PartitionKey"], "k1");
  EXPECT_EQ(*Base64Decode(got["Records"][0]["Data"].get<std::string>()), data);
  EXPECT_TRUE(got["Records"][0]["ApproximateArrivalTimestamp"].is_number());
  EXPECT_TRUE(got["NextShardIterator"].is_string());
  EXPECT_TRUE(got["MillisBehindLatest"].is_number());
}

TEST_F(HttpGatewayTest, KinesisEveryIteratorType) {
  CreateStream("s", 1);
  std::vector<std::string> seqs;
  for (int i = 0; i < 3; ++i) {
    json put = KinesisOk("PutRecord", {{"StreamName", "s"},
                                       {"PartitionKey", "k"},
                                       {"Data", Base64Encode("r" + std::to_string(i))}});
    seqs.push_back(put["SequenceNumber"]);
  }
  auto read = [&](json position) {
    position["StreamName"] = "s";
    position["ShardId"] = "shardId-000000000000";
    json it = KinesisOk("GetShardIterator", position);
    json got = KinesisOk("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
    std::vector<std::string> data;
    for (const auto& r : got["Records"])
      data.push_back(*Base64Decode(r["Data"].get<std::string>()));
    return data;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(read({{"ShardIteratorType", "TRIM_HORIZON"}}), (V{"r0", "r1", "r2"}));
  EXPECT_EQ(read({{"ShardIteratorType", "LATEST"}}), V{});
  EXPECT_EQ(
      read({{"ShardIteratorType", "AT_SEQUENCE_NUMBER"}, {"StartingSequenceNumber", seqs[1]}}),
      (V{"r1", "r2"}));
  EXPECT_EQ(
      read({{"ShardIteratorType", "AFTER_SEQUENCE_NUMBER"}, {"StartingSequenceNumber", seqs[1]}}),
      (V{"r2"}));
  // AWS SDKs send timestamps as epoch seconds.
  EXPECT_EQ(read({{"ShardIteratorType", "AT_TIMESTAMP"}, {"Timestamp", 0.0}}),
            (V{"r0", "r1", "r2"}));
}

TEST_F(HttpGatewayTest, KinesisPutRecordsPartialFailure) {
  CreateStream("s", 4);
  json records = json::array();
  for (int i = 0; i < 5; ++i) {
    records.push_back({{"PartitionKey", "key-" + std::to_string(i)},
                       {"Data", Base64Encode("record " + std::to_string(i))}});
  }
  // What passes AWS's constraints (a wrong type or a broken one fails the whole call) but fails
  // one record in the store: data past 1 MiB, which the model allows up to 10.
  records[1]["Data"] = Base64Encode(std::string(kMaxRecordDataBytes + 1, 'x'));
  records[3]["Data"] = records[1]["Data"];
  json r = KinesisOk("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(r["FailedRecordCount"], 2);
  ASSERT_EQ(r["Records"].size(), 5u);
  for (int i : {0, 2, 4}) {
    EXPECT_TRUE(r["Records"][i].contains("SequenceNumber")) << r["Records"][i].dump();
    EXPECT_TRUE(r["Records"][i].contains("ShardId"));
  }
  for (int i : {1, 3}) {
    EXPECT_EQ(r["Records"][i]["ErrorCode"], "InvalidArgumentException") << r["Records"][i].dump();
    EXPECT_TRUE(r["Records"][i]["ErrorMessage"].is_string());
  }
  EXPECT_EQ(ReadAll("s").size(), 3u);
}

TEST_F(HttpGatewayTest, KinesisErrorsHaveTypeAndStatus) {
  CreateStream("s", 1);
  Reply r = Kinesis("DescribeStream", {{"StreamName", "missing"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
  EXPECT_EQ(r.body["__type"], "ResourceNotFoundException");
  EXPECT_TRUE(r.body["message"].get<std::string>().find("missing") != std::string::npos);

  r = Kinesis("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ResourceInUseException");

  // A valid batch takes the gateway's DOM-free path; its errors are the same.
  r = Kinesis("PutRecords", {{"StreamName", "missing"},
                             {"Records", {{{"PartitionKey", "k"}, {"Data", Base64Encode("x")}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ResourceNotFoundException");

  r = Kinesis("CreateStream", {{"StreamName", "bad name!"}, {"ShardCount", 1}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ValidationException");
  EXPECT_EQ(r.body["message"],
            "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");

  r = Kinesis("GetRecords", {{"ShardIterator", "garbage"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "InvalidArgumentException");
  EXPECT_EQ(r.body["message"], "Invalid ShardIterator.");

  r = Kinesis("CreateStream", {{"StreamName", "t"}, {"ShardCount", 100000}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "LimitExceededException");
}

TEST_F(HttpGatewayTest, KinesisWrongTypes) {
  // AWS's SerializationException, in its (Java's) words.
  for (const json& request :
       {json{{"StreamName", "s"}, {"ShardCount", "two"}}, json{{"StreamName", 7}}}) {
    Reply r = Kinesis("CreateStream", request);
    EXPECT_EQ(r.status, 400) << request.dump();
    EXPECT_EQ(r.body["__type"], "SerializationException") << r.raw;
  }
  CreateStream("s", 1);
  Reply r = Kinesis("PutRecords", {{"StreamName", "s"}, {"Records", "not an array"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "SerializationException");
  EXPECT_EQ(r.body["message"], "Expected list or null");
}

TEST_F(HttpGatewayTest, KinesisMalformedJson) {
  for (const std::string body : {"{", "not json", "[1,2]", "\"text\""}) {
    Reply r = KinesisRaw("Kinesis_20131202.ListStreams", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.body["__type"], "SerializationException") << body << ": " << r.raw;
  }
}

TEST_F(HttpGatewayTest, KinesisUnknownOperation) {
  Reply r = Kinesis("SplitTheAtom", json::object());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "UnknownOperationException");
  r = KinesisRaw("DynamoDB_20120810.ListTables", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "UnknownOperationException");
  r = KinesisRaw("", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "UnknownOperationException");
}

TEST_F(HttpGatewayTest, OversizeBodyIs413) {
  CreateStream("s", 1);
  std::string body(HttpGateway::kDefaultMaxBodyBytes + 1, ' ');
  Reply r = KinesisRaw("Kinesis_20131202.PutRecords", body);
  EXPECT_EQ(r.status, 413) << r.raw.substr(0, 200);
  EXPECT_EQ(r.body["__type"], "InvalidArgumentException") << r.raw.substr(0, 200);

  r = Rest("PUT", "/streams/s/records", body);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.body.contains("message"));

  r = Kafka("s", body);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error_code"], 41301) << r.raw.substr(0, 200);

  // The connection is still good for the next request.
  EXPECT_EQ(Rest("GET", "/streams").status, 200);
}

TEST_F(HttpGatewayTest, KinesisBatchOverFiveMiBIsRefusedWhole) {
  CreateStream("s", 1);
  json records = json::array();
  // 5.2 MiB of data: over the batch limit, while its base64 still fits the body limit.
  const std::string data = Base64Encode(std::string(880 * 1024, 'x'));
  for (int i = 0; i < 6; ++i) records.push_back({{"PartitionKey", "k"}, {"Data", data}});
  Reply r = Kinesis("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "InvalidArgumentException");
  EXPECT_TRUE(ReadAll("s").empty());
}

// ---------------------------------------------------------------------------------------------
// The seeds' REST proxy

TEST_F(HttpGatewayTest, RestStreamLifecycle) {
  Reply r = Rest("GET", "/streams");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body["StreamNames"], json::array());

  r = Rest("POST", "/streams/streaming-0a1b.pin", R"({"ShardCount":2})");
  EXPECT_EQ(r.status, 200) << r.raw;
  r = Rest("POST", "/streams/streaming-0a1b.pin", R"({"ShardCount":2})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["__type"], "ResourceInUseException");
  EXPECT_EQ(Rest("POST", "/streams/one-shard").status, 200);  // no body: one shard
  EXPECT_EQ(store_->DescribeStream("one-shard")->shards.size(), 1u);

  r = Rest("GET", "/streams");
  EXPECT_EQ(r.body["StreamNames"], json::array({"one-shard", "streaming-0a1b.pin"}));
  r = Rest("GET", "/streams/streaming-0a1b.pin");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["StreamDescription"]["StreamName"], "streaming-0a1b.pin");
  EXPECT_EQ(r.body["StreamDescription"]["Shards"].size(), 2u);

  r = Rest("DELETE", "/streams/streaming-0a1b.pin");
  EXPECT_EQ(r.status, 200);
  r = Rest("GET", "/streams/streaming-0a1b.pin");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["__type"], "ResourceNotFoundException");
  EXPECT_EQ(Rest("DELETE", "/streams/streaming-0a1b.pin").status, 404);
}

TEST_F(HttpGatewayTest, RestCreateStreamBadRequests) {
  // The REST proxy passes Kinesis's own answers through, in its {__type, message} shape.
  Reply r = Rest("POST", "/streams/s", R"({"ShardCount":"two"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "SerializationException");
  EXPECT_EQ(r.body["message"], "class java.lang.String can not be converted to an Integer");
  EXPECT_EQ(Rest("POST", "/streams/s", "{nope").status, 400);
  EXPECT_EQ(Rest("POST", "/streams/s", "[]").status, 400);
  r = Rest("POST", "/streams/s", R"({"ShardCount":0})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ValidationException");
  EXPECT_EQ(r.body["message"],
            "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1");
  r = Rest("POST", "/streams/bad%20name", R"({"ShardCount":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ValidationException");
  EXPECT_TRUE(store_->ListStreams().empty());
}

TEST_F(HttpGatewayTest, RestPutRecordStoresDataAsJsonText) {
  CreateStream("s.pin", 1);
  // The seeds' posting script: the row under Data, the stream name repeated in the body.
  json row = {{"index", 7528}, {"title", "Ideas"}, {"tags", {"a", "b"}}, {"x", nullptr}};
  Reply r =
      Rest("PUT", "/streams/s.pin/record",
           json{{"StreamName", "s.pin"}, {"Data", row}, {"PartitionKey", "partition-1"}}.dump());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.body["SequenceNumber"].is_string());
  EXPECT_EQ(r.body["ShardId"], "shardId-000000000000");
  // A string is stored with its quotes, a number partition key as its text.
  r = Rest("PUT", "/streams/s.pin/record", R"({"Data":"plain","PartitionKey":42})");
  EXPECT_EQ(r.status, 200) << r.raw;

  auto stored = ReadAll("s.pin");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(json::parse(stored[0].data), row);
  EXPECT_EQ(stored[0].data, row.dump());
  EXPECT_EQ(stored[0].partition_key, "partition-1");
  EXPECT_EQ(stored[1].data, "\"plain\"");
  EXPECT_EQ(stored[1].partition_key, "42");
}

// The seeds' mapping template passed Data's text through, so a row keeps its column order: a
// reader (and `stream get`) sees the columns as the posting script wrote them, not sorted.
TEST_F(HttpGatewayTest, RestPutRecordKeepsTheClientsKeyOrder) {
  CreateStream("s.pin", 1);
  const std::string row =
      R"({"index":7528,"unique_id":"fbe53c66","title":"Ideas","description":null,)"
      R"("nested":{"z":1,"a":[{"y":2,"b":3}]},"category":"diy"})";
  Reply r = Rest("PUT", "/streams/s.pin/record",
                 R"({"StreamName":"s.pin","Data":)" + row + R"(,"PartitionKey":"7528"})");
  ASSERT_EQ(r.status, 200) << r.raw;
  auto stored = ReadAll("s.pin");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].data, row);
}

TEST_F(HttpGatewayTest, RestPutRecordsKeepTheClientsKeyOrder) {
  CreateStream("s", 1);
  const std::string tutorial_row =
      R"({"ind":7528,"timestamp":"2020-08-28 03:52:47","country":"x"})";
  const std::string kinesis_row = R"({"ind":2,"first_name":"A","age":30,"date_joined":"2015"})";
  Reply r = Rest("PUT", "/streams/s/records",
                 R"({"records":[{"data":)" + tutorial_row + R"(,"partition-key":"7528"}]})");
  ASSERT_EQ(r.status, 200) << r.raw;
  r = Rest("PUT", "/streams/s/records",
           R"({"Records":[{"Data":)" + kinesis_row + R"(,"PartitionKey":"2"}]})");
  ASSERT_EQ(r.status, 200) << r.raw;
  auto stored = ReadAll("s");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].data, tutorial_row);
  EXPECT_EQ(stored[1].data, kinesis_row);
}

TEST_F(HttpGatewayTest, RestPutRecordErrors) {
  CreateStream("s", 1);
  Reply r = Rest("PUT", "/streams/missing/record", R"({"Data":{"a":1},"PartitionKey":"k"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["__type"], "ResourceNotFoundException");
  EXPECT_EQ(r.body["message"], "Stream missing under account 000000000000 not found.");
  r = Rest("PUT", "/streams/s/record", R"({"Data":{"a":1}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["__type"], "ValidationException");
  EXPECT_EQ(r.body["message"],
            "1 validation error detected: Value null at 'partitionKey' failed to satisfy "
            "constraint: Member must not be null");
  EXPECT_EQ(Rest("PUT", "/streams/s/record", R"({"PartitionKey":"k"})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/record", R"({"Data":1,"PartitionKey":["k"]})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/record", R"({"Data":1,"PartitionKey":""})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/record", "{\"Data\":").status, 400);
  r = Rest("PUT", "/streams/s/record",
           json{{"Data", std::string(kMaxRecordDataBytes, 'x')}, {"PartitionKey", "k"}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(ReadAll("s").empty());
}

TEST_F(HttpGatewayTest, RestPutRecordsTutorialShape) {
  CreateStream("s", 2);
  json body = {{"records",
                {{{"data", "some data"}, {"partition-key", "some key"}},
                 {{"data", {{"index", 1}}}, {"partition-key", "k2"}},
                 {{"data", "too long a key"}, {"partition-key", std::string(300, 'k')}}}}};
  // A key past AWS's 256 characters fails the whole call, as Kinesis behind API Gateway would.
  Reply r = Rest("PUT", "/streams/s/records", body.dump());
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.body["__type"], "ValidationException");
  EXPECT_EQ(r.body["message"], "1 validation error detected: Value '" + std::string(300, 'k') +
                                   "' at 'records.3.member.partitionKey' failed to satisfy "
                                   "constraint: Member must have length less than or equal to 256");
  EXPECT_TRUE(ReadAll("s").empty());
  body["records"].erase(2);
  r = Rest("PUT", "/streams/s/records", body.dump());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["FailedRecordCount"], 0);
  ASSERT_EQ(r.body["Records"].size(), 2u);
  std::set<std::string> data;
  for (const auto& s : ReadAll("s")) data.insert(s.data);
  EXPECT_EQ(data, (std::set<std::string>{"some data", R"({"index":1})"}));
}

TEST_F(HttpGatewayTest, RestPutRecordsKinesisShape) {
  CreateStream("s", 1);
  json body = {{"Records", {{{"Data", {{"a", 1}}}, {"PartitionKey", "k"}}}}};
  Reply r = Rest("PUT", "/streams/s/records", body.dump());
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["FailedRecordCount"], 0);
  auto stored = ReadAll("s");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].data, R"({"a":1})");
}

TEST_F(HttpGatewayTest, RestPutRecordsErrors) {
  CreateStream("s", 1);
  EXPECT_EQ(Rest("PUT", "/streams/s/records", R"({"records":"x"})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/records", R"({})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/records", R"({"records":[]})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/records", R"({"records":[1]})").status, 400);
  EXPECT_EQ(Rest("PUT", "/streams/s/records", "][").status, 400);
  Reply r =
      Rest("PUT", "/streams/missing/records", R"({"records":[{"data":"x","partition-key":"k"}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["__type"], "ResourceNotFoundException");
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back({{"data", "x"}, {"partition-key", "k"}});
  r = Rest("PUT", "/streams/s/records", json{{"records", many}}.dump());
  EXPECT_EQ(r.status, 400);
  // Six records of 900 KiB: within the body limit, over Kinesis's 5 MiB per batch.
  json big = json::array();
  for (int i = 0; i < 6; ++i) {
    big.push_back({{"data", std::string(900 * 1024, 'x')}, {"partition-key", "k"}});
  }
  r = Rest("PUT", "/streams/s/records", json{{"records", big}}.dump());
  EXPECT_EQ(r.status, 413) << r.raw;
  EXPECT_TRUE(ReadAll("s").empty());
}

TEST_F(HttpGatewayTest, UnknownRouteIs404Json) {
  Reply r = Rest("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.body.contains("message")) << r.raw;
  r = Rest("PUT", "/streams");
  EXPECT_EQ(r.status, 404);
}

// ---------------------------------------------------------------------------------------------
// The Kafka REST proxy

TEST_F(HttpGatewayTest, KafkaProduce) {
  CreateStream("1a2b.pin", 4);
  json body = {{"records",
                {{{"value", {{"index", 1}, {"title", "a"}}}},
                 {{"value", {{"index", 2}}}, {"key", "ind-2"}},
                 {{"value", {{"a", 1}}}}}}};
  Reply r = Kafka("1a2b.pin", body.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.content_type, "application/vnd.kafka.v2+json");
  EXPECT_TRUE(r.body["key_schema_id"].is_null());
  EXPECT_TRUE(r.body["value_schema_id"].is_null());
  ASSERT_EQ(r.body["offsets"].size(), 3u);
  for (const auto& o : r.body["offsets"]) {
    EXPECT_TRUE(o["partition"].is_number_integer()) << o.dump();
    EXPECT_GE(o["partition"].get<int>(), 0);
    EXPECT_LT(o["partition"].get<int>(), 4);
    EXPECT_TRUE(o["offset"].is_number_integer());
    EXPECT_GE(o["offset"].get<int64_t>(), 1);
    EXPECT_TRUE(o["error_code"].is_null());
    EXPECT_TRUE(o["error"].is_null());
  }

  auto stored = ReadAll("1a2b.pin");
  ASSERT_EQ(stored.size(), 3u);
  std::map<std::string, Stored> by_data;
  for (const auto& s : stored) by_data[s.data] = s;
  ASSERT_TRUE(by_data.count(R"({"index":1,"title":"a"})"));
  ASSERT_TRUE(by_data.count(R"({"index":2})"));
  ASSERT_TRUE(by_data.count(R"({"a":1})"));
  EXPECT_EQ(by_data[R"({"index":2})"].partition_key, "ind-2");
  // Without a key, the partition key is the value's MD5 in hex: stable across runs.
  EXPECT_EQ(by_data[R"({"a":1})"].partition_key, "bb6cb5c68df4652941caf652a366f2d8");
  // The answer names the shard each record went to.
  for (size_t i = 0; i < 3; ++i) {
    std::string text = body["records"][i]["value"].dump();
    EXPECT_EQ(r.body["offsets"][i]["partition"].get<uint32_t>(), by_data[text].shard);
  }
}

TEST_F(HttpGatewayTest, KafkaProduceKeepsTheClientsKeyOrder) {
  CreateStream("t", 1);
  const std::string row = R"({"ind":7528,"user_name":"A B","age":30,"date_joined":"2015"})";
  Reply r = Kafka("t", R"({"records":[{"value":)" + row + R"(}]})");
  ASSERT_EQ(r.status, 200) << r.raw;
  auto stored = ReadAll("t");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].data, row);
}

TEST_F(HttpGatewayTest, KafkaOffsetsIncreasePerPartition) {
  CreateStream("t", 1);
  json body = {{"records", {{{"value", 1}}, {{"value", 2}}}}};
  Reply a = Kafka("t", body.dump());
  Reply b = Kafka("t", body.dump());
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(a.body["offsets"][0]["offset"], 1);
  EXPECT_EQ(a.body["offsets"][1]["offset"], 2);
  EXPECT_EQ(b.body["offsets"][0]["offset"], 3);
  EXPECT_EQ(b.body["offsets"][1]["offset"], 4);
}

TEST_F(HttpGatewayTest, KafkaExplicitPartitionAndBinary) {
  CreateStream("t", 4);
  json body = {{"records",
                {{{"value", Base64Encode("raw\x01")}, {"partition", 3}},
                 {{"value", Base64Encode("two")}, {"key", Base64Encode("kk")}, {"partition", 1}}}}};
  Reply r = Kafka("t", body.dump(), "application/vnd.kafka.binary.v2+json");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["offsets"][0]["partition"], 3);
  EXPECT_EQ(r.body["offsets"][1]["partition"], 1);
  auto stored = ReadAll("t");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].shard, 1u);
  EXPECT_EQ(stored[0].data, "two");
  // A binary key is stored as the canonical base64 text of its bytes (partition keys are text).
  EXPECT_EQ(stored[0].partition_key, Base64Encode("kk"));
  EXPECT_EQ(stored[1].data, "raw\x01");

  r = Kafka("t", R"({"records":[{"value":1,"partition":9}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error_code"], 40402);
}

TEST_F(HttpGatewayTest, KafkaBatchesLargerThanOnePutRecords) {
  CreateStream("t", 2);
  json records = json::array();
  for (int i = 0; i < 1200; ++i) records.push_back({{"value", {{"i", i}}}});
  Reply r = Kafka("t", json{{"records", records}}.dump());
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["offsets"].size(), 1200u);
  EXPECT_EQ(ReadAll("t").size(), 1200u);
}

TEST_F(HttpGatewayTest, KafkaErrors) {
  CreateStream("t", 1);
  Reply r = Kafka("missing", R"({"records":[{"value":1}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error_code"], 40401);
  EXPECT_EQ(r.content_type, "application/vnd.kafka.v2+json");
  r = Kafka("t", "{oops");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error_code"], 400);
  for (const std::string body :
       {R"({})", R"({"records":[]})", R"({"records":{}})", R"([1])", R"({"records":[1]})"}) {
    r = Kafka("t", body);
    EXPECT_EQ(r.status, 422) << body;
    EXPECT_EQ(r.body["error_code"], 42201) << body;
  }
  r = Kafka("t", R"({"records":[{"value":1}]})", "application/vnd.kafka.avro.v2+json");
  EXPECT_EQ(r.status, 415);
  r = Kafka("t", R"({"records":[{"value":"not base64!"}]})",
            "application/vnd.kafka.binary.v2+json");
  EXPECT_EQ(r.status, 422);
  // A key over Kinesis's 256 characters fails that record alone.
  r = Kafka(
      "t",
      json{{"records", {{{"value", 1}, {"key", std::string(300, 'k')}}, {{"value", 2}}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["offsets"][0]["error_code"], 1);
  EXPECT_TRUE(r.body["offsets"][0]["offset"].is_null());
  EXPECT_TRUE(r.body["offsets"][1]["error_code"].is_null());
  EXPECT_EQ(ReadAll("t").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// API key, keep-alive, concurrency

TEST_F(HttpGatewayTest, ApiKeyIsRequiredOnEveryRoute) {
  CreateStream("s", 1);
  StartGateway("sekrit");
  struct Case {
    std::string method, path;
  };
  for (const auto& c : std::vector<Case>{{"GET", "/streams"},
                                         {"GET", "/streams/s"},
                                         {"POST", "/streams/t"},
                                         {"DELETE", "/streams/s"},
                                         {"PUT", "/streams/s/record"},
                                         {"PUT", "/streams/s/records"},
                                         {"GET", "/no-such-route"}}) {
    Reply r = Rest(c.method, c.path, "{}");
    EXPECT_EQ(r.status, 403) << c.method << " " << c.path;
    EXPECT_EQ(r.body["__type"], "AccessDeniedException") << r.raw;
  }
  Reply r = Kinesis("ListStreams", json::object());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["__type"], "AccessDeniedException");
  r = Kafka("s", R"({"records":[{"value":1}]})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error_code"], 40301);

  r = KinesisRaw("Kinesis_20131202.ListStreams", "{}", "application/x-amz-json-1.1",
                 {{"x-api-key", "wrong"}});
  EXPECT_EQ(r.status, 403);
  r = KinesisRaw("Kinesis_20131202.ListStreams", "{}", "application/x-amz-json-1.1",
                 {{"x-api-key", "sekrit"}});
  EXPECT_EQ(r.status, 200) << r.raw;
  client_->set_default_headers({{"X-Api-Key", "sekrit"}});
  EXPECT_EQ(Rest("GET", "/streams/s").status, 200);
  EXPECT_EQ(Kafka("s", R"({"records":[{"value":1}]})").status, 200);
  EXPECT_TRUE(store_->DescribeStream("s").ok());
}

// Many requests on one TCP connection: the server keeps it open past httplib's default of 5.
TEST_F(HttpGatewayTest, KeepAliveServesManyRequestsPerConnection) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(gateway_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = "GET /streams HTTP/1.1\r\nHost: x\r\n\r\n";
  constexpr int kRequests = 20;
  int answered = 0;
  std::string buffer;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()))
        << "request " << i;
    // Read until this response's body (a JSON object ending in '}') has arrived.
    while (true) {
      auto header_end = buffer.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        auto len_at = buffer.find("Content-Length: ");
        ASSERT_NE(len_at, std::string::npos) << buffer;
        size_t len = std::stoul(buffer.substr(len_at + 16));
        if (buffer.size() >= header_end + 4 + len) {
          EXPECT_EQ(buffer.rfind("HTTP/1.1 200", 0), 0u) << buffer;
          EXPECT_EQ(buffer.find("Connection: close"), std::string::npos) << buffer;
          buffer.erase(0, header_end + 4 + len);
          ++answered;
          break;
        }
      }
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      ASSERT_GT(n, 0) << "connection closed or timed out after " << answered << " responses";
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }
  close(fd);
  EXPECT_EQ(answered, kRequests);
}

TEST_F(HttpGatewayTest, ConcurrentClients) {
  CreateStream("s", 4);
  constexpr int kThreads = 6;
  constexpr int kBatches = 10;
  constexpr int kPerBatch = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", gateway_->port());
      c.set_keep_alive(true);
      c.set_read_timeout(30);
      for (int b = 0; b < kBatches; ++b) {
        json records = json::array();
        for (int i = 0; i < kPerBatch; ++i) {
          records.push_back({{"PartitionKey", std::to_string(t * 1000 + i)},
                             {"Data", Base64Encode("t" + std::to_string(t))}});
        }
        auto r = c.Post("/", {{"X-Amz-Target", "Kinesis_20131202.PutRecords"}},
                        json{{"StreamName", "s"}, {"Records", records}}.dump(),
                        "application/x-amz-json-1.1");
        if (!r || r->status != 200 || json::parse(r->body)["FailedRecordCount"] != 0) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ReadAll("s").size(), static_cast<size_t>(kThreads * kBatches * kPerBatch));
}

TEST_F(HttpGatewayTest, StopIsIdempotentAndFreesThePort) {
  const int port = gateway_->port();
  EXPECT_EQ(gateway_->url(), "http://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(testing::ProcessListensOn(getpid(), port));
  gateway_->Stop();
  gateway_->Stop();
  // This process no longer holds the listening socket. (Not "a connection is refused": under
  // ctest -j another test may bind the freed port at once.)
  EXPECT_FALSE(testing::ProcessListensOn(getpid(), port));
}

TEST(HttpGatewayStartTest, BindFailureIsAnError) {
  testing::TempDir dir;
  StreamStore::Options store_options;
  store_options.path = dir.Sub("db");
  auto store = StreamStore::Open(store_options);
  ASSERT_TRUE(store.ok());
  HttpGateway::Options options;
  options.server.port = 0;
  auto first = HttpGateway::Start(store->get(), options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  options.server.port = (*first)->port();
  auto second = HttpGateway::Start(store->get(), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIOError);
}

TEST(ParseHttpAddressTest, HostAndPort) {
  HttpGateway::Options o;
  ASSERT_OK(ParseHttpAddress("0.0.0.0:8080", &o));
  EXPECT_EQ(o.server.host, "0.0.0.0");
  EXPECT_EQ(o.server.port, 8080);
  ASSERT_OK(ParseHttpAddress(":0", &o));
  EXPECT_EQ(o.server.host, "127.0.0.1");
  EXPECT_EQ(o.server.port, 0);
  ASSERT_OK(ParseHttpAddress("[::1]:9000", &o));
  EXPECT_EQ(o.server.host, "::1");
  EXPECT_EQ(o.server.port, 9000);
  EXPECT_FALSE(ParseHttpAddress("8080", &o).ok());
  EXPECT_FALSE(ParseHttpAddress("host:", &o).ok());
  EXPECT_FALSE(ParseHttpAddress("host:70000", &o).ok());
  EXPECT_FALSE(ParseHttpAddress("host:80x", &o).ok());
}

}  // namespace
}  // namespace pinstream
