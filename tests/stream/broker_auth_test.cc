// One auth model on ZeroMQ (SPEC section 10): a keyed broker admits only clients that hold its
// API key (CURVE keys derived from it, checked by the broker's ZAP handler); clients without
// it, or with another, get AccessDenied promptly and change nothing. Real brokers on loopback
// ports, in this process and as `pinstream broker` processes driven through the CLI.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "stream/broker.h"
#include "stream/curve_keys.h"
#include "stream/producer.h"
#include "stream/stream_client.h"
#include "stream/stream_store.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CliRun;
using testing::RunPinstream;
using testing::TempDir;

constexpr char kKey[] = "correct horse battery staple";
// Far below the client's 10 s timeout: a refusal must not look like a slow broker.
constexpr auto kPrompt = std::chrono::seconds(3);

class BrokerAuthTest : public ::testing::Test {
 protected:
  void StartBroker(const std::string& api_key) {
    StreamStore::Options store_options;
    store_options.path = dir_.Sub("db");
    auto store = StreamStore::Open(store_options);
    ASSERT_OK(store.status());
    store_ = std::move(*store);
    Broker::Options options;
    options.listen = "tcp://127.0.0.1:*";
    options.workers = 2;
    options.api_key = api_key;
    auto broker = Broker::Start(store_.get(), options);
    ASSERT_OK(broker.status());
    broker_ = std::move(*broker);
  }

  Result<std::unique_ptr<StreamClient>> Client(const std::string& api_key) {
    StreamClient::Options options;
    options.api_key = api_key;
    return StreamClient::Connect(&ctx_, broker_->endpoint(), options);
  }

  // Expects `call` to fail with AccessDenied well within the client's timeout.
  template <typename Call>
  void ExpectDeniedPromptly(Call call) {
    const auto start = std::chrono::steady_clock::now();
    Status s = call();
    EXPECT_EQ(s.code(), Status::Code::kAccessDenied) << s.ToString();
    EXPECT_LT(std::chrono::steady_clock::now() - start, kPrompt) << s.ToString();
  }

  TempDir dir_;
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<Broker> broker_;
  zmq::context_t ctx_{1};
};

TEST_F(BrokerAuthTest, KeyedClientCreatesPutsAndGets) {
  StartBroker(kKey);
  ASSERT_OK_AND_ASSIGN(auto client, Client(kKey));
  ASSERT_OK(client->CreateStream("s", 1));
  std::vector<PutResult> results;
  const PutEntry entry{"pk", "hello", std::nullopt};
  ASSERT_OK(client->PutRecords("s", std::span(&entry, 1), &results));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_OK(results[0].status);
  ASSERT_OK_AND_ASSIGN(std::string it, client->GetShardIterator("s", "shardId-000000000000", {}));
  ASSERT_OK_AND_ASSIGN(GetRecordsReply reply, client->GetRecords(it, 10));
  ASSERT_EQ(reply.records.size(), 1u);
  EXPECT_EQ(reply.records[0].data, "hello");
  // The Producer (batching, pipelining) goes through the same handshake.
  Producer producer(client.get(), "s");
  ASSERT_OK(producer.Put("pk", "again"));
  ASSERT_OK(producer.Flush());
  EXPECT_EQ(producer.stats().acked, 1u);
}

TEST_F(BrokerAuthTest, ClientsWithoutTheKeyAreDeniedAndChangeNothing) {
  StartBroker(kKey);
  ASSERT_OK_AND_ASSIGN(auto owner, Client(kKey));
  ASSERT_OK(owner->CreateStream("kept", 1));

  // A keyless client watches no handshake (see StreamClient::Connect): it learns of the key it
  // lacks from its timeout's error, and changes nothing.
  {
    StreamClient::Options options;
    options.timeout = std::chrono::milliseconds(1'000);
    ASSERT_OK_AND_ASSIGN(auto keyless, StreamClient::Connect(&ctx_, broker_->endpoint(), options));
    Status s = keyless->CreateStream("evil", 1);
    EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
    EXPECT_NE(s.message().find("require an API key"), std::string::npos) << s.ToString();
  }
  for (const std::string key : {"a wrong key"}) {
    SCOPED_TRACE("key '" + key + "'");
    ASSERT_OK_AND_ASSIGN(auto intruder, Client(key));
    ExpectDeniedPromptly([&] { return intruder->CreateStream("evil", 1); });
    ExpectDeniedPromptly([&] { return intruder->DeleteStream("kept"); });
    ExpectDeniedPromptly([&] { return intruder->ListStreams().status(); });
    // A producer learns it on its first reply, not after its retries.
    Producer::Options po;
    po.max_attempts = 50;
    Producer producer(intruder.get(), "kept", po);
    ExpectDeniedPromptly([&] {
      Status s = producer.Put("k", "v");
      return s.ok() ? producer.Flush() : s;
    });
  }
  ASSERT_OK_AND_ASSIGN(auto streams, owner->ListStreams());
  EXPECT_EQ(streams, std::vector<std::string>{"kept"});
}

TEST_F(BrokerAuthTest, KeyedClientOfAnUnkeyedBrokerIsToldSo) {
  StartBroker("");
  ASSERT_OK_AND_ASSIGN(auto plain, Client(""));
  EXPECT_OK(plain->CreateStream("open", 1));
  ASSERT_OK_AND_ASSIGN(auto keyed, Client(kKey));
  ExpectDeniedPromptly([&] { return keyed->ListStreams().status(); });
}

TEST(CurveKeysTest, DerivedFromTheKeyAlone) {
  ASSERT_OK_AND_ASSIGN(CurveKeys a, DeriveCurveKeys(kKey));
  ASSERT_OK_AND_ASSIGN(CurveKeys b, DeriveCurveKeys(kKey));
  ASSERT_OK_AND_ASSIGN(CurveKeys c, DeriveCurveKeys("another"));
  EXPECT_EQ(a.server_public, b.server_public);
  EXPECT_EQ(a.client_secret, b.client_secret);
  EXPECT_NE(a.server_public, c.server_public);
  EXPECT_NE(a.server_public, a.client_public);
  EXPECT_EQ(a.server_public.size(), 40u);
  EXPECT_FALSE(DeriveCurveKeys("").ok());
}

// ---------------------------------------------------------------------------------------------
// The CLI end to end: `pinstream broker --api-key-file F` and `pinstream stream ...` with the key
// from PINSTREAM_API_KEY, from --api-key-file, and without it.

std::string WriteKeyFile(const TempDir& dir, const std::string& name, const std::string& key) {
  const std::string path = dir.Sub(name);
  std::ofstream(path) << key << "\n";
  chmod(path.c_str(), 0600);
  return path;
}

// A command refused by a keyed broker: AccessDeniedException at once, or, when libzmq dropped
// the refusal's one monitor event (as it may under load; see StreamClient::Connect), the
// timeout's error that names the missing key.
bool Refused(const std::string& err) {
  return err.find("AccessDeniedException") != std::string::npos ||
         (err.find("ServiceUnavailable") != std::string::npos &&
          err.find("require an API key") != std::string::npos);
}

TEST(BrokerAuthCliTest, StreamCommandsNeedTheKey) {
  TempDir dir;
  const std::string key_file = WriteKeyFile(dir, "key", kKey);
  const std::string wrong_file = WriteKeyFile(dir, "wrong", "not it");
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(dir.Sub("data"), {"--api-key-file", key_file}));
  const std::string ep = broker->endpoint();
  const std::vector<std::string> env_key = {std::string("PINSTREAM_API_KEY=") + kKey};

  ASSERT_OK_AND_ASSIGN(
      CliRun create, RunPinstream({"stream", "create", "s", "--broker", ep}, dir.path(), env_key));
  EXPECT_EQ(create.exit_code, 0) << create.err;
  ASSERT_OK_AND_ASSIGN(
      CliRun put, RunPinstream({"stream", "put", "s", "--broker", ep, "--api-key-file", key_file,
                                "--partition-key", "k", "--data", "hi"},
                               dir.path()));
  EXPECT_EQ(put.exit_code, 0) << put.err;
  ASSERT_OK_AND_ASSIGN(CliRun get,
                       RunPinstream({"stream", "get", "s", "--broker", ep, "--shard",
                                     "shardId-000000000000", "--api-key-file", key_file},
                                    dir.path()));
  ASSERT_EQ(get.exit_code, 0) << get.err;
  auto records = nlohmann::json::parse(get.out)["Records"];
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["Data"], "aGk=");

  // Without the key, or with another: refused at once, with the error type first.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--api-key-file", wrong_file}}) {
    std::vector<std::string> args = {"stream", "delete", "s", "--broker", ep};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_OK_AND_ASSIGN(CliRun denied, RunPinstream(args, dir.path()));
    EXPECT_EQ(denied.exit_code, 1);
    EXPECT_TRUE(Refused(denied.err)) << denied.err;
  }
  ASSERT_OK_AND_ASSIGN(CliRun list,
                       RunPinstream({"stream", "list", "--broker", ep}, dir.path(), env_key));
  EXPECT_EQ(nlohmann::json::parse(list.out)["StreamNames"], nlohmann::json({"s"}));

  // The old flag is gone: a key never goes on the command line.
  ASSERT_OK_AND_ASSIGN(
      CliRun old, RunPinstream({"broker", "--data", dir.Sub("d2"), "--api-key", "x"}, dir.path()));
  EXPECT_NE(old.exit_code, 0);
  EXPECT_OK(broker->Terminate());
}

TEST(BrokerAuthCliTest, EmulateAndRunAgainstAKeyedBroker) {
  TempDir dir;
  const std::string key_file = WriteKeyFile(dir, "key", kKey);
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(dir.Sub("data"), {"--api-key-file", key_file}));
  const std::string ep = broker->endpoint();
  const std::vector<std::string> emulate = {"emulate",  "--count",  "20", "--prefix",
                                            "auth",     "--broker", ep,   "--no-progress",
                                            "--shards", "1"};
  ASSERT_OK_AND_ASSIGN(CliRun denied, RunPinstream(emulate, dir.path()));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_TRUE(Refused(denied.err)) << denied.err;

  std::vector<std::string> keyed = emulate;
  keyed.insert(keyed.end(), {"--api-key-file", key_file});
  ASSERT_OK_AND_ASSIGN(CliRun emulated, RunPinstream(keyed, dir.path()));
  ASSERT_EQ(emulated.exit_code, 0) << emulated.err;
  EXPECT_EQ(nlohmann::json::parse(emulated.out)["records"], 60);

  const std::string topology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";
  const std::vector<std::string> env = {"PINSTREAM_BROKER=" + ep, "PINSTREAM_PREFIX=auth"};
  ASSERT_OK_AND_ASSIGN(
      CliRun run_denied,
      RunPinstream({"run", topology, "--data", dir.Sub("p1"), "--once"}, dir.path(), env));
  EXPECT_EQ(run_denied.exit_code, 1);
  EXPECT_TRUE(Refused(run_denied.err)) << run_denied.err;
  ASSERT_OK_AND_ASSIGN(CliRun run, RunPinstream({"run", topology, "--data", dir.Sub("p2"), "--once",
                                                 "--api-key-file", key_file},
                                                dir.path(), env));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["records"], 60);
  EXPECT_OK(broker->Terminate());
}

}  // namespace
}  // namespace pinstream
