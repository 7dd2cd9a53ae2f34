// Stream operators inside a Graph: rows emitted at a batch's end run through the later steps and
// into tables, late rows go to the step's own table, failures of flushed rows reach the dead
// letters with the row, channels reach the watermark, and the validator checks update mode
// against table keys and side tables against other writers.
#include <gtest/gtest.h>

#include <map>

#include "operators/graph.h"
#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BuildGraph;
using testing::GraphHarness;
using testing::Int;
using testing::TempDir;

constexpr char kTopology[] = R"({
  "name": "stream-graph",
  "sources": {"events": {"stream": "events"}},
  "pipelines": {
    "parsed": {
      "from": "events",
      "steps": [
        {"op": "parse_json", "columns": {"ts": "string", "country": "string", "kind": "string"}},
        {"op": "to_timestamp", "column": "ts"}
      ]
    },
    "per_minute": {
      "from": "parsed",
      "steps": [
        {"op": "window", "time": "ts", "tumbling": "1m", "group_by": ["country"],
         "aggregates": {"events": "count"}, "late": "late_events"},
        {"op": "extract", "column": "window_start", "part": "minute", "into": "minute"}
      ],
      "to": "per_minute"
    },
    "totals": {
      "from": "parsed",
      "steps": [
        {"op": "aggregate", "group_by": ["kind"], "aggregates": {"events": "count"}},
        {"op": "cast", "columns": {"kind": "int"}}
      ],
      "to": "totals"
    }
  },
  "tables": {"totals": {"key": ["kind"]}}
})";

TEST(StreamGraphTest, FlushedRowsRunThroughLaterStepsIntoTables) {
  std::string problems;
  GraphHarness h;
  h.graph = BuildGraph(kTopology, &problems);
  ASSERT_NE(h.graph, nullptr) << problems;
  std::map<std::string, const TableDef*> tables;
  for (const auto& t : h.graph->tables()) tables[t.name] = &t;
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables["late_events"]->schema.columns().back().name, "late_reason");
  EXPECT_TRUE(tables["late_events"]->key_columns.empty());
  EXPECT_EQ(tables["per_minute"]->schema.columns().back().name, "minute");

  TempDir dir;
  auto store = ProcessorStore::Open(dir.Sub("store"), false);
  ASSERT_OK(store.status());
  h.graph->BindState(store->get());
  h.graph->AddChannel(Channel{0, 0});
  h.graph->AddChannel(Channel{0, 1});

  ASSERT_OK(h.Feed(R"({"ts": "2024-01-01T10:00:05Z", "country": "fr", "kind": "1"})", 0));
  ASSERT_OK(h.Feed(R"({"ts": "2024-01-01T10:01:05Z", "country": "fr", "kind": "1"})", 0));
  ASSERT_OK(h.Feed(R"({"ts": "2024-01-01T10:00:30Z", "country": "fr", "kind": "x"})", 1));
  ASSERT_OK(h.graph->Flush(BatchContext{0}, h.emit, h.fail));
  // Shard 1 holds the watermark at 10:00:30: nothing closes; totals upsert per kind, and the
  // kind "x" fails the cast after the aggregate: a dead letter naming the row.
  EXPECT_TRUE(h.rows["per_minute"].empty());
  EXPECT_EQ(h.rows["totals"], (std::vector<std::string>{"[1,2]"}));
  ASSERT_EQ(h.failed.size(), 1u);
  EXPECT_EQ(h.failed[0].first, "totals/1:cast");
  EXPECT_EQ(h.failed[0].second,
            "InvalidArgumentException: row [\"x\",1]: column 'kind': cannot cast \"x\" to int");

  ASSERT_OK(h.Feed(R"({"ts": "2024-01-01T10:01:10Z", "country": "de", "kind": "2"})", 1));
  ASSERT_OK(h.graph->Flush(BatchContext{0}, h.emit, h.fail));
  EXPECT_EQ(
      h.rows["per_minute"],
      (std::vector<std::string>{R"(["2024-01-01T10:00:00Z","2024-01-01T10:01:00Z","fr",2,0])"}));
  // Late: into the window's own table, with the reason.
  ASSERT_OK(h.Feed(R"({"ts": "2024-01-01T09:59:00Z", "country": "fr", "kind": "1"})", 0));
  ASSERT_EQ(h.rows["late_events"].size(), 1u);
  EXPECT_NE(h.rows["late_events"][0].find("is late"), std::string::npos);
  EXPECT_GT(h.graph->state_stats().keys, 0u);
}

TEST(StreamGraphTest, UpdatesNeedAKeyedTable) {
  std::string problems;
  auto graph = BuildGraph(R"({
    "name": "t", "sources": {"s": {"stream": "s"}},
    "pipelines": {
      "counts": {"from": "s", "steps": [
        {"op": "aggregate", "group_by": ["partition_key"], "aggregates": {"n": "count"}}],
        "to": "counts"},
      "downstream": {"from": "counts", "steps": [{"op": "drop", "columns": ["n"]}],
        "to": "keys"},
      "windows": {"from": "s", "steps": [
        {"op": "window", "time": "arrival", "tumbling": "1m", "emit": "update",
         "aggregates": {"n": "count"}, "late": "counts"}],
        "to": "per_minute"}
    },
    "tables": {"keys": {"key": ["partition_key"]}}
  })",
                          &problems);
  EXPECT_EQ(graph, nullptr);
  EXPECT_EQ(problems,
            "t.json: /pipelines/counts/to: pipeline 'counts' emits updates of earlier rows (step "
            "0 (aggregate)): table 'counts' needs a key to upsert them, e.g. \"tables\": "
            "{\"counts\": {\"key\": [...]}}\n"
            "t.json: /pipelines/windows/to: pipeline 'windows' emits updates of earlier rows "
            "(step 0 (window)): table 'per_minute' needs a key to upsert them, e.g. \"tables\": "
            "{\"per_minute\": {\"key\": [...]}}\n"
            "t.json: /pipelines/windows/steps/0/late: step 0 of pipeline 'windows' (its late "
            "rows) writes rows of another schema into table 'counts'\n");
}

}  // namespace
}  // namespace pinstream
