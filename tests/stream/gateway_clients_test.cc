// The gateway as every kind of AWS client meets it (issue 15, "Every client"), through a real
// gateway on a loopback port and cpp-httplib's client: the Java SDKs' CBOR wire, the legacy
// application/json, browsers' CORS, AWS's answers to requests it cannot serve, and the request
// ids on every reply.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/base64.h"
#include "stream/http_gateway.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

constexpr char kCbor[] = "application/x-amz-cbor-1.1";
constexpr char kAmzJson[] = "application/x-amz-json-1.1";

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string ToCbor(const json& j) {
  std::string out;
  json::to_cbor(j, out);
  return out;
}

// A CBOR reply's body, or null when it is not CBOR.
json FromCbor(const std::string& body) {
  json j = json::from_cbor(body, /*strict=*/true, /*allow_exceptions=*/false);
  return j.is_discarded() ? json() : j;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `cbor` with CBOR tag 1 (an epoch time) put before the 64-bit integer `value`, as the Java SDKs
// send timestamps: nlohmann writes no tags.
std::string TagInteger(std::string cbor, uint64_t value) {
  std::string encoded(1, '\x1b');
  for (int shift = 56; shift >= 0; shift -= 8) encoded += static_cast<char>(value >> shift);
  const size_t at = cbor.find(encoded);
  if (at == std::string::npos) return cbor;
  return cbor.insert(at, 1, '\xc1');
}

class GatewayClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamStore::Options options;
    options.path = dir_.Sub("db");
    options.write_buffer_bytes = size_t{16} << 20;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    StartGateway("");
  }

  void StartGateway(const std::string& api_key) {
    gateway_.reset();
    HttpGateway::Options options;
    options.server.host = "127.0.0.1";
    options.server.port = 0;
    options.server.threads = 2;
    options.server.max_body_bytes = 1 << 20;
    options.api_key = api_key;
    auto gateway = HttpGateway::Start(store_.get(), options);
    ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
    gateway_ = std::move(gateway).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    client_->set_read_timeout(30);
  }

  httplib::Result Post(const std::string& target, const std::string& body,
                       const std::string& content_type, httplib::Headers headers = {}) {
    if (!target.empty()) headers.emplace("X-Amz-Target", target);
    return client_->Post("/", headers, body, content_type.c_str());
  }

  // A CBOR call; the reply's status and decoded body.
  std::pair<int, json> Cbor(const std::string& action, const std::string& body) {
    auto r = Post("Kinesis_20131202." + action, body, kCbor);
    if (!r) return {0, json()};
    EXPECT_EQ(r->get_header_value("Content-Type"), kCbor) << action;
    return {r->status, FromCbor(r->body)};
  }

  json CborOk(const std::string& action, const json& request) {
    auto [status, body] = Cbor(action, ToCbor(request));
    EXPECT_EQ(status, 200) << action << ": " << body.dump();
    return body;
  }

  testing::TempDir dir_;
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<HttpGateway> gateway_;
  std::unique_ptr<httplib::Client> client_;
};

// ---------------------------------------------------------------------------------------------
// CBOR (the Java SDKs)

// A whole session in CBOR: blobs go in and come back as byte strings, timestamps as integer
// epoch milliseconds (a tagged one is read), and the records are the bytes that were sent.
TEST_F(GatewayClientsTest, CborRoundTrip) {
  const int64_t before = NowMillis();
  EXPECT_TRUE(CborOk("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}}).empty());
  json summary = CborOk("DescribeStreamSummary", {{"StreamName", "s"}});
  const json& created = summary["StreamDescriptionSummary"]["StreamCreationTimestamp"];
  ASSERT_TRUE(created.is_number_integer()) << summary.dump();
  EXPECT_GE(created.get<int64_t>(), before - 1000);
  EXPECT_LE(created.get<int64_t>(), NowMillis() + 1000);

  const std::string first("\x00\x01\xff binary", 10);
  json put =
      CborOk("PutRecord",
             {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", json::binary(Bytes(first))}});
  ASSERT_TRUE(put["SequenceNumber"].is_string()) << put.dump();
  const std::string shard = put["ShardId"];
  json batch = CborOk(
      "PutRecords", {{"StreamName", "s"},
                     {"Records",
                      {{{"PartitionKey", "a"}, {"Data", json::binary(Bytes("two"))}},
                       {{"PartitionKey", "b"}, {"Data", json::binary(std::vector<uint8_t>{})}}}}});
  EXPECT_EQ(batch["FailedRecordCount"], 0) << batch.dump();
  // A client that sends base64 text (as in JSON) is served too.
  CborOk("PutRecord",
         {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", Base64Encode("as text")}});

  json it =
      CborOk("GetShardIterator",
             {{"StreamName", "s"}, {"ShardId", shard}, {"ShardIteratorType", "TRIM_HORIZON"}});
  json got = CborOk("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
  ASSERT_EQ(got["Records"].size(), 4u) << got.dump();
  std::vector<std::string> data;
  for (const json& r : got["Records"]) {
    ASSERT_TRUE(r["Data"].is_binary()) << r.dump();
    data.emplace_back(r["Data"].get_binary().begin(), r["Data"].get_binary().end());
    ASSERT_TRUE(r["ApproximateArrivalTimestamp"].is_number_integer()) << r.dump();
    EXPECT_GE(r["ApproximateArrivalTimestamp"].get<int64_t>(), before - 1000);
  }
  EXPECT_EQ(data, (std::vector<std::string>{first, "two", "", "as text"}));

  // AT_TIMESTAMP with the Java SDK's tag 1 and milliseconds: a minute before the first record
  // reads them all (milliseconds taken for seconds would be far in the future), the last one's
  // arrival reads at least that one.
  auto at = [&](uint64_t ms) {
    const std::string body = TagInteger(ToCbor({{"StreamName", "s"},
                                                {"ShardId", shard},
                                                {"ShardIteratorType", "AT_TIMESTAMP"},
                                                {"Timestamp", ms}}),
                                        ms);
    auto [status, reply] = Cbor("GetShardIterator", body);
    EXPECT_EQ(status, 200) << reply.dump();
    return CborOk("GetRecords", {{"ShardIterator", reply["ShardIterator"]}})["Records"].size();
  };
  EXPECT_EQ(at(static_cast<uint64_t>(before - 60'000)), 4u);
  const size_t from_last = at(got["Records"][3]["ApproximateArrivalTimestamp"].get<uint64_t>());
  EXPECT_GE(from_last, 1u);
  EXPECT_LE(from_last, 4u);
}

TEST_F(GatewayClientsTest, CborErrorsAreCborMaps) {
  auto [status, body] = Cbor("DescribeStream", ToCbor({{"StreamName", "missing"}}));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"], "ResourceNotFoundException") << body.dump();
  EXPECT_TRUE(body["message"].is_string()) << body.dump();

  std::tie(status, body) = Cbor("ListStreams", "\xff not cbor");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body, json({{"__type", "SerializationException"}}));

  std::tie(status, body) = Cbor("ListStreams", ToCbor(json::array({1, 2})));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"], "SerializationException");

  std::tie(status, body) = Cbor("SplitTheAtom", ToCbor(json::object()));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body, json({{"__type", "UnknownOperationException"}}));
}

// Hostile CBOR is refused before nlohmann's recursive reader goes deep or trusts a length.
TEST_F(GatewayClientsTest, HostileCborIsRefused) {
  const std::string deep(200'000, '\x81');  // arrays of one array of one array ...
  auto [status, body] = Cbor("ListStreams", "\xa1\x61x" + deep + "\x00");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"], "SerializationException");
  // A map that declares 2^63 entries, and a byte string that declares 2^32 bytes.
  std::tie(status, body) = Cbor("ListStreams", std::string("\xbb\x80\0\0\0\0\0\0\0", 9));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"], "SerializationException");
  std::tie(status, body) = Cbor("ListStreams", std::string("\xa1\x64"
                                                           "Data"
                                                           "\x5a\xff\xff\xff\xff"
                                                           "abc",
                                                           14));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["__type"], "SerializationException");
  EXPECT_EQ(CborOk("ListStreams", json::object())["StreamNames"], json::array());
}

// ---------------------------------------------------------------------------------------------
// What AWS answers to requests it does not serve (kinesalite's captures of AWS)

TEST_F(GatewayClientsTest, NonPostIsAccessDenied) {
  const std::string denied =
      "<AccessDeniedException>\n"
      "  <Message>Unable to determine service/operation name to be authorized</Message>\n"
      "</AccessDeniedException>\n";
  std::vector<httplib::Result> replies;
  replies.push_back(client_->Get("/"));
  replies.push_back(client_->Put("/", "{}", kAmzJson));
  replies.push_back(client_->Delete("/"));
  replies.push_back(client_->Options("/"));
  for (const auto& r : replies) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->body, denied);
    EXPECT_FALSE(r->get_header_value("x-amzn-RequestId").empty());
  }
}

TEST_F(GatewayClientsTest, UnknownContentTypes) {
  // A target but no JSON or CBOR: 404 and a bare XML element.
  for (const char* type : {"text/plain", "application/x-amz-json-1.0", ""}) {
    httplib::Headers headers = {{"X-Amz-Target", "Kinesis_20131202.ListStreams"}};
    if (*type) headers.emplace("Content-Type", type);
    auto r = client_->Post("/", headers, "{}", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << type;
    EXPECT_EQ(r->body, "<UnknownOperationException/>\n") << type;
  }
  // Without a Service.Operation target there is nothing to name: 403.
  for (const char* target : {"", "ListStreams"}) {
    auto r = Post(target, "{}", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << target;
    EXPECT_NE(r->body.find("<AccessDeniedException>"), std::string::npos) << r->body;
  }
}

TEST_F(GatewayClientsTest, EmptyBodies) {
  // JSON 1.1 answers in JSON, anything else in CBOR.
  auto r = Post("Kinesis_20131202.ListStreams", "", kAmzJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->get_header_value("Content-Type"), kAmzJson);
  EXPECT_EQ(json::parse(r->body), json({{"__type", "SerializationException"}}));
  r = Post("Kinesis_20131202.Nope", "", kAmzJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body), json({{"__type", "UnknownOperationException"}}));
  for (const char* type : {kCbor, "application/json", "text/plain"}) {
    r = Post("Kinesis_20131202.ListStreams", "", type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << type;
    EXPECT_EQ(r->get_header_value("Content-Type"), kCbor) << type;
    EXPECT_EQ(FromCbor(r->body), json({{"__type", "SerializationException"}})) << type;
  }
}

TEST_F(GatewayClientsTest, UnknownTargets) {
  for (const char* target :
       {"Kinesis_20131202.SplitTheAtom", "DynamoDB_20120810.ListTables", "Kinesis_20131202", ""}) {
    auto r = Post(target, "{}", kAmzJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(json::parse(r->body), json({{"__type", "UnknownOperationException"}})) << target;
  }
  // A body that is not an object is a SerializationException before the target is looked at.
  auto r = Post("Kinesis_20131202.SplitTheAtom", "[1]", kAmzJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body), json({{"__type", "SerializationException"}}));
}

// application/json: AWS parses the body and serves no action on it, in Coral's envelope.
TEST_F(GatewayClientsTest, LegacyApplicationJson) {
  auto r = Post("Kinesis_20131202.ListStreams", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body),
            json({{"Output", {{"__type", "com.amazon.coral.service#UnknownOperationException"}}},
                  {"Version", "1.0"}}));
  r = Post("Kinesis_20131202.ListStreams", "not json", "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body)["Output"]["__type"],
            "com.amazon.coral.service#SerializationException");
}

// ---------------------------------------------------------------------------------------------
// CORS (browser SDKs)

TEST_F(GatewayClientsTest, CorsPreflight) {
  StartGateway("secret");  // a preflight carries no credentials and is answered all the same
  for (const char* path : {"/", "/streams/s/record"}) {
    auto r = client_->Options(
        path, {{"Origin", "https://example.com"},
               {"Access-Control-Request-Method", "POST"},
               {"Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Headers"),
              "content-type,x-amz-target,x-amz-user-agent");
    EXPECT_EQ(r->get_header_value("Access-Control-Allow-Methods"), "POST");
    EXPECT_EQ(r->get_header_value("Access-Control-Max-Age"), "172800");
    // AWS leaves x-amz-id-2 off a preflight.
    EXPECT_FALSE(r->has_header("x-amz-id-2"));
  }
}

TEST_F(GatewayClientsTest, CorsOnEveryReplyToAnOrigin) {
  const httplib::Headers origin = {{"Origin", "https://example.com"}};
  auto ok = Post("Kinesis_20131202.ListStreams", "{}", kAmzJson, origin);
  auto error = Post("Kinesis_20131202.DescribeStream", R"({"StreamName":"x"})", kAmzJson, origin);
  auto rest = client_->Get("/streams", origin);
  auto denied = client_->Get("/", origin);
  for (const auto* r : {&ok, &error, &rest, &denied}) {
    ASSERT_TRUE(*r);
    EXPECT_EQ((*r)->get_header_value("Access-Control-Allow-Origin"), "*") << (*r)->status;
  }
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(error->status, 400);
  EXPECT_EQ(ok->get_header_value("Access-Control-Expose-Headers"),
            "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,"
            "Date");
  // Without Origin, no CORS headers.
  auto plain = Post("Kinesis_20131202.ListStreams", "{}", kAmzJson);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_header("Access-Control-Allow-Origin"));
}

// ---------------------------------------------------------------------------------------------
// Request ids

TEST_F(GatewayClientsTest, EveryKinesisReplyCarriesAwsRequestIds) {
  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  ASSERT_OK(store_->CreateStream("s", 1));
  const std::string batch =
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":")" + Base64Encode("x") + "\"}]}";
  std::vector<httplib::Result> replies;
  replies.push_back(Post("Kinesis_20131202.ListStreams", "{}", kAmzJson));
  replies.push_back(Post("Kinesis_20131202.PutRecords", batch, kAmzJson));  // the fast path
  replies.push_back(Post("Kinesis_20131202.DescribeStream", R"({"StreamName":"x"})", kAmzJson));
  replies.push_back(Post("Kinesis_20131202.ListStreams", ToCbor(json::object()), kCbor));
  replies.push_back(client_->Get("/"));
  replies.push_back(Post("Kinesis_20131202.PutRecords", std::string(2 << 20, ' '), kAmzJson));
  std::set<std::string> ids;
  for (const auto& r : replies) {
    ASSERT_TRUE(r);
    const std::string id = r->get_header_value("x-amzn-RequestId");
    EXPECT_TRUE(std::regex_match(id, uuid_v4)) << r->status << " '" << id << "'";
    ids.insert(id);
    const std::string id2 = r->get_header_value("x-amz-id-2");
    EXPECT_EQ(id2.size(), 96u) << r->status;
    auto raw = Base64Decode(id2);
    ASSERT_TRUE(raw.ok()) << id2;
    EXPECT_EQ(raw->size(), 72u);
  }
  EXPECT_EQ(replies[1]->status, 200) << replies[1]->body;
  EXPECT_EQ(replies[5]->status, 413);
  EXPECT_EQ(ids.size(), replies.size());
  // The REST proxy is not AWS's protocol and keeps its replies as they were.
  auto rest = client_->Get("/streams");
  ASSERT_TRUE(rest);
  EXPECT_FALSE(rest->has_header("x-amz-id-2"));
}

}  // namespace
}  // namespace pinstream
