// One topology over several instances (issue 18), end to end: a real broker holds emulated
// posts; the Pinterest topology runs once as a single instance and once as three
// (`run --instance I --instances 3`, each into its own data directory), and the CLI reads the
// three directories as one (`table scan --data A --data B --data C`, `offsets show`).
//
// The q_* tables are not compared: an instance aggregates only the posts of its shards, and
// equal answers need the repartitioning by group (a later part of the issue).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>
#include <zmq.hpp>

#include "common/hash_key.h"
#include "runtime/shard_assignment.h"
#include "stream/reshard_plan.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;
using testing::BrokerProcess;
using testing::CliRun;
using testing::RunPinstream;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";
constexpr int kInstances = 3;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class InstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(dir_.Sub("broker")));
    env_ = {"PINSTREAM_BROKER=" + broker_->endpoint(), "PINSTREAM_PREFIX=sc"};
  }

  CliRun Cli(const std::vector<std::string>& args) {
    auto run = RunPinstream(args, dir_.path(), env_);
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  // `pinstream emulate` of `count` posts into 6-shard streams (created on the first call).
  void Emulate(int count, int seed) {
    CliRun run = Cli({"emulate", "--broker", broker_->endpoint(), "--prefix", "sc", "--count",
                      std::to_string(count), "--seed", std::to_string(seed), "--shards", "6",
                      "--max-ind", "400", "--no-progress"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  // `pinstream run --once` over `data`, as `instance` of `instances` (none: the flags left out).
  CliRun RunOnce(const std::string& data, std::optional<std::pair<int, int>> split) {
    std::vector<std::string> args = {"run", kTopology, "--data", data, "--once"};
    if (split) {
      args.insert(args.end(), {"--instance", std::to_string(split->first), "--instances",
                               std::to_string(split->second)});
    }
    return Cli(args);
  }

  std::vector<std::string> InstanceDirs() const {
    std::vector<std::string> dirs;
    for (int i = 0; i < kInstances; ++i) dirs.push_back(dir_.Sub("instance-" + std::to_string(i)));
    return dirs;
  }

  // `table scan NAME` over `dirs`, its lines sorted: equal tables compare equal as multisets.
  std::vector<std::string> Scan(const std::string& table, const std::vector<std::string>& dirs) {
    std::vector<std::string> args = {"table", "scan", table};
    for (const auto& d : dirs) args.insert(args.end(), {"--data", d});
    CliRun run = Cli(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<std::string> lines = Lines(run.out);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  std::vector<std::string> env_;
};

TEST_F(InstancesTest, ThreeInstancesTogetherEqualOneRun) {
  Emulate(300, 18);
  const std::string single = dir_.Sub("single");
  CliRun ran = RunOnce(single, std::nullopt);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const std::vector<std::string> dirs = InstanceDirs();
  for (int i = 0; i < kInstances; ++i) {
    ran = RunOnce(dirs[i], std::pair{i, kInstances});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
  }

  // The cleaned tables: the union of the instances' rows is the single run's, and each instance
  // holds a share (the split really split). By the glob too.
  for (const char* table : {"pin", "geo", "user"}) {
    const std::vector<std::string> expected = Scan(table, {single});
    ASSERT_GT(expected.size(), 100u) << table;
    EXPECT_EQ(Scan(table, dirs), expected) << table;
    EXPECT_EQ(Scan(table, {dir_.Sub("instance-*")}), expected) << table;
    size_t sum = 0;
    for (const auto& d : dirs) {
      const size_t rows = Scan(table, {d}).size();
      EXPECT_GT(rows, expected.size() / 6) << table << " in " << d;
      sum += rows;
    }
    EXPECT_EQ(sum, expected.size()) << table;
  }

  // Offsets: the instances' shards are disjoint (offsets show refuses overlap) and cover the
  // single run's, at the same positions.
  CliRun shown = Cli({"offsets", "show", "--data", dirs[0], "--data", dirs[1], "--data", dirs[2]});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  CliRun shown_single = Cli({"offsets", "show", "--data", single});
  ASSERT_EQ(shown_single.exit_code, 0) << shown_single.err;
  const json all = json::parse(shown.out)["pinterest"];
  const json one = json::parse(shown_single.out)["pinterest"];
  ASSERT_TRUE(all.is_object()) << shown.out;
  EXPECT_EQ(all["offsets"], one["offsets"]);
  ASSERT_EQ(all["instances"].size(), static_cast<size_t>(kInstances)) << shown.out;
  std::map<std::string, std::set<std::string>> seen;  // stream -> shards
  for (int i = 0; i < kInstances; ++i) {
    const json& inst = all["instances"][i];
    EXPECT_EQ(inst["data"], dirs[i]);
    EXPECT_EQ(inst["instance"], i);
    EXPECT_EQ(inst["instances"], kInstances);
    for (const auto& [stream, shards] : inst["offsets"].items()) {
      EXPECT_EQ(shards.size(), 2u) << "6 shards over 3 instances: " << stream << " " << shards;
      for (const auto& [shard, offset] : shards.items()) {
        EXPECT_TRUE(seen[stream].insert(shard).second) << stream << " " << shard << " twice";
      }
    }
  }
  for (const char* stream : {"sc-pin", "sc-geo", "sc-user"}) {
    EXPECT_EQ(seen[stream].size(), 6u) << stream;
  }

  // A data directory stays with its instance and split.
  CliRun again = RunOnce(dirs[1], std::pair{1, kInstances});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  CliRun other_split = RunOnce(dirs[0], std::pair{0, 2});
  EXPECT_NE(other_split.exit_code, 0);
  EXPECT_NE(other_split.err.find("InvalidArgumentException"), std::string::npos) << other_split.err;
  EXPECT_NE(other_split.err.find("instance 0 of 3"), std::string::npos) << other_split.err;
  CliRun other_instance = RunOnce(dirs[2], std::pair{1, kInstances});
  EXPECT_NE(other_instance.exit_code, 0);
  EXPECT_NE(other_instance.err.find("instance 2 of 3"), std::string::npos) << other_instance.err;
  CliRun single_split = RunOnce(single, std::pair{0, kInstances});
  EXPECT_NE(single_split.exit_code, 0);
  EXPECT_NE(single_split.err.find("instance 0 of 1"), std::string::npos) << single_split.err;
  CliRun plain = RunOnce(dirs[0], std::nullopt);  // the default is instance 0 of 1
  EXPECT_NE(plain.exit_code, 0);

  // An upsert table whose key the instances did not split by: a key in two directories is an
  // error (until the topology repartitions by it), as it is for directories that are not one
  // split at all.
  CliRun by_country = Cli({"table", "scan", "q_category_by_country", "--data", dirs[0], "--data",
                           dirs[1], "--data", dirs[2]});
  EXPECT_NE(by_country.exit_code, 0);
  EXPECT_NE(by_country.err.find("InvalidArgumentException: table 'q_category_by_country': key "
                                "{\"country\":"),
            std::string::npos)
      << by_country.err;
  EXPECT_NE(by_country.err.find("the instances did not split the table by its key"),
            std::string::npos)
      << by_country.err;
  CliRun twice = Cli({"table", "scan", "q_category_by_year", "--data", single, "--data", dirs[0]});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("is in both '" + single + "' and '" + dirs[0] + "'"), std::string::npos)
      << twice.err;
  CliRun overlap = Cli({"offsets", "show", "--data", single, "--data", dirs[0]});
  EXPECT_NE(overlap.exit_code, 0);
  EXPECT_NE(overlap.err.find("checkpointed in both"), std::string::npos) << overlap.err;
  // Version numbers are each directory's own; a time is everyone's.
  CliRun version =
      Cli({"table", "scan", "pin", "--data", dirs[0], "--data", dirs[1], "--version", "1"});
  EXPECT_NE(version.exit_code, 0);
  EXPECT_NE(version.err.find("each directory numbers its own"), std::string::npos) << version.err;
  CliRun at_time = Cli({"table", "scan", "geo", "--data", dirs[0], "--data", dirs[1], "--data",
                        dirs[2], "--timestamp", "2999-01-01T00:00:00Z"});
  EXPECT_EQ(at_time.exit_code, 0) << at_time.err;
  std::vector<std::string> at_lines = Lines(at_time.out);
  std::sort(at_lines.begin(), at_lines.end());
  EXPECT_EQ(at_lines, Scan("geo", {single}));
  CliRun describe = Cli({"table", "describe", "pin", "--data", dirs[0], "--data", dirs[1]});
  EXPECT_NE(describe.exit_code, 0);
}

// Reshards between runs: splits and merges within an instance's share keep the Pinterest tables'
// union equal to a single run's. On a stream of 3 shards (one per instance) a merge across a
// boundary (the child goes to the lower parent's instance, the other parent is read to its end by
// its own) and then a split of the merged shard across the boundary (the upper child goes to the
// instance its start lies in, which reads it without waiting for its parent's instance) still
// read every record exactly once: the union of an append table is the single run's.
TEST_F(InstancesTest, ReshardsKeepEveryRecordOnceAcrossInstances) {
  zmq::context_t ctx;
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker_->endpoint()));
  ASSERT_OK(client->CreateStream("sc-order", 3));
  const std::string order_topology = dir_.Sub("order.json");
  {
    std::ofstream out(order_topology);
    out << R"({"name": "order", "broker": ")" << broker_->endpoint() << R"(",
      "max_batch_records": 16,
      "sources": {"records": {"stream": "sc-order", "start": "TRIM_HORIZON"}},
      "pipelines": {"events": {"from": "records",
        "steps": [{"op": "parse_json", "columns": {"k": "string", "n": "int"}}],
        "to": ["events", "latest"]}},
      "tables": {"events": {}, "latest": {"key": ["k"]}}})";
  }
  constexpr int kKeys = 24;
  int n = 0;
  auto put = [&](int count) {
    std::vector<testing::PutRecord> batch;
    for (int i = 0; i < count; ++i, ++n) {
      const std::string key = "key-" + std::to_string(n % kKeys);
      batch.push_back({"sc-order", key, json{{"k", key}, {"n", n}}.dump(), "", ""});
    }
    ASSERT_OK(testing::PutAll(client.get(), &batch));
  };
  auto call = [&](const std::string& action, const json& request) {
    auto r = client->Call(action, request);
    ASSERT_TRUE(r.ok()) << action << " " << request << ": " << r.status().ToString();
  };
  const std::string single = dir_.Sub("single");
  const std::string order_single = dir_.Sub("order-single");
  const std::vector<std::string> dirs = InstanceDirs();
  std::vector<std::string> order_dirs;
  for (int i = 0; i < kInstances; ++i) {
    order_dirs.push_back(dir_.Sub("order-instance-" + std::to_string(i)));
  }
  auto run_all = [&] {
    for (const auto& [topology, one, several] :
         {std::tuple{kTopology, single, dirs},
          std::tuple{order_topology, order_single, order_dirs}}) {
      CliRun ran = Cli({"run", topology, "--data", one, "--once"});
      ASSERT_EQ(ran.exit_code, 0) << ran.err;
      for (int i = 0; i < kInstances; ++i) {
        ran = Cli({"run", topology, "--data", several[i], "--once", "--instance", std::to_string(i),
                   "--instances", std::to_string(kInstances)});
        ASSERT_EQ(ran.exit_code, 0) << ran.err;
      }
    }
  };

  Emulate(150, 1);
  put(300);
  run_all();

  // The Pinterest streams (6 shards, 2 an instance): a split within instance 0's share, a merge
  // of instance 2's two shards.
  for (const char* stream : {"sc-pin", "sc-geo", "sc-user"}) {
    const auto [start, end] = UniformHashRange(1, 6);
    call("SplitShard", {{"StreamName", stream},
                        {"ShardToSplit", "shardId-000000000001"},
                        {"NewStartingHashKey", HashKeyToString(start + (end - start) / 2)}});
    call("MergeShards", {{"StreamName", stream},
                         {"ShardToMerge", "shardId-000000000004"},
                         {"AdjacentShardToMerge", "shardId-000000000005"}});
  }
  // sc-order: shards 0 and 1 (instances 0 and 1) merge into shard 3 (instance 0's); records go
  // there; shard 3 splits at 2^127, past instance 1's boundary: shard 4 [0, 2^127) stays with
  // instance 0, shard 5 [2^127, 1/3 of the space past it) is instance 1's.
  call("MergeShards", {{"StreamName", "sc-order"},
                       {"ShardToMerge", "shardId-000000000000"},
                       {"AdjacentShardToMerge", "shardId-000000000001"}});
  put(100);
  call("SplitShard", {{"StreamName", "sc-order"},
                      {"ShardToSplit", "shardId-000000000003"},
                      {"NewStartingHashKey", HashKeyToString(HashKey{1} << 127)}});
  ASSERT_EQ(ShardOwner(HashKey{1} << 127, kInstances), 1u);
  Emulate(150, 2);
  put(100);
  run_all();

  for (const char* table : {"pin", "geo", "user"}) {
    const std::vector<std::string> expected = Scan(table, {single});
    ASSERT_GT(expected.size(), 100u) << table;
    EXPECT_EQ(Scan(table, dirs), expected) << table;
  }
  for (const auto& [one, several] :
       {std::pair{single, dirs}, std::pair{order_single, order_dirs}}) {
    CliRun shown =
        Cli({"offsets", "show", "--data", several[0], "--data", several[1], "--data", several[2]});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    CliRun shown_single = Cli({"offsets", "show", "--data", one});
    ASSERT_EQ(shown_single.exit_code, 0) << shown_single.err;
    const json all = json::parse(shown.out);
    const json expected = json::parse(shown_single.out);
    ASSERT_EQ(all.size(), 1u);
    const std::string topology = expected.begin().key();
    EXPECT_EQ(all[topology]["offsets"], expected[topology]["offsets"]) << topology;
  }
  const std::vector<std::string> events = Scan("events", {order_single});
  EXPECT_EQ(events.size(), 500u);
  EXPECT_EQ(Scan("events", order_dirs), events);
  // The keys of shard 1's range [1/3, 1/2) moved from instance 1 to instance 0 with the merge:
  // their rows of `latest` are in both directories, which a scan of the union reports.
  const HashKey third = UniformHashRange(1, 3).first;
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) {
    const HashKey h = PartitionKeyHash("key-" + std::to_string(k));
    moved += h >= third && h < (HashKey{1} << 127);
  }
  ASSERT_GT(moved, 0);
  CliRun latest = Cli({"table", "scan", "latest", "--data", order_dirs[0], "--data", order_dirs[1],
                       "--data", order_dirs[2]});
  EXPECT_NE(latest.exit_code, 0);
  EXPECT_NE(latest.err.find("the instances did not split the table by its key"), std::string::npos)
      << latest.err;
}

}  // namespace
}  // namespace pinstream
