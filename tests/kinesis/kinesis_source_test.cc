// Kinesis sources (issue 18) end to end, on real servers: posts emulated through AWS's protocol
// (`pinstream emulate --kinesis-endpoint`) into a real kinesalite, or into pinstream's own HTTP
// gateway, read by `pinstream run` with a topology whose sources are on that endpoint; the tables
// must equal those of the same posts read from pinstream's broker over ZeroMQ. Also: the
// processor SIGKILLed mid-run and restarted (exactly once), and a SplitShard mid-stream (the
// parent read to its end before its children).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sinks/processor_store.h"
#include "stream/kinesis_http_client.h"
#include "tests/kinesis/kinesalite_process.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/support/store_tables.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::AllTables;

using testing::BrokerProcess;
using testing::CliRun;
using testing::KinesaliteProcess;
using testing::PinstreamProcess;
using testing::RunPinstream;
using testing::TempDir;

const std::string kPinterest = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";

// Test credentials (kinesalite and the gateway accept any signature) and no files from $HOME.
std::vector<std::string> AwsEnv(const std::string& prefix) {
  return {"AWS_ACCESS_KEY_ID=AKIDPINSTREAMTEST",
          "AWS_SECRET_ACCESS_KEY=secret",
          "AWS_REGION=us-east-1",
          "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
          "AWS_CONFIG_FILE=/nonexistent",
          "PINSTREAM_PREFIX=" + prefix};
}

// AwsEnv's settings, for a client of the endpoint at `url` in the test itself.
AwsConfig TestAws(const std::string& url) {
  AwsConfig aws;
  aws.endpoint_url = url;
  aws.region = "us-east-1";
  aws.access_key_id = "AKIDPINSTREAMTEST";
  aws.secret_access_key = "secret";
  return aws;
}

// topologies/pinterest.json with every source on the Kinesis endpoint `url`, written to `path`;
// with `max_batch_records`, batches that small.
std::string KinesisTopology(const std::string& url, const std::string& path,
                            int max_batch_records = 0) {
  std::ifstream in(kPinterest);
  auto j = nlohmann::ordered_json::parse(in, nullptr, true, /*ignore_comments=*/true);
  j.erase("broker");
  if (max_batch_records > 0) j["max_batch_records"] = max_batch_records;
  for (auto& [name, source] : j["sources"].items()) {
    source.erase("broker");
    source["kinesis"] = {{"endpoint", url}, {"region", "us-east-1"}};
  }
  std::ofstream(path) << j.dump(2);
  return path;
}

void ExpectSameTables(const std::string& actual_dir, const std::string& expected_dir) {
  auto actual = AllTables(actual_dir);
  auto expected = AllTables(expected_dir);
  ASSERT_FALSE(expected.empty());
  EXPECT_GT(expected["pin"].size(), 100u);
  EXPECT_GT(expected["q_category_by_country"].size(), 0u);
  for (const auto& [name, rows] : expected) {
    SCOPED_TRACE("table " + name);
    ASSERT_TRUE(actual.contains(name));
    EXPECT_EQ(actual[name].size(), rows.size());
    EXPECT_TRUE(actual[name] == rows);
  }
}

class KinesisSourceTest : public ::testing::Test {
 protected:
  CliRun Run(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    auto r = RunPinstream(args, dir_.path(), env);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CliRun{};
  }
  // `emulate` of the same posts into the broker (ZeroMQ) and into the Kinesis endpoint `url`.
  void EmulateBoth(const std::string& url, const std::string& prefix, const BrokerProcess& broker,
                   const std::vector<std::string>& more_args) {
    std::vector<std::string> args = {"emulate", "--prefix", prefix, "--no-progress"};
    args.insert(args.end(), more_args.begin(), more_args.end());
    std::vector<std::string> to_kinesis = args;
    to_kinesis.insert(to_kinesis.end(), {"--kinesis-endpoint", url});
    CliRun k = Run(to_kinesis, AwsEnv(prefix));
    ASSERT_EQ(k.exit_code, 0) << k.err;
    EXPECT_EQ(nlohmann::json::parse(k.out)["failed"], 0) << k.out;
    std::vector<std::string> to_broker = args;
    to_broker.insert(to_broker.end(), {"--broker", broker.endpoint()});
    CliRun b = Run(to_broker, {});
    ASSERT_EQ(b.exit_code, 0) << b.err;
  }
  // `run --once` of pinterest.json over the broker into dir_/broker-run.
  void RunOverBroker(const BrokerProcess& broker, const std::string& prefix) {
    CliRun r = Run({"run", kPinterest, "--data", dir_.Sub("broker-run"), "--once"},
                   {"PINSTREAM_BROKER=" + broker.endpoint(), "PINSTREAM_PREFIX=" + prefix});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // 1500 posts of `seed` (4500 records) emulated into `kinesalite` and into a broker, the
  // broker's tables in dir_/broker-run, and `run --once` over kinesalite in batches of 240 (over
  // 12 shards, each GetRecords of ~375 records a shard is handed out 20 at a time) into
  // dir_/kinesis-run, with the topology it ran in `topology_`.
  void RunBothFromKinesalite(const KinesaliteProcess& kinesalite, const std::string& prefix,
                             int seed) {
    ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir_.Sub("broker")));
    EmulateBoth(kinesalite.url(), prefix, *broker,
                {"--count", "1500", "--seed", std::to_string(seed)});
    RunOverBroker(*broker, prefix);
    topology_ =
        KinesisTopology(kinesalite.url(), dir_.Sub("kinesis.json"), /*max_batch_records=*/240);
    CliRun run =
        Run({"run", topology_, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv(prefix));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(nlohmann::json::parse(run.out)["records"], 4500) << run.out;
  }

  TempDir dir_;
  std::string topology_;
};

TEST_F(KinesisSourceTest, ReadingKinesaliteEqualsReadingTheBroker) {
  ASSERT_OK_AND_ASSIGN(auto kinesalite, KinesaliteProcess::Start(dir_.Sub("kinesalite.log")));
  ASSERT_NO_FATAL_FAILURE(RunBothFromKinesalite(*kinesalite, "kin", 18));
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));

  // The offsets committed are kinesalite's sequence numbers: a second run reads nothing again.
  CliRun again =
      Run({"run", topology_, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv("kin"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["records"], 0) << again.out;
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));
}

TEST_F(KinesisSourceTest, PinstreamsGatewayIsAKinesisEndpointToo) {
  ASSERT_OK_AND_ASSIGN(int port, testing::FreeLoopbackPort());
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(dir_.Sub("broker"), {"--http", "127.0.0.1:" + std::to_string(port)}));
  // Through AWS's protocol into the gateway; the broker run reads the same streams over ZeroMQ.
  CliRun emulate = Run({"emulate", "--prefix", "gw", "--no-progress", "--count", "1200", "--seed",
                        "21", "--kinesis-endpoint", url},
                       AwsEnv("gw"));
  ASSERT_EQ(emulate.exit_code, 0) << emulate.err;
  RunOverBroker(*broker, "gw");
  const std::string topology = KinesisTopology(url, dir_.Sub("kinesis.json"));
  CliRun run = Run({"run", topology, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv("gw"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["records"], 3600) << run.out;
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));
}

// A stream deleted and created again under the same name is a new incarnation (its
// StreamCreationTimestamp): the records the checkpoint pointed into are gone. By default the
// run stops with a DataLossException naming the stream; with "on_data_loss": "continue" it
// records the gap in `data_loss` and reads the new incarnation from its start.
TEST_F(KinesisSourceTest, AStreamCreatedAgainIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(int port, testing::FreeLoopbackPort());
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(dir_.Sub("broker"), {"--http", "127.0.0.1:" + std::to_string(port)}));
  auto emulate = [&](const std::string& seed) {
    CliRun e = Run({"emulate", "--prefix", "dl", "--no-progress", "--count", "200", "--seed", seed,
                    "--kinesis-endpoint", url},
                   AwsEnv("dl"));
    ASSERT_EQ(e.exit_code, 0) << e.err;
  };
  emulate("5");
  const std::string topology = KinesisTopology(url, dir_.Sub("kinesis.json"));
  CliRun first = Run({"run", topology, "--data", dir_.Sub("run"), "--once"}, AwsEnv("dl"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(nlohmann::json::parse(first.out)["records"], 600) << first.out;

  // The pin stream, deleted and created again through the broker, gets new records.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"stream", "delete", "dl-pin"},
        std::vector<std::string>{"stream", "create", "dl-pin", "--shards", "4"}}) {
    std::vector<std::string> with_broker = args;
    with_broker.insert(with_broker.end(), {"--broker", broker->endpoint()});
    CliRun r = Run(with_broker, {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  emulate("6");
  CliRun stopped = Run({"run", topology, "--data", dir_.Sub("run"), "--once"}, AwsEnv("dl"));
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("DataLossException"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("dl-pin"), std::string::npos) << stopped.err;

  // Told to go on, the run records the gap and reads the new incarnation.
  std::ifstream in(topology);
  auto j = nlohmann::ordered_json::parse(in);
  for (auto& [name, source] : j["sources"].items()) source["on_data_loss"] = "continue";
  const std::string go_on = dir_.Sub("go-on.json");
  std::ofstream(go_on) << j.dump(2);
  CliRun went_on = Run({"run", go_on, "--data", dir_.Sub("run"), "--once"}, AwsEnv("dl"));
  ASSERT_EQ(went_on.exit_code, 0) << went_on.err;
  // One gap per shard the checkpoint had of the old incarnation.
  EXPECT_EQ(nlohmann::json::parse(went_on.out)["data_loss_gaps"], 4) << went_on.out;
  EXPECT_GE(nlohmann::json::parse(went_on.out)["records"], 600) << went_on.out;
  auto tables = AllTables(dir_.Sub("run"));
  ASSERT_EQ(tables["data_loss"].size(), 4u);
  for (const std::string& gap : tables["data_loss"]) {
    EXPECT_NE(gap.find("dl-pin"), std::string::npos) << gap;
  }
}

// Records trimmed by retention before they were read: the broker behind the gateway keeps two
// seconds of records here. Kinesis numbers records sparsely, so the source tells by reading the
// shard's first record (TRIM_HORIZON) when it resumes: past the checkpoint means a gap.
TEST_F(KinesisSourceTest, RecordsTrimmedBeforeTheyWereReadAreDataLoss) {
  ASSERT_OK_AND_ASSIGN(int port, testing::FreeLoopbackPort());
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(dir_.Sub("broker"),
                           {"--http", "127.0.0.1:" + std::to_string(port), "--retention", "2s"}));
  auto emulate = [&](const std::string& seed) {
    CliRun e = Run({"emulate", "--prefix", "tr", "--no-progress", "--count", "100", "--seed", seed,
                    "--kinesis-endpoint", url},
                   AwsEnv("tr"));
    ASSERT_EQ(e.exit_code, 0) << e.err;
  };
  emulate("3");
  const std::string topology = KinesisTopology(url, dir_.Sub("kinesis.json"));
  CliRun first = Run({"run", topology, "--data", dir_.Sub("run"), "--once"}, AwsEnv("tr"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // These are never read: retention trims them (and what was read) first.
  emulate("4");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  emulate("5");
  CliRun stopped = Run({"run", topology, "--data", dir_.Sub("run"), "--once"}, AwsEnv("tr"));
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("DataLossException"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("trimmed"), std::string::npos) << stopped.err;
}

// The gateway's iterators live one second here (--iterator-lifetime 1s; Kinesis's live five
// minutes). A processor held still past that (SIGSTOP) finds its iterators expired when it wakes
// and takes fresh ones after the last record it read: nothing lost, nothing read twice.
TEST_F(KinesisSourceTest, ExpiredIteratorsAreRenewedAfterTheLastRecordRead) {
  ASSERT_OK_AND_ASSIGN(int port, testing::FreeLoopbackPort());
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(dir_.Sub("broker"), {"--http", "127.0.0.1:" + std::to_string(port),
                                                "--iterator-lifetime", "1s"}));
  auto emulate = [&](const std::string& seed) {
    CliRun e = Run({"emulate", "--prefix", "exp", "--no-progress", "--count", "300", "--seed", seed,
                    "--kinesis-endpoint", url},
                   AwsEnv("exp"));
    ASSERT_EQ(e.exit_code, 0) << e.err;
  };
  emulate("7");
  std::map<std::string, std::string> env;
  for (const std::string& e : AwsEnv("exp")) {
    env[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  }
  const std::string topology = KinesisTopology(url, dir_.Sub("kinesis.json"));
  const std::string log = dir_.Sub("processor.log");
  ASSERT_OK_AND_ASSIGN(
      auto processor,
      PinstreamProcess::Start({"run", topology, "--data", dir_.Sub("kinesis-run")}, env, log));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(kill(processor->pid(), SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  emulate("8");
  ASSERT_EQ(kill(processor->pid(), SIGCONT), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  ASSERT_OK_AND_ASSIGN(int status, processor->Stop(SIGTERM, std::chrono::seconds(30)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::DescribeWaitStatus(status);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("kinesis iterator expired"), std::string::npos) << text;
  // Whatever the stopped run left is read now; the tables equal a run over the broker.
  CliRun rest = Run({"run", topology, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv("exp"));
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  RunOverBroker(*broker, "exp");
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));
}

TEST_F(KinesisSourceTest, KilledAndRestartedTheTablesHoldEveryRecordOnce) {
  ASSERT_OK_AND_ASSIGN(auto kinesalite, KinesaliteProcess::Start(dir_.Sub("kinesalite.log")));
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir_.Sub("broker")));
  const std::vector<std::string> posts = {"emulate", "--prefix", "kill",   "--no-progress",
                                          "--count", "4000",     "--seed", "5"};
  std::vector<std::string> to_broker = posts;
  to_broker.insert(to_broker.end(), {"--broker", broker->endpoint()});
  CliRun b = Run(to_broker, {});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  RunOverBroker(*broker, "kill");

  // The streams first (as emulate would make them), so that the processor finds them.
  ASSERT_OK_AND_ASSIGN(auto client, KinesisHttpClient::Open(TestAws(kinesalite->url())));
  for (const char* kind : {"pin", "geo", "user"}) {
    ASSERT_OK(client->EnsureStream(std::string("kill-") + kind, 4));
  }
  // The same posts flow into kinesalite, paced, while the processor is killed three times.
  std::map<std::string, std::string> env;
  for (const std::string& e : AwsEnv("kill"))
    env[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  std::vector<std::string> to_kinesis = posts;
  to_kinesis.insert(to_kinesis.end(), {"--kinesis-endpoint", kinesalite->url(), "--rate", "3000"});
  ASSERT_OK_AND_ASSIGN(auto emulate,
                       PinstreamProcess::Start(to_kinesis, env, dir_.Sub("emulate.log")));
  const std::string topology = KinesisTopology(kinesalite->url(), dir_.Sub("kinesis.json"));
  std::mt19937 rng(18);
  for (int k = 0; k < 3; ++k) {
    ASSERT_OK_AND_ASSIGN(auto processor, PinstreamProcess::Start(
                                             {"run", topology, "--data", dir_.Sub("kinesis-run")},
                                             env, dir_.Sub("processor.log")));
    // A kill at a random moment: while it opens, reads or commits.
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1000));
    ASSERT_OK_AND_ASSIGN(int status, processor->Kill());
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << testing::DescribeWaitStatus(status);
  }
  std::optional<int> sent;
  for (int i = 0; i < 600 && !(sent = emulate->Exited()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(sent.has_value()) << "emulate did not finish within a minute";
  ASSERT_TRUE(WIFEXITED(*sent) && WEXITSTATUS(*sent) == 0) << testing::DescribeWaitStatus(*sent);
  // The killed runs committed some of it; this one reads the rest, each record once.
  CliRun run = Run({"run", topology, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv("kill"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const int64_t rest = nlohmann::json::parse(run.out)["records"].get<int64_t>();
  EXPECT_GT(rest, 0);
  EXPECT_LT(rest, 12000) << "the killed runs committed nothing";
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));
}

// `offsets reset --to seq:N --rewind-tables` with one of kinesalite's sequence numbers (which,
// unlike pinstream's, do not name their shard): the tables go back to before the batch that read
// N, and the next run reads from there on and rebuilds exactly the tables of the broker's run.
TEST_F(KinesisSourceTest, ARewindToAKinesisSequenceNumberReplaysExactly) {
  ASSERT_OK_AND_ASSIGN(auto kinesalite, KinesaliteProcess::Start(dir_.Sub("kinesalite.log")));
  ASSERT_NO_FATAL_FAILURE(RunBothFromKinesalite(*kinesalite, "rs", 9));
  const std::string data = dir_.Sub("kinesis-run");

  // The middle record of rs-pin's first shard, as kinesalite numbered it.
  ASSERT_OK_AND_ASSIGN(auto client, KinesisHttpClient::Open(TestAws(kinesalite->url())));
  ASSERT_OK_AND_ASSIGN(auto shards, client->ListShards("rs-pin"));
  ASSERT_GT(shards.size(), 1u);
  const std::string shard = shards.front().shard_id;
  ASSERT_OK_AND_ASSIGN(std::string iterator,
                       client->GetShardIterator("rs-pin", shard, IteratorPosition{}));
  ASSERT_OK_AND_ASSIGN(KinesisRecords records, client->GetRecords(iterator, 10000));
  ASSERT_GT(records.sequence_numbers.size(), 20u);
  const std::string seq = records.sequence_numbers[records.sequence_numbers.size() / 2];
  ASSERT_FALSE(SequenceNumber::Parse(seq).ok()) << seq << " reads as pinstream's";

  // Its shard must be named: the stream has several.
  CliRun unnamed = Run({"offsets", "reset", "--data", data, "--to", "seq:" + seq, "--stream",
                        "rs-pin", "--rewind-tables"},
                       {});
  EXPECT_NE(unnamed.exit_code, 0);
  EXPECT_NE(unnamed.err.find("--shard"), std::string::npos) << unnamed.err;

  CliRun reset = Run({"offsets", "reset", "--data", data, "--to", "seq:" + seq, "--stream",
                      "rs-pin", "--shard", shard, "--rewind-tables"},
                     {});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  auto plan = nlohmann::json::parse(reset.out);
  ASSERT_TRUE(plan["rewind"].is_object()) << reset.out;
  EXPECT_GT(plan["rewind"]["to_batch"].get<int64_t>(), 0) << reset.out;
  EXPECT_LT(plan["rewind"]["to_batch"], plan["rewind"]["from_batch"]) << reset.out;

  // The replay reads what the rewound batches had read, N among it, and no record twice.
  CliRun replay = Run({"run", topology_, "--data", data, "--once"}, AwsEnv("rs"));
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const int64_t again = nlohmann::json::parse(replay.out)["records"].get<int64_t>();
  EXPECT_GT(again, 0);
  EXPECT_LT(again, 4500);
  ExpectSameTables(data, dir_.Sub("broker-run"));
}

TEST_F(KinesisSourceTest, AShardSplitMidStreamIsReadParentFirst) {
  ASSERT_OK_AND_ASSIGN(auto kinesalite, KinesaliteProcess::Start(dir_.Sub("kinesalite.log")));
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir_.Sub("broker")));
  EmulateBoth(kinesalite->url(), "split", *broker,
              {"--count", "600", "--seed", "7", "--shards", "1"});
  // Every stream's one shard splits in two at the middle of the hash key range.
  ASSERT_OK_AND_ASSIGN(auto client, KinesisHttpClient::Open(TestAws(kinesalite->url())));
  for (const char* kind : {"pin", "geo", "user"}) {
    const std::string stream = std::string("split-") + kind;
    ASSERT_OK(client
                  ->Call("SplitShard",
                         {{"StreamName", stream},
                          {"ShardToSplit", "shardId-000000000000"},
                          {"NewStartingHashKey", "170141183460469231731687303715884105728"}})
                  .status());
    ASSERT_OK(client->EnsureStream(stream, 1));  // ACTIVE again
  }
  // More posts, now into the children (the broker's streams keep their one shard).
  EmulateBoth(kinesalite->url(), "split", *broker,
              {"--count", "600", "--seed", "8", "--shards", "1"});
  RunOverBroker(*broker, "split");
  const std::string topology = KinesisTopology(kinesalite->url(), dir_.Sub("kinesis.json"));
  CliRun run = Run({"run", topology, "--data", dir_.Sub("kinesis-run"), "--once"}, AwsEnv("split"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["records"], 3600) << run.out;
  ExpectSameTables(dir_.Sub("kinesis-run"), dir_.Sub("broker-run"));

  // The parent ended (SHARD_END) and both children were read after it.
  auto store = ProcessorStore::Open(dir_.Sub("kinesis-run"), /*read_only=*/true);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, (*store)->LoadCheckpoint("pinterest"));
  for (const char* kind : {"pin", "geo", "user"}) {
    const auto& offsets = checkpoint.offsets[std::string("split-") + kind];
    ASSERT_EQ(offsets.size(), 3u) << kind;
    EXPECT_EQ(offsets.at("shardId-000000000000"), kShardEndOffset);
    EXPECT_TRUE(offsets.at("shardId-000000000001").starts_with("4")) << kind;
    EXPECT_TRUE(offsets.at("shardId-000000000002").starts_with("4")) << kind;
  }
}

}  // namespace
}  // namespace pinstream
