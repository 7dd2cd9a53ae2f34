// Keys are never null (issue 14): a record whose dedup key or upsert-table key is null goes to
// the dead letters naming the column, and is never swallowed as a repeat of another such
// record; an aggregate's null group (SQL's GROUP BY null) still upserts as one group. Checked in
// a Graph, and end to end through the shipped Pinterest topology with index-less pin records.
// Also: a dedup with "within" passes its source's channels on to the stream steps after it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "operators/graph.h"
#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BuildGraph;
using testing::GraphHarness;
using testing::TempDir;

TEST(NullKeyTest, AnUpsertTableRefusesRecordsWithANullKeyButNotAnAggregatesNullGroup) {
  GraphHarness h;
  std::string problems;
  h.graph = BuildGraph(R"({
    "name": "t", "sources": {"events": {"stream": "events"}},
    "pipelines": {
      "parsed": {"from": "events", "steps": [
        {"op": "parse_json", "columns": {"id": "int", "name": "string"}}]},
      "latest": {"from": "parsed", "steps": [], "to": ["latest", "all"]},
      "counts": {"from": "parsed", "steps": [
        {"op": "aggregate", "group_by": ["name"], "aggregates": {"n": "count"}}],
        "to": "counts"}
    },
    "tables": {"latest": {"key": ["id"]}, "counts": {"key": ["name"]}}
  })",
                       &problems);
  ASSERT_NE(h.graph, nullptr) << problems;
  TempDir dir;
  auto store = ProcessorStore::Open(dir.Sub("store"), false);
  ASSERT_OK(store.status());
  h.graph->BindState(store->get());
  h.graph->AddChannel(Channel{0, 0});

  ASSERT_OK(h.Feed(R"({"id": 1, "name": "a"})"));
  ASSERT_OK(h.Feed(R"({"name": "first without an id"})"));
  ASSERT_OK(h.Feed(R"({"name": "second without an id"})"));
  // Each record without its key is refused by the keyed table, with the table and the column;
  // the append table takes them all.
  const std::pair<std::string, std::string> refused{
      "table:latest", "InvalidArgumentException: table 'latest': key column 'id' is null"};
  EXPECT_EQ(h.failed, (std::vector<std::pair<std::string, std::string>>{refused, refused}));
  EXPECT_EQ(h.rows["latest"], std::vector<std::string>{R"([1,"a"])"});
  EXPECT_EQ(h.rows["all"].size(), 3u);

  // The aggregate's rows update their group: null is a group of its own (SQL's GROUP BY), and
  // its table upserts it.
  ASSERT_OK(h.Feed(R"({"id": 2})"));
  ASSERT_OK(h.Feed(R"({"id": 3})"));
  h.failed.clear();
  ASSERT_OK(h.graph->Flush(BatchContext{0}, h.emit, h.fail));
  EXPECT_TRUE(h.failed.empty()) << h.failed.front().second;
  std::vector<std::string> counts = h.rows["counts"];
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::string>{R"(["a",1])", R"(["first without an id",1])",
                                              R"(["second without an id",1])", "[null,2]"}));
}

TEST(NullKeyTest, ADedupWithWithinPassesItsChannelsOnToTheStepsAfterIt) {
  // The window after the dedup reads the source's rows as the dedup reads them: shard 1, which
  // has sent nothing, holds its watermark back as it would without the dedup.
  GraphHarness h;
  std::string problems;
  h.graph = BuildGraph(R"({
    "name": "t", "sources": {"events": {"stream": "events"}},
    "pipelines": {
      "posts": {"from": "events", "steps": [
        {"op": "parse_json", "columns": {"id": "int", "ts": "timestamp"}},
        {"op": "dedup", "key": ["id"], "within": "1h"},
        {"op": "window", "time": "ts", "tumbling": "1m", "aggregates": {"n": "count"}}],
        "to": "per_minute"}
    }
  })",
                       &problems);
  ASSERT_NE(h.graph, nullptr) << problems;
  TempDir dir;
  auto store = ProcessorStore::Open(dir.Sub("store"), false);
  ASSERT_OK(store.status());
  h.graph->BindState(store->get());
  h.graph->AddChannel(Channel{0, 0});
  h.graph->AddChannel(Channel{0, 1});
  ASSERT_OK(h.Feed(R"({"id": 1, "ts": "2024-01-01T10:00:05Z"})", 0));
  ASSERT_OK(h.Feed(R"({"id": 1, "ts": "2024-01-01T10:00:06Z"})", 0));  // a repeat
  ASSERT_OK(h.Feed(R"({"id": 2, "ts": "2024-01-01T10:05:00Z"})", 0));
  ASSERT_OK(h.graph->Flush(BatchContext{0}, h.emit, h.fail));
  EXPECT_TRUE(h.rows["per_minute"].empty());
  ASSERT_OK(h.Feed(R"({"id": 3, "ts": "2024-01-01T10:04:00Z"})", 1));
  ASSERT_OK(h.graph->Flush(BatchContext{0}, h.emit, h.fail));
  EXPECT_EQ(h.rows["per_minute"],
            std::vector<std::string>{R"(["2024-01-01T10:00:00Z","2024-01-01T10:01:00Z",1])"});
  EXPECT_TRUE(h.failed.empty());
  EXPECT_GT(h.graph->state_stats().keys, 0u);  // the dedup's state is reported with the rest
}

// End to end: index-less pin records through topologies/pinterest.json.
TEST(NullKeyTest, PinRecordsWithoutAnIndexBecomeDeadLettersInThePinterestTopology) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, testing::BrokerProcess::Start(dir.Sub("broker")));
  zmq::context_t ctx;
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  for (const char* kind : {"pin", "geo", "user"}) {
    ASSERT_OK(client->CreateStream(std::string("nullkey-") + kind, 1));
  }
  std::vector<testing::PutRecord> records = {
      {"nullkey-pin", "a", R"({"title": "no index", "category": "art"})", "", ""},
      {"nullkey-pin", "b", R"({"title": "no index either", "category": "travel"})", "", ""},
      {"nullkey-pin", "c", R"({"index": null, "title": "a null index"})", "", ""},
      {"nullkey-pin", "7", R"({"index": 7, "title": "has one", "category": "art"})", "", ""},
      {"nullkey-geo", "g", R"({"timestamp": "2020-01-01 00:00:00", "country": "Peru"})", "", ""},
      {"nullkey-user", "u", R"({"first_name": "No", "last_name": "Index", "age": 30})", "", ""},
  };
  ASSERT_OK(testing::PutAll(client.get(), &records));

  const std::string data = dir.Sub("processor");
  testing::ScopedEnv env(
      {{"PINSTREAM_BROKER", broker->endpoint()}, {"PINSTREAM_PREFIX", "nullkey"}});
  ASSERT_OK_AND_ASSIGN(testing::CliRun run,
                       testing::RunPinstream(
                           {"run", std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json",
                            "--data", data, "--once"},
                           dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto summary = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_EQ(summary.value("dead_letters", -1), 5) << run.out;

  // Every record without its ind is a dead letter of its pipeline's dedup, naming the column.
  ASSERT_OK_AND_ASSIGN(std::vector<Row> dead, testing::ScanTable(data, "dead_letters"));
  ASSERT_EQ(dead.size(), 5u);
  std::map<std::string, std::string> seqs;  // sequence number -> "operator error"
  for (const Row& row : dead) {
    // stream, shard_id, sequence_number, arrival, partition_key, data, operator, error
    const std::string op = row[6].as_string(), error = row[7].as_string();
    const std::string stream = row[0].as_string();
    // "pin/7:dedup" for a record of nullkey-pin.
    EXPECT_TRUE(op.starts_with(stream.substr(stream.find('-') + 1) + "/") && op.ends_with(":dedup"))
        << op << " for " << stream;
    EXPECT_EQ(error, "InvalidArgumentException: dedup key column 'ind' is null") << op;
    seqs[row[2].as_string()] = op;
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (i == 3) continue;  // ind 7
    EXPECT_TRUE(seqs.contains(records[i].sequence_number)) << records[i].data;
  }
  // And `pin` has ind 7 only: no null-ind row.
  ASSERT_OK_AND_ASSIGN(std::vector<Row> pin, testing::ScanTable(data, "pin"));
  ASSERT_EQ(pin.size(), 1u);
  EXPECT_EQ(pin[0][0], Value::Int(7));
  for (const char* table : {"geo", "user"}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Row> rows, testing::ScanTable(data, table));
    EXPECT_TRUE(rows.empty()) << table;
  }
}

}  // namespace
}  // namespace pinstream
