// The emulation driver on an in-memory sink, its pacing and progress pieces, the HTTP sink
// against an in-process HTTP server, and the whole path into a real broker process.
#include "emulator/emulator.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "emulator/http_sink.h"
#include "emulator/post_generator.h"
#include "emulator/progress_reporter.h"
#include "emulator/python_random.h"
#include "emulator/token_bucket.h"
#include "stream/broker.h"
#include "stream/http_gateway.h"
#include "stream/stream_client.h"
#include "stream/stream_store.h"
#include "tests/emulator/fake_sink.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;
using testing::FakeSink;
using testing::TempDir;

std::vector<int64_t> Draws(int64_t seed, int n) {
  PythonRandom rng(seed);
  std::vector<int64_t> inds;
  for (int i = 0; i < n; ++i) {
    rng.RandRange(0, 2);
    inds.push_back(rng.RandInt(0, 11000));
  }
  return inds;
}

std::vector<int64_t> Keys(const std::vector<FakeSink::Record>& records) {
  std::vector<int64_t> keys;
  for (const auto& r : records) keys.push_back(std::stoll(r.partition_key));
  return keys;
}

TEST(EmulateTest, SendsOnePinGeoAndUserPerPostKeyedByInd) {
  PostGenerator gen({.seed = 100});
  EmulatorOptions options;
  options.prefix = "p";
  options.count = 100;
  options.shards = 3;
  FakeSink sink;
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, Emulate(options, gen, &sink, Clock::Real()));
  EXPECT_EQ(sink.shards(),
            (std::map<std::string, uint32_t>{{"p-geo", 3}, {"p-pin", 3}, {"p-user", 3}}));
  const std::vector<int64_t> expected = Draws(100, 100);
  EXPECT_EQ(Keys(sink.records("p-pin")), expected);
  EXPECT_EQ(Keys(sink.records("p-geo")), expected);
  EXPECT_EQ(Keys(sink.records("p-user")), expected);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(json::parse(sink.records("p-pin")[i].data)["index"], expected[i]);
    EXPECT_EQ(json::parse(sink.records("p-geo")[i].data)["ind"], expected[i]);
    EXPECT_EQ(json::parse(sink.records("p-user")[i].data)["ind"], expected[i]);
    // The data is the generator's row, as JSON text.
    EXPECT_EQ(sink.records("p-pin")[i].data, gen.Rows(expected[i]).pin->dump());
  }
  EXPECT_EQ(summary.posts, 100);
  EXPECT_EQ(summary.records(), 300u);
  EXPECT_EQ(summary.failed(), 0u);
  const json j = summary.ToJson();
  EXPECT_EQ(j["posts"], 100);
  EXPECT_EQ(j["records"], 300);
  EXPECT_EQ(j["streams"]["p-pin"]["records"], 100);
  EXPECT_EQ(j["skipped"], 0);
  EXPECT_TRUE(j.contains("seconds"));
  EXPECT_TRUE(j.contains("records_per_second"));
}

TEST(EmulateTest, PythonSeedChoosesTheDraws) {
  PostGenerator gen({.seed = 1});
  EmulatorOptions options;
  options.count = 12;
  options.seed = 1;
  options.python_seed = 100;
  FakeSink sink;
  ASSERT_OK(Emulate(options, gen, &sink, Clock::Real()).status());
  EXPECT_EQ(Keys(sink.records("streaming-demo-pin")), Draws(100, 12));
}

TEST(EmulateTest, LiveTimestampsAreNearNowWithBoundedDisorder) {
  PostGenerator gen({.seed = 100});
  ManualClock clock(1'700'000'000'000);  // 2023-11-14 22:13:20 UTC
  EmulatorOptions options;
  options.count = 500;
  options.live_timestamps = true;
  FakeSink sink;
  ASSERT_OK(Emulate(options, gen, &sink, &clock).status());
  std::set<std::string> seen;
  for (const auto& r : sink.records("streaming-demo-geo")) {
    const std::string ts = json::parse(r.data)["timestamp"];
    EXPECT_GE(ts, "2023-11-14 22:13:15");
    EXPECT_LE(ts, "2023-11-14 22:13:20");
    seen.insert(ts);
  }
  EXPECT_GE(seen.size(), 5u);  // disorder: several distinct seconds, not one stamp
  // Pin and user rows are untouched.
  EXPECT_EQ(sink.records("streaming-demo-pin")[0].data,
            gen.Rows(std::stoll(sink.records("streaming-demo-pin")[0].partition_key)).pin->dump());
}

TEST(EmulateTest, RateIsSteady) {
  PostGenerator gen({.seed = 100});
  EmulatorOptions options;
  options.count = 100;  // 300 records
  options.rate = 1500;
  FakeSink sink;
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, Emulate(options, gen, &sink, Clock::Real()));
  // 75 records of burst, the other 225 at 1500/s: at least 0.15 s.
  EXPECT_GE(summary.seconds, 0.14);
  EXPECT_GT(sink.flushes(), 1);  // batches go out while the pacer waits
}

TEST(EmulateTest, RejectsBadOptions) {
  PostGenerator gen({.seed = 100});
  FakeSink sink;
  EmulatorOptions options;
  options.count = -1;
  EXPECT_EQ(Emulate(options, gen, &sink, Clock::Real()).status().code(),
            Status::Code::kInvalidArgument);
  options.count = 1;
  options.rate = -5;
  EXPECT_EQ(Emulate(options, gen, &sink, Clock::Real()).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(TokenBucketTest, PacesAtTheRateAfterTheBurst) {
  TokenBucket bucket(/*rate=*/1000, /*burst=*/2, /*now_us=*/0);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 1000);  // owed: due in 1 ms
  EXPECT_EQ(bucket.Take(0), 2000);
  EXPECT_EQ(bucket.Take(2000), 1000);    // the refill paid the debt, one more is due at 3 ms
  EXPECT_EQ(bucket.Take(1'000'000), 0);  // a long pause refills at most `burst`
  EXPECT_EQ(bucket.Take(1'000'000), 0);
  EXPECT_GT(bucket.Take(1'000'000), 0);
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(ProgressReporterTest, QuietForShortRunsThenPlainLines) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressReporter::Options options;
  ProgressReporter progress(f, 1000, options, /*now_ms=*/0);
  progress.Update(10, 30, 500);  // within the first second: nothing
  progress.Finish(10, 30, 900);
  EXPECT_EQ(ReadAll(f), "");

  ProgressReporter longer(f, 1000, options, 0);
  longer.Update(100, 300, 1500);
  longer.Update(200, 600, 5000);  // within 10 s of the last line: nothing
  longer.Update(500, 1500, 11600);
  longer.Finish(1000, 3000, 20000);
  const std::string out = ReadAll(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(out.find("100/1000 posts"), std::string::npos) << out;
  EXPECT_NE(out.find("500/1000 posts"), std::string::npos) << out;
  EXPECT_NE(out.find("1000/1000 posts"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  std::fclose(f);
}

TEST(ProgressReporterTest, RendersABar) {
  ProgressReporter::Options options;
  options.terminal = true;
  ProgressReporter progress(stderr, 200, options, 0);
  const std::string line = progress.Render(100, 300, 2000);
  EXPECT_TRUE(line.starts_with("[###############...............]  50%  100/200 posts")) << line;
  EXPECT_NE(line.find("150 records/s"), std::string::npos) << line;
}

// An in-process stand-in for the gateway's REST proxy, recording what it was sent.
class FakeGateway {
 public:
  FakeGateway() {
    server_.Get(R"(/streams/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      const std::string name = req.matches[1];
      if (streams_.count(name) == 0) {
        res.status = 404;
        res.set_content(R"({"__type":"ResourceNotFoundException","message":"no such stream"})",
                        "application/json");
        return;
      }
      res.set_content(json{{"StreamDescription", {{"StreamName", name}}}}.dump(),
                      "application/json");
    });
    server_.Post(R"(/streams/([^/]+))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mu_);
                   streams_[req.matches[1]] = json::parse(req.body)["ShardCount"];
                   res.set_content("{}", "application/json");
                 });
    server_.Put(
        R"(/streams/([^/]+)/record)", [this](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard lock(mu_);
          json body = json::parse(req.body);
          if (fail_next_ > 0) {  // a hiccup the client must retry
            --fail_next_;
            res.status = 503;
            res.set_content("{\"message\":\"busy\"}", "application/json");
            return;
          }
          if (body["PartitionKey"] == "refuse-me") {
            res.status = 400;
            res.set_content(R"({"__type":"InvalidArgumentException","message":"bad record"})",
                            "application/json");
            return;
          }
          records_[req.matches[1]].push_back(std::move(body));
          res.set_content(R"({"ShardId":"shardId-000000000000","SequenceNumber":"1"})",
                          "application/json");
        });
    server_.set_tcp_nodelay(true);
    // Bound and listening before the thread starts: clients may connect at once.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeGateway() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  std::map<std::string, int> streams() {
    std::lock_guard lock(mu_);
    return streams_;
  }
  std::vector<json> records(const std::string& stream) {
    std::lock_guard lock(mu_);
    return records_[stream];
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> streams_;
  std::map<std::string, std::vector<json>> records_;
  int fail_next_ = 0;
};

TEST(HttpSinkTest, PostsRowsAsTheOriginalScriptDid) {
  FakeGateway gateway;
  ASSERT_GT(gateway.port(), 0);
  ASSERT_OK_AND_ASSIGN(auto sink, HttpSink::Connect(gateway.url()));
  PostGenerator gen({.seed = 100});
  EmulatorOptions options;
  options.prefix = "h";
  options.count = 20;
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, Emulate(options, gen, sink.get(), Clock::Real()));
  EXPECT_EQ(gateway.streams(),
            (std::map<std::string, int>{{"h-geo", 4}, {"h-pin", 4}, {"h-user", 4}}));
  EXPECT_EQ(summary.records(), 60u);
  const std::vector<int64_t> inds = Draws(100, 20);
  const auto pins = gateway.records("h-pin");
  ASSERT_EQ(pins.size(), 20u);
  for (size_t i = 0; i < pins.size(); ++i) {
    EXPECT_EQ(pins[i]["StreamName"], "h-pin");
    EXPECT_EQ(pins[i]["PartitionKey"], std::to_string(inds[i]));
    ASSERT_TRUE(pins[i]["Data"].is_object());  // the row itself, not a string
    EXPECT_EQ(pins[i]["Data"]["index"], inds[i]);
  }
  EXPECT_EQ(gateway.records("h-user").back()["Data"]["ind"], inds.back());

  // Existing streams are reused, not created again.
  ASSERT_OK(sink->EnsureStream("h-pin", 8));
  EXPECT_EQ(gateway.streams()["h-pin"], 4);
}

TEST(HttpSinkTest, RetriesHiccupsAndCountsRefusals) {
  FakeGateway gateway;
  HttpSink::Options options;
  options.retry_backoff = std::chrono::milliseconds(1);
  ASSERT_OK_AND_ASSIGN(auto sink, HttpSink::Connect(gateway.url(), options));
  ASSERT_OK(sink->EnsureStream("s", 1));
  gateway.FailNext(2);
  ASSERT_OK(sink->Put("s", "1", R"({"ind":1})"));
  ASSERT_OK(sink->Put("s", "refuse-me", R"({"ind":2})"));
  EXPECT_EQ(sink->counts("s").acked, 1u);
  EXPECT_EQ(sink->counts("s").failed, 1u);
  EXPECT_EQ(sink->first_failure().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(gateway.records("s").size(), 1u);

  gateway.FailNext(100);
  Status gone = sink->Put("s", "3", R"({"ind":3})");
  EXPECT_EQ(gone.code(), Status::Code::kUnavailable) << gone.ToString();
}

TEST(HttpSinkTest, BadUrlsAndErrorMapping) {
  EXPECT_EQ(HttpSink::Connect("ftp://x").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(HttpSink::Connect("http://127.0.0.1:1/path").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(StatusFromHttpError(404, "").code(), Status::Code::kResourceNotFound);
  EXPECT_EQ(StatusFromHttpError(400, R"({"__type":"ResourceInUseException","message":"x"})").code(),
            Status::Code::kResourceInUse);
  EXPECT_EQ(StatusFromHttpError(400, R"({"__type":"com.amazonaws#LimitExceededException"})").code(),
            Status::Code::kLimitExceeded);
  EXPECT_EQ(StatusFromHttpError(413, "too big").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(StatusFromHttpError(502, "<html>").code(), Status::Code::kUnavailable);
}

// Every record of a stream, read back from TRIM_HORIZON: (partition key, data) pairs.
Result<std::vector<std::pair<std::string, std::string>>> ReadStream(StreamClient* client,
                                                                    const std::string& stream) {
  std::vector<std::pair<std::string, std::string>> out;
  ASSIGN_OR_RETURN(auto shard_ids, client->ListShardIds(stream));
  for (const auto& shard : shard_ids) {
    ASSIGN_OR_RETURN(std::string it, client->GetShardIterator(stream, shard, IteratorPosition{}));
    while (true) {
      ASSIGN_OR_RETURN(GetRecordsReply reply, client->GetRecords(it, kMaxGetRecordsLimit));
      for (const RecordView& r : reply.records) {
        out.emplace_back(std::string(r.partition_key), std::string(r.data));
      }
      it = reply.meta.next_iterator;
      if (reply.records.empty()) break;
    }
  }
  return out;
}

TEST(EmulatorProcessTest, TwoHundredPostsIntoARealBroker) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, testing::BrokerProcess::Start(dir.Sub("broker")));
  EmulatorOptions options;
  options.prefix = "e2e";
  options.count = 200;
  options.broker = broker->endpoint();
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, RunEmulator(options));
  EXPECT_EQ(summary.records(), 600u);
  EXPECT_EQ(summary.failed(), 0u);
  EXPECT_EQ(summary.source, "generated");
  EXPECT_EQ(summary.destination, broker->endpoint());

  zmq::context_t ctx(1);
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  ASSERT_OK_AND_ASSIGN(auto shards, client->ListShardIds("e2e-pin"));
  EXPECT_EQ(shards.size(), 4u);
  std::map<std::string, std::multiset<int64_t>> inds;
  for (const char* kind : {"pin", "geo", "user"}) {
    const std::string stream = std::string("e2e-") + kind;
    ASSERT_OK_AND_ASSIGN(auto records, ReadStream(client.get(), stream));
    ASSERT_EQ(records.size(), 200u) << stream;
    for (const auto& [key, data] : records) {
      const json row = json::parse(data);
      const int64_t ind = row[kind == std::string("pin") ? "index" : "ind"];
      EXPECT_EQ(key, std::to_string(ind)) << stream;
      inds[kind].insert(ind);
    }
  }
  const std::vector<int64_t> drawn = Draws(100, 200);
  EXPECT_EQ(inds["pin"], std::multiset<int64_t>(drawn.begin(), drawn.end()));
  EXPECT_EQ(inds["geo"], inds["pin"]);
  EXPECT_EQ(inds["user"], inds["pin"]);
  EXPECT_OK(broker->Terminate());
}

// --via: the same posts through the real HTTP gateway (in process, over the same store as a
// broker), read back over ZeroMQ.
TEST(EmulatorGatewayTest, ThroughTheRestProxy) {
  TempDir dir;
  StreamStore::Options store_options;
  store_options.path = dir.Sub("db");
  ASSERT_OK_AND_ASSIGN(auto store, StreamStore::Open(store_options));
  HttpGateway::Options gateway_options;
  gateway_options.server.port = 0;
  gateway_options.server.threads = 2;
  ASSERT_OK_AND_ASSIGN(auto gateway, HttpGateway::Start(store.get(), gateway_options));
  Broker::Options broker_options;
  broker_options.listen = "tcp://127.0.0.1:*";
  ASSERT_OK_AND_ASSIGN(auto broker, Broker::Start(store.get(), broker_options));

  EmulatorOptions options;
  options.prefix = "gw";
  options.count = 100;
  options.shards = 2;
  options.via = gateway->url();
  ASSERT_OK_AND_ASSIGN(EmulatorSummary summary, RunEmulator(options));
  EXPECT_EQ(summary.records(), 300u);
  EXPECT_EQ(summary.destination, gateway->url());

  zmq::context_t ctx(1);
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  ASSERT_OK_AND_ASSIGN(auto shards, client->ListShardIds("gw-user"));
  EXPECT_EQ(shards.size(), 2u);
  PostGenerator gen({.seed = 100});
  for (const char* kind : {"pin", "geo", "user"}) {
    ASSERT_OK_AND_ASSIGN(auto records, ReadStream(client.get(), std::string("gw-") + kind));
    ASSERT_EQ(records.size(), 100u) << kind;
    for (const auto& [key, data] : records) {
      // The gateway stores the Data value's JSON text: the row, whatever its key order.
      const PostRows rows = gen.Rows(std::stoll(key));
      const JsonRow& expected = kind == std::string("pin")   ? *rows.pin
                                : kind == std::string("geo") ? *rows.geo
                                                             : *rows.user;
      EXPECT_EQ(json::parse(data), json::parse(expected.dump())) << kind << " " << key;
    }
  }
  broker->Stop();
  gateway->Stop();
}

TEST(EmulatorProcessTest, CommandLine) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, testing::BrokerProcess::Start(dir.Sub("broker")));
  ASSERT_OK_AND_ASSIGN(
      testing::CliRun run,
      testing::RunPinstream({"emulate", "--broker", broker->endpoint(), "--prefix", "cli",
                             "--count", "50", "--seed", "7", "--shards", "2"},
                            dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["posts"], 50);
  EXPECT_EQ(summary["records"], 150);
  EXPECT_EQ(summary["streams"]["cli-user"]["records"], 50);
  EXPECT_EQ(run.err, "");  // a short run shows no progress

  ASSERT_OK_AND_ASSIGN(testing::CliRun bad,
                       testing::RunPinstream({"emulate", "--via", "ftp://nowhere"}, dir.path()));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.err.starts_with("InvalidArgumentException: ")) << bad.err;
  ASSERT_OK_AND_ASSIGN(testing::CliRun bad_ts,
                       testing::RunPinstream({"emulate", "--timestamps", "tomorrow"}, dir.path()));
  EXPECT_EQ(bad_ts.exit_code, 1);
  EXPECT_TRUE(bad_ts.err.starts_with("InvalidArgumentException: ")) << bad_ts.err;
  EXPECT_OK(broker->Terminate());
}

}  // namespace
}  // namespace pinstream
