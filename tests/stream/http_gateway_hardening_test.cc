// The HTTP gateway against hostile clients (issue 13): request smuggling shapes, unframed and
// oversize bodies, slow and idle connections, the connection cap, JSON nested too deep or with
// very many keys, binary Kafka keys. A real gateway on a loopback port, raw sockets where the
// client must misbehave.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/json_limits.h"
#include "stream/http_gateway.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A client socket that writes exactly what a test says. Closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Whether the server has sent something (or closed) within `wait`.
  bool Readable(milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(wait.count())) == 1;
  }

  // Everything the server sends until it closes the connection (or `wait` passes: nullopt).
  std::optional<std::string> ReadUntilClosed(milliseconds wait = milliseconds(10'000)) {
    std::string out;
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (!Readable(std::max(left, milliseconds(1)))) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return out;  // closed (or reset, which also closes)
      out.append(buf, static_cast<size_t>(n));
    }
    return std::nullopt;
  }

  // One response with a Content-Length body, read within `wait`; "" when none came.
  std::string ReadResponse(milliseconds wait = milliseconds(10'000)) {
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (!Readable(std::max(left, milliseconds(1)))) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return "";
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// The JSON body of a raw response.
json BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) return nullptr;
  json j = json::parse(response.substr(end + 4), nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(nullptr) : j;
}

bool StatusIs(const std::string& response, int status) {
  return response.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0;
}

// `depth` nested arrays: "[[[...]]]".
std::string NestedArrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

class HttpGatewayHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamStore::Options store_options;
    store_options.path = dir_.Sub("db");
    auto store = StreamStore::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    options_.server.host = "127.0.0.1";
    options_.server.port = 0;
    options_.server.threads = 4;
  }

  void Start() {
    gateway_.reset();
    auto gateway = HttpGateway::Start(store_.get(), options_);
    ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
    gateway_ = std::move(gateway).value();
  }

  std::unique_ptr<httplib::Client> Client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    c->set_read_timeout(10);
    return c;
  }

  // A Kinesis ListStreams over a new connection that must answer within `timeout_s`.
  int ListStreamsStatus(int timeout_s) {
    httplib::Client c("127.0.0.1", gateway_->port());
    c.set_connection_timeout(timeout_s);
    c.set_read_timeout(timeout_s);
    c.set_write_timeout(timeout_s);
    auto r = c.Post("/", {{"X-Amz-Target", "Kinesis_20131202.ListStreams"}}, "{}",
                    "application/x-amz-json-1.1");
    return r ? r->status : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<StreamStore> store_;
  HttpGateway::Options options_;
  std::unique_ptr<HttpGateway> gateway_;
};

// ---------------------------------------------------------------------------------------------
// Framing

TEST_F(HttpGatewayHardeningTest, ContentLengthWithTransferEncodingIs400) {
  Start();
  for (const std::string head : {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                                 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}) {
    RawConnection c(gateway_->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send("POST /streams/s/records HTTP/1.1\r\nHost: x\r\n" + head +
                       "\r\n5\r\nhello\r\n0\r\n\r\n"));
    auto response = c.ReadUntilClosed();
    ASSERT_TRUE(response) << head;
    EXPECT_TRUE(StatusIs(*response, 400)) << *response;
    EXPECT_TRUE(BodyOf(*response).contains("__type")) << *response;
  }
}

TEST_F(HttpGatewayHardeningTest, TwoContentLengthsAre400EvenWhenEqual) {
  Start();
  for (const std::string lengths : {"Content-Length: 2\r\nContent-Length: 2\r\n",
                                    "Content-Length: 2\r\nContent-Length: 3\r\n"}) {
    RawConnection c(gateway_->port());
    ASSERT_TRUE(c.Send("PUT /streams/s/record HTTP/1.1\r\nHost: x\r\n" + lengths + "\r\n{}"));
    auto response = c.ReadUntilClosed();
    ASSERT_TRUE(response);
    EXPECT_TRUE(StatusIs(*response, 400)) << *response;
  }
}

TEST_F(HttpGatewayHardeningTest, UnframedPostIs411) {
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(
      c.Send("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n\r\n{}"));
  auto response = c.ReadUntilClosed();
  ASSERT_TRUE(response);
  EXPECT_TRUE(StatusIs(*response, 411)) << *response;
  EXPECT_EQ(BodyOf(*response)["__type"], "SerializationException") << *response;
}

// A chunked body has no length to check up front: the server counts as it reads, answers 413
// once the limit is passed and closes the connection; it never holds more than the limit.
TEST_F(HttpGatewayHardeningTest, ChunkedBodyOverTheLimitIs413AndCloses) {
  options_.server.max_body_bytes = 64 << 10;
  Start();
  for (const std::string path : {"/streams/s/records", "/topics/s"}) {
    RawConnection c(gateway_->port());
    ASSERT_TRUE(c.Send("POST " + path +
                       " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
    // Up to 4 MiB, stopping as soon as the server answers.
    for (int i = 0; i < 256 && !c.Readable(milliseconds(0)); ++i) {
      if (!c.Send(chunk)) break;
    }
    auto response = c.ReadUntilClosed();
    ASSERT_TRUE(response) << "the connection was not closed";
    EXPECT_TRUE(StatusIs(*response, 413)) << response->substr(0, 300);
    if (path == "/topics/s") {
      EXPECT_EQ(BodyOf(*response)["error_code"], 41301) << *response;
    } else {
      EXPECT_EQ(BodyOf(*response)["__type"], "InvalidArgumentException") << *response;
    }
  }
  // A chunked body within the limit is served.
  ASSERT_OK(store_->CreateStream("s", 1));
  RawConnection c(gateway_->port());
  const std::string body = R"({"records":[{"value":{"a":1}}]})";
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", body.size());
  ASSERT_TRUE(c.Send(
      "POST /topics/s HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n"));
  std::string response = c.ReadResponse();
  EXPECT_TRUE(StatusIs(response, 200)) << response;
}

TEST_F(HttpGatewayHardeningTest, DeclaredOversizeBodyIs413BeforeItIsSent) {
  options_.server.max_body_bytes = 64 << 10;
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(
      c.Send("PUT /streams/s/records HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  auto response = c.ReadUntilClosed();
  ASSERT_TRUE(response);
  EXPECT_TRUE(StatusIs(*response, 413)) << *response;
}

TEST_F(HttpGatewayHardeningTest, ExpectContinueIsHonoured) {
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(
      c.Send("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
             "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n"
             "Expect: 100-continue\r\n\r\n"));
  std::string interim = c.ReadResponse();
  EXPECT_TRUE(StatusIs(interim, 100)) << interim;
  ASSERT_TRUE(c.Send("{}"));
  std::string response = c.ReadResponse();
  EXPECT_TRUE(StatusIs(response, 200)) << response;
}

// ---------------------------------------------------------------------------------------------
// Slow and idle connections

// Headers trickled a byte at a time: the header deadline is a total, so the trickle does not
// keep the connection.
TEST_F(HttpGatewayHardeningTest, SlowlorisIsClosedByTheHeaderDeadline) {
  options_.server.header_timeout = milliseconds(500);
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(c.Send("GET /streams HTTP/1.1\r\nHost: x\r\n"));
  const auto start = Clock::now();
  bool closed = false;
  // A byte every 50 ms (the wait for the server's close paces it), for at most 10 s.
  while (Clock::now() - start < std::chrono::seconds(10)) {
    if (c.Readable(milliseconds(50))) {
      closed = c.ReadUntilClosed(milliseconds(1000)).has_value();
      break;
    }
    if (!c.Send("X")) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpGatewayHardeningTest, IdleKeepAliveConnectionIsClosed) {
  options_.server.idle_timeout = milliseconds(300);
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(c.Send("GET /streams HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(StatusIs(c.ReadResponse(), 200));
  const auto start = Clock::now();
  auto rest = c.ReadUntilClosed(milliseconds(5'000));
  ASSERT_TRUE(rest) << "the idle connection stayed open";
  EXPECT_EQ(*rest, "");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

TEST_F(HttpGatewayHardeningTest, SlowBodyIsClosedByTheBodyDeadline) {
  options_.server.body_timeout = milliseconds(300);
  Start();
  RawConnection c(gateway_->port());
  ASSERT_TRUE(c.Send("PUT /streams/s/record HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
  auto rest = c.ReadUntilClosed(milliseconds(5'000));
  ASSERT_TRUE(rest) << "the connection stayed open";
}

// Slow and idle clients hold no worker: with 1,000 of them connected (half mid-headers), a fresh
// ListStreams is answered within a second on a gateway of 4 threads.
TEST_F(HttpGatewayHardeningTest, ThousandSlowConnectionsDoNotStarveAFreshClient) {
  constexpr int kSlow = 1000;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  // Both ends of every connection live in this process.
  if (limit.rlim_cur < 2 * kSlow + 256) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2 * kSlow + 1024);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  ASSERT_GE(limit.rlim_cur, 2 * kSlow + 256u) << "the hard descriptor limit is too low";
  Start();
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<RawConnection>(gateway_->port()));
    ASSERT_TRUE(slow.back()->connected()) << i;
    if (i % 2 == 0) {
      ASSERT_TRUE(slow.back()->Send("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-"));
    }
  }
  EXPECT_EQ(ListStreamsStatus(/*timeout_s=*/1), 200);
  // They are still open: the answer did not come from the slow ones being dropped.
  EXPECT_FALSE(slow.front()->Readable(milliseconds(0)));
  EXPECT_FALSE(slow.back()->Readable(milliseconds(0)));
}

TEST_F(HttpGatewayHardeningTest, ConnectionsPastTheCapAre503) {
  options_.server.max_connections = 8;
  Start();
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 8; ++i) open.push_back(std::make_unique<RawConnection>(gateway_->port()));
  // The server accepts in order: the ninth connection finds eight open.
  RawConnection extra(gateway_->port());
  auto response = extra.ReadUntilClosed();
  ASSERT_TRUE(response);
  EXPECT_TRUE(StatusIs(*response, 503)) << *response;
  EXPECT_EQ(BodyOf(*response)["__type"], "ServiceUnavailable") << *response;
  // Once a connection closes, there is room again (the server notices the close shortly).
  open.clear();
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (status != 200 && Clock::now() < deadline) status = ListStreamsStatus(2);
  EXPECT_EQ(status, 200);
}

// ---------------------------------------------------------------------------------------------
// JSON

TEST_F(HttpGatewayHardeningTest, DeepJsonIsRefusedOnEveryRoute) {
  Start();
  ASSERT_OK(store_->CreateStream("s", 1));
  const std::string deep = NestedArrays(100'000);
  auto c = Client();
  auto r = c->Put("/streams/s/record", R"({"PartitionKey":"k","Data":)" + deep + "}",
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["__type"], "SerializationException") << r->body;
  r = c->Put("/streams/s/records", R"({"records":[{"partition-key":"k","data":)" + deep + "}]}",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["__type"], "SerializationException") << r->body;
  r = c->Post("/topics/s", R"({"records":[{"value":)" + deep + "}]}",
              "application/vnd.kafka.json.v2+json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error_code"], 400) << r->body;
  EXPECT_NE(r->body.find("SerializationException"), std::string::npos) << r->body;
  r = c->Post("/", {{"X-Amz-Target", "Kinesis_20131202.PutRecord"}},
              R"({"StreamName":"s","PartitionKey":"k","Data":)" + deep + "}",
              "application/x-amz-json-1.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["__type"], "SerializationException") << r->body;
  EXPECT_EQ(ListStreamsStatus(10), 200);
  EXPECT_EQ(store_->DescribeStream("s")->shards.size(), 1u);
}

// The limit is far from real payloads: a value at the deepest the limit allows is stored.
TEST_F(HttpGatewayHardeningTest, JsonAtTheDepthLimitIsStored) {
  Start();
  ASSERT_OK(store_->CreateStream("s", 1));
  // The body's own object is one level: the value may take the rest.
  const std::string value = NestedArrays(kMaxJsonDepth - 1);
  auto c = Client();
  auto r = c->Put("/streams/s/record", R"({"PartitionKey":"k","Data":)" + value + "}",
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c->Put("/streams/s/record",
             R"({"PartitionKey":"k","Data":)" + NestedArrays(kMaxJsonDepth) + "}",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
}

// An object of 80,000 keys (0.9 MB): parsed in linear time and stored with its keys in the
// client's order. (It took seconds with a parser that inserts keys in linear time each.)
TEST_F(HttpGatewayHardeningTest, ObjectWithManyKeysIsStoredInOrder) {
  Start();
  ASSERT_OK(store_->CreateStream("s", 1));
  std::string value = "{";
  for (int i = 80'000; i > 0; --i) {
    if (value.size() > 1) value += ',';
    value += "\"k" + std::to_string(i) + "\":" + std::to_string(i % 10);
  }
  value += '}';
  ASSERT_LT(value.size(), size_t{1} << 20);
  auto c = Client();
  auto r = c->Put("/streams/s/record", R"({"PartitionKey":"k","Data":)" + value + "}",
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto it = store_->GetShardIterator("s", ShardIdFromIndex(0), {});
  ASSERT_TRUE(it.ok());
  std::vector<std::string> data;
  ASSERT_TRUE(
      store_->GetRecords(*it, 10, [&](const RecordView& rec) { data.emplace_back(rec.data); })
          .ok());
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0], value);
}

// ---------------------------------------------------------------------------------------------
// Kafka binary keys

TEST_F(HttpGatewayHardeningTest, KafkaBinaryKeyIsStoredAsBase64AndTheShardReads) {
  Start();
  ASSERT_OK(store_->CreateStream("t", 2));
  const std::string key_bytes = "\xFF\xFE";
  json body = {{"records", {{{"value", Base64Encode("v")}, {"key", Base64Encode(key_bytes)}}}}};
  auto c = Client();
  auto r = c->Post("/topics/t", body.dump(), "application/vnd.kafka.binary.v2+json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const int shard = json::parse(r->body)["offsets"][0]["partition"].get<int>();

  // Read the shard back over Kinesis's own API, as a consumer would.
  auto kinesis = [&](const std::string& action, const json& request) {
    auto res = c->Post("/", {{"X-Amz-Target", "Kinesis_20131202." + action}}, request.dump(),
                       "application/x-amz-json-1.1");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << action << ": " << res->body;
    return json::parse(res->body);
  };
  json iterator =
      kinesis("GetShardIterator", {{"StreamName", "t"},
                                   {"ShardId", ShardIdFromIndex(static_cast<uint32_t>(shard))},
                                   {"ShardIteratorType", "TRIM_HORIZON"}});
  json records = kinesis("GetRecords", {{"ShardIterator", iterator["ShardIterator"]}});
  ASSERT_EQ(records["Records"].size(), 1u) << records.dump();
  EXPECT_EQ(records["Records"][0]["PartitionKey"], "//4=");
  EXPECT_EQ(records["Records"][0]["Data"], Base64Encode("v"));
}

}  // namespace
}  // namespace pinstream
