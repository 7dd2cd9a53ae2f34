// Issue 15's resharding, end to end: streams are split, merged and scaled up and down (by
// UpdateShardCount) while emulated posts flow into a real broker and `pinstream run` processes
// them. The processor follows each shard's lineage as the KCL does (a child only after its
// parents are read to their end), so:
// - the Pinterest pipeline's tables equal those of a run over the same posts without resharding;
// - each partition key's records are processed in the order they were put.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "tests/operators/pinterest_reference.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;
using testing::BrokerProcess;
using testing::PinstreamProcess;
using testing::RunPinstream;
using testing::ScanTable;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";
constexpr int kPosts = 600;
// Every table of the Pinterest topology whose rows do not depend on where batches end
// (unmatched_posts lists posts whose records were not all there within a batch's window).
std::vector<std::string> Tables() {
  std::vector<std::string> tables = {"pin", "geo", "user"};
  const auto& questions = testing::QuestionTables();
  tables.insert(tables.end(), questions.begin(), questions.end());
  return tables;
}

// A table's rows as sorted JSON texts: equal tables compare equal whatever their order.
std::vector<std::string> TableRows(const std::string& data, const std::string& table) {
  Schema schema;
  auto rows = ScanTable(data, table, &schema);
  EXPECT_OK(rows.status());
  std::vector<std::string> out;
  if (!rows.ok()) return out;
  for (const Row& row : *rows) out.push_back(RowToJson(schema, row).dump());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Emulate(const std::string& endpoint, const std::string& prefix,
                                 bool paced) {
  std::vector<std::string> args = {
      "emulate", "--broker", endpoint,   "--prefix", prefix,      "--count", std::to_string(kPosts),
      "--seed",  "11",       "--shards", "2",        "--max-ind", "400",     "--no-progress"};
  if (paced) {
    args.push_back("--rate");
    args.push_back("450");  // 1,800 records over about 4 s, while the streams are resharded
  }
  return args;
}

json Call(StreamClient* client, const std::string& action, const json& request) {
  auto r = client->Call(action, request);
  EXPECT_TRUE(r.ok()) << action << " " << request << ": " << r.status().ToString();
  return r.ok() ? *r : json();
}

// The open shards of `stream`, by starting hash key.
std::vector<std::string> OpenShards(StreamClient* client, const std::string& stream) {
  std::vector<std::string> out;
  json page = Call(client, "ListShards",
                   {{"StreamName", stream}, {"ShardFilter", {{"Type", "AT_LATEST"}}}});
  for (const auto& s : page["Shards"]) out.push_back(s["ShardId"]);
  return out;
}

TEST(ReshardProcessTest, TablesEqualARunWithoutReshardingAndKeysKeepTheirOrder) {
  TempDir dir;
  zmq::context_t ctx;

  // The reference: the same posts, no resharding, one --once run after all are in.
  ASSERT_OK_AND_ASSIGN(auto ref_broker, BrokerProcess::Start(dir.Sub("ref-broker")));
  ASSERT_OK_AND_ASSIGN(auto ref_emulated,
                       RunPinstream(Emulate(ref_broker->endpoint(), "rs", false), dir.path()));
  ASSERT_EQ(ref_emulated.exit_code, 0) << ref_emulated.err;
  const std::string ref_data = dir.Sub("ref-processor");
  ASSERT_OK_AND_ASSIGN(
      auto ref_run,
      RunPinstream({"run", kTopology, "--data", ref_data, "--once"}, dir.path(),
                   {"PINSTREAM_BROKER=" + ref_broker->endpoint(), "PINSTREAM_PREFIX=rs"}));
  ASSERT_EQ(ref_run.exit_code, 0) << ref_run.err;

  // The resharded run: the processors run while posts flow and the streams are resharded.
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir.Sub("broker")));
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  for (const char* s : {"rs-pin", "rs-geo", "rs-user", "rs-order"}) {
    ASSERT_OK(client->CreateStream(s, 2));
  }
  // Per-key order: a producer puts {"k", "n"} records, n rising, to 24 keys; a topology keeps
  // every record (events) and each key's last one (latest). Its batches are small, so that a
  // batch takes a few records of each shard it reads: read together, a parent's and a child's
  // records would interleave.
  const std::string order_topology = dir.Sub("order.json");
  {
    std::ofstream out(order_topology);
    out << R"({"name": "order", "broker": ")" << broker->endpoint() << R"(",
      "max_batch_records": 16,
      "sources": {"records": {"stream": "rs-order", "start": "TRIM_HORIZON"}},
      "pipelines": {"events": {"from": "records",
        "steps": [{"op": "parse_json", "columns": {"k": "string", "n": "int"}}],
        "to": ["events", "latest"]}},
      "tables": {"events": {}, "latest": {"key": ["k"]}}})";
  }
  const std::map<std::string, std::string> env = {{"PINSTREAM_BROKER", broker->endpoint()},
                                                  {"PINSTREAM_PREFIX", "rs"}};
  const std::string data = dir.Sub("processor");
  const std::string order_data = dir.Sub("order-processor");
  ASSERT_OK_AND_ASSIGN(auto processor, PinstreamProcess::Start({"--log-level", "info", "run",
                                                                kTopology, "--data", data},
                                                               env, dir.Sub("processor.log")));
  ASSERT_OK_AND_ASSIGN(auto emulator,
                       PinstreamProcess::Start(Emulate(broker->endpoint(), "rs", true), env,
                                               dir.Sub("emulate.log")));
  constexpr int kKeys = 24;
  std::atomic<bool> producing{true};
  std::atomic<int> put{0};
  Status produced;
  std::thread producer([&] {
    auto c = StreamClient::Connect(&ctx, broker->endpoint());
    if (!c.ok()) {
      produced = c.status();
      return;
    }
    for (int n = 0; producing || n < 2000; ++n) {
      std::vector<testing::PutRecord> batch;
      const std::string key = "key-" + std::to_string(n % kKeys);
      batch.push_back({"rs-order", key, json{{"k", key}, {"n", n}}.dump(), "", ""});
      produced = testing::PutAll(c->get(), &batch);
      if (!produced.ok()) return;
      put = n + 1;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });

  // Reshards every stream while records flow: split, merge, scale up, scale down.
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(400)); };
  for (const char* s : {"rs-pin", "rs-geo", "rs-user", "rs-order"}) {
    const std::string stream = s;
    pause();
    auto open = OpenShards(client.get(), stream);
    ASSERT_EQ(open.size(), 2u);
    Call(client.get(), "SplitShard",
         {{"StreamName", stream},
          {"ShardToSplit", open[0]},
          {"NewStartingHashKey", "85070591730234615865843651857942052864"}});  // 2^126
    pause();
    open = OpenShards(client.get(), stream);
    ASSERT_EQ(open.size(), 3u);
    Call(client.get(), "MergeShards",
         {{"StreamName", stream}, {"ShardToMerge", open[1]}, {"AdjacentShardToMerge", open[2]}});
  }
  // The order topology starts only now, behind: its streams' closed shards still hold records it
  // has not read, and their children records that came after them.
  ASSERT_OK_AND_ASSIGN(
      auto order_processor,
      PinstreamProcess::Start({"--log-level", "info", "run", order_topology, "--data", order_data},
                              env, dir.Sub("order-processor.log")));
  for (const char* s : {"rs-pin", "rs-geo", "rs-user", "rs-order"}) {
    pause();
    Call(client.get(), "UpdateShardCount",
         {{"StreamName", s}, {"TargetShardCount", 4}, {"ScalingType", "UNIFORM_SCALING"}});
  }
  for (const char* s : {"rs-pin", "rs-geo", "rs-user", "rs-order"}) {
    pause();
    Call(client.get(), "UpdateShardCount",
         {{"StreamName", s}, {"TargetShardCount", 3}, {"ScalingType", "UNIFORM_SCALING"}});
  }
  producing = false;
  producer.join();
  ASSERT_OK(produced);
  // Signal 0 only waits: the emulator exits by itself once every post is sent.
  ASSERT_OK_AND_ASSIGN(int emulated, emulator->Stop(0, std::chrono::seconds(60)));
  ASSERT_TRUE(WIFEXITED(emulated) && WEXITSTATUS(emulated) == 0)
      << testing::DescribeWaitStatus(emulated) << testing::ReadWholeFile(dir.Sub("emulate.log"));
  for (auto* p : {processor.get(), order_processor.get()}) {
    ASSERT_OK_AND_ASSIGN(int status, p->Stop(SIGTERM, std::chrono::seconds(30)));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << testing::DescribeWaitStatus(status) << "\n"
        << testing::ReadWholeFile(dir.Sub("processor.log"))
        << testing::ReadWholeFile(dir.Sub("order-processor.log"));
  }
  // Whatever the running processors had not read yet, a --once run reads, from their
  // checkpoints (shard ends included).
  std::vector<std::string> env_list = {"PINSTREAM_BROKER=" + broker->endpoint(),
                                       "PINSTREAM_PREFIX=rs"};
  for (const auto& [topology, dir_of] :
       {std::pair{kTopology, data}, std::pair{order_topology, order_data}}) {
    ASSERT_OK_AND_ASSIGN(
        auto run, RunPinstream({"--log-level", "info", "run", topology, "--data", dir_of, "--once"},
                               dir.path(), env_list));
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  // The resharding happened: 2 + 2 (split) + 1 (merge) + more for each scaling.
  json shards = Call(client.get(), "ListShards", {{"StreamName", "rs-pin"}});
  EXPECT_GT(shards["Shards"].size(), 7u);
  EXPECT_EQ(OpenShards(client.get(), "rs-pin").size(), 3u);

  for (const std::string& table : Tables()) {
    SCOPED_TRACE(table);
    auto want = TableRows(ref_data, table);
    EXPECT_FALSE(want.empty());
    auto got = TableRows(data, table);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
  }
  if (HasFailure()) {
    std::cerr << "processor log:\n" << testing::ReadWholeFile(dir.Sub("processor.log"));
  }

  // Every record processed once, and each key's records in the order they were put.
  Schema schema;
  ASSERT_OK_AND_ASSIGN(auto events, ScanTable(order_data, "events", &schema));
  EXPECT_EQ(events.size(), static_cast<size_t>(put.load()));
  std::map<std::string, int64_t> last_seen;
  size_t out_of_order = 0;
  for (const Row& row : events) {
    json j = RowToJson(schema, row);
    auto [it, fresh] = last_seen.try_emplace(j["k"].get<std::string>(), -1);
    if (j["n"].get<int64_t>() <= it->second) ++out_of_order;
    it->second = j["n"].get<int64_t>();
  }
  EXPECT_EQ(out_of_order, 0u);
  ASSERT_OK_AND_ASSIGN(auto latest, ScanTable(order_data, "latest", &schema));
  ASSERT_EQ(latest.size(), static_cast<size_t>(kKeys));
  for (const Row& row : latest) {
    json j = RowToJson(schema, row);
    const int64_t n = j["n"].get<int64_t>();
    // The last record put of each key is the one that stays.
    const int key = std::stoi(j["k"].get<std::string>().substr(4));
    const int64_t last = put - 1 - (put - 1 - key) % kKeys;
    EXPECT_EQ(n, last) << j;
  }
}

}  // namespace
}  // namespace pinstream
