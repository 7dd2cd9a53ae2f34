// `pinstream top`'s frames over fixed /monitor/status documents: no servers, no terminal.
#include "monitor/top_view.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pinstream {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1796528224156;  // 2026-12-04T... ; the header shows it to the second

TopSource Broker() {
  return {"http://127.0.0.1:8080", json::parse(R"({
    "kind": "broker", "time_ms": 1796528224156, "store_bytes": 2621440,
    "streams": [{
      "name": "demo-pin", "incoming_records_per_s": 50.5, "outgoing_records_per_s": 48,
      "shards": [
        {"shard_id": "shardId-000000000000", "open": true, "incoming_records_per_s": 30.5,
         "outgoing_records_per_s": 28, "incoming_bytes_per_s": 3072, "iterator_age_ms": 40,
         "retained_records": 700},
        {"shard_id": "shardId-000000000001", "open": false, "incoming_records_per_s": 20,
         "outgoing_records_per_s": 20, "incoming_bytes_per_s": 2048, "iterator_age_ms": 1500,
         "retained_records": 300}]}],
    "requests": [
      {"transport": "zmq", "action": "PutRecords", "requests": 153, "errors": {},
       "p50_ms": 0.05, "p99_ms": 0.17},
      {"transport": "http", "action": "GetRecords", "requests": 9, "p50_ms": 12.5,
       "p99_ms": 250, "errors": {"ExpiredIteratorException": 2, "LimitExceededException": 1}}]
  })"),
          ""};
}

TopSource Processor() {
  return {"http://127.0.0.1:9464", json::parse(R"({
    "kind": "processor", "topology": "pinterest", "time_ms": 1796528224156,
    "started_ms": 1796528099156, "updated_ms": 1796528223971, "data_bytes": 1351532,
    "records_in": 1801, "rows_out": 2969, "dead_letters": 4, "data_loss_gaps": 1,
    "batches": 25, "records_in_per_s": 308.97, "rows_out_per_s": 636.95, "millis_behind": 2500,
    "shards": [{"stream": "demo-pin", "shard_id": "shardId-000000000000", "millis_behind": 2500}],
    "operators": [{"name": "pin/0:parse_json", "rows_in": 601, "rows_out": 597, "failed": 4},
                  {"name": "pin/1:select", "rows_in": 597, "rows_out": 597, "failed": 0}],
    "state": {"keys": 2126, "bytes": 74482},
    "last_batch": {"records": 62, "seconds": 0.201, "commit_seconds": 0.0004},
    "tables": [{"name": "pin", "version": 21, "kind": "append"},
               {"name": "q_category_by_country", "version": 7, "kind": "upsert"}]
  })"),
          ""};
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(TopViewTest, RendersBrokerAndProcessor) {
  const std::vector<std::string> lines =
      RenderTopFrame(Broker(), Processor(), {.now_ms = kNow, .width = 0, .show_keys = false});
  const std::vector<std::string> expected = {
      "pinstream top  2026-12-06T03:37:04Z  broker http://127.0.0.1:8080 ok  processor "
      "http://127.0.0.1:9464 ok",
      "",
      "BROKER  http://127.0.0.1:8080  streams 1  shards 1 open, 1 closed  store 2.5 MB",
      "STREAM / SHARD          SHARDS  IN REC/S  OUT REC/S  IN BYTES/S  ITER AGE  RETAINED    LAG",
      "demo-pin                     2      50.5       48.0      5.0 KB     1.5 s      1000  2.5 s",
      "  shardId-000000000000    open      30.5       28.0      3.0 KB     40 ms       700  2.5 s",
      "  shardId-000000000001  closed      20.0       20.0      2.0 KB     1.5 s       300      -",
      "REQUESTS",
      // Cells packed into the plain layout's 100 columns.
      "  zmq:PutRecords 153 p50 0.05 p99 0.17 ms         http:GetRecords 9 p50 12.5 p99 250 ms "
      "errors 3",
      "",
      "PROCESSOR  http://127.0.0.1:9464  topology pinterest  up 2m05s",
      "  in 309.0 rec/s   out 637.0 rows/s   lag 2.5 s   batches 25   last batch 62 records in "
      "201 ms (commit 0.4 ms)",
      "  dead letters 4   data-loss gaps 1   records in 1801   rows out 2969   state 2126 keys "
      "72.7 KB   data 1.3 MB",
      "  failing operators: pin/0:parse_json 4",
      "TABLES",
      "  pin v21                   q_category_by_country v7",
  };
  EXPECT_EQ(Join(lines), Join(expected));
}

TEST(TopViewTest, CutsLinesToTheWidthAndPacksTablesInIt) {
  const std::vector<std::string> lines =
      RenderTopFrame(Broker(), Processor(), {.now_ms = kNow, .width = 40, .show_keys = true});
  for (const std::string& line : lines) EXPECT_LE(line.size(), 40u) << line;
  EXPECT_EQ(lines.back(), "  q_category_by_country v7");  // one table a line in 40 columns
  EXPECT_EQ(lines.front(), "pinstream top  2026-12-06T03:37:04Z  bro");
}

TEST(TopViewTest, SaysWhichServerIsDownAndShowsTheOther) {
  TopSource down{"http://127.0.0.1:8080", nullptr,
                 "unreachable: GET http://127.0.0.1:8080/monitor/status: Connection refused"};
  const std::string frame = Join(RenderTopFrame(down, Processor(), {.now_ms = kNow}));
  EXPECT_NE(frame.find("broker http://127.0.0.1:8080 DOWN  processor http://127.0.0.1:9464 ok"),
            std::string::npos)
      << frame;
  EXPECT_NE(frame.find("BROKER  http://127.0.0.1:8080  DOWN  unreachable: GET "), std::string::npos)
      << frame;
  EXPECT_NE(frame.find("q_category_by_country v7"), std::string::npos) << frame;

  TopSource processor_down{"http://127.0.0.1:9464", nullptr, "AccessDenied: HTTP 403"};
  const std::string frame2 = Join(RenderTopFrame(Broker(), processor_down, {.now_ms = kNow}));
  EXPECT_NE(frame2.find("PROCESSOR  http://127.0.0.1:9464  DOWN  AccessDenied: HTTP 403"),
            std::string::npos)
      << frame2;
  // Lag is the processor's: unknown while it is down.
  EXPECT_NE(frame2.find("  shardId-000000000000    open      30.5       28.0      3.0 KB     "
                        "40 ms       700    -\n"),
            std::string::npos)
      << frame2;
}

TEST(TopViewTest, WithoutAProcessorShowsNoLagAndNoProcessor) {
  const std::string frame = Join(RenderTopFrame(Broker(), {}, {.now_ms = kNow}));
  EXPECT_EQ(frame.find("LAG"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("PROCESSOR"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("processor"), std::string::npos) << frame;
}

TEST(TopViewTest, ToleratesMissingAndMistypedFields) {
  TopSource odd_broker{"http://b", json::parse(R"({"kind": "broker", "streams": [
      {"name": 7, "shards": {"not": "an array"}}, "text", {"shards": [1, null, {"open": "yes",
      "retained_records": "many"}]}], "requests": [{"errors": [1, 2]}, 3]})"),
                       ""};
  TopSource odd_processor{"http://p", json::parse(R"({"kind": "processor", "tables": [{}],
      "shards": "none", "last_batch": [], "operators": [{"failed": "x"}], "state": 3})"),
                          ""};
  std::vector<std::string> lines;
  ASSERT_NO_THROW(lines = RenderTopFrame(odd_broker, odd_processor, {.now_ms = 0, .width = 80}));
  const std::string frame = Join(lines);
  EXPECT_NE(frame.find("(starting: no batch yet)"), std::string::npos) << frame;
  ASSERT_NO_THROW(RenderTopFrame({"http://b", json::array(), ""}, {"http://p", 5, ""}, {}));
}

TEST(TopViewTest, NoStreamsAndNoTablesYet) {
  TopSource broker{"http://b", json::parse(R"({"kind": "broker", "streams": []})"), ""};
  TopSource processor{"http://p", json::parse(R"({"kind": "processor", "tables": []})"), ""};
  const std::string frame = Join(RenderTopFrame(broker, processor, {.now_ms = kNow}));
  EXPECT_NE(frame.find("  (no streams)"), std::string::npos) << frame;
  EXPECT_NE(frame.find("TABLES\n  (none yet)"), std::string::npos) << frame;
}

TEST(TopViewTest, CutsAtCharacterBoundaries) {
  TopSource broker{"http://b", json::parse(R"({"kind": "broker", "streams": [
      {"name": "ströme-ü", "shards": []}]})"),
                   ""};
  for (size_t width = 1; width < 12; ++width) {
    for (const std::string& line : RenderTopFrame(broker, {}, {.width = width})) {
      // Never a lead byte without its continuation.
      ASSERT_TRUE(line.empty() || (line.back() & 0xC0) != 0xC0) << width << ": " << line;
    }
  }
  const std::vector<std::string> lines = RenderTopFrame(broker, {}, {.width = 7});
  EXPECT_EQ(lines[4], "ströme-");
}

TEST(TopViewTest, FormatsDurationsAndBytes) {
  EXPECT_EQ(FormatTopMillis(0), "0 ms");
  EXPECT_EQ(FormatTopMillis(-5), "0 ms");
  EXPECT_EQ(FormatTopMillis(0.4), "0.4 ms");
  EXPECT_EQ(FormatTopMillis(850), "850 ms");
  EXPECT_EQ(FormatTopMillis(1500), "1.5 s");
  EXPECT_EQ(FormatTopMillis(125'000), "2m05s");
  EXPECT_EQ(FormatTopMillis(3 * 3'600'000.0 + 7 * 60'000), "3h07m");
  EXPECT_EQ(FormatTopBytes(0), "0 B");
  EXPECT_EQ(FormatTopBytes(1023), "1023 B");
  EXPECT_EQ(FormatTopBytes(3174), "3.1 KB");
  EXPECT_EQ(FormatTopBytes(1.25 * 1024 * 1024), "1.2 MB");
  EXPECT_EQ(FormatTopBytes(4.0 * 1024 * 1024 * 1024), "4.0 GB");
}

}  // namespace
}  // namespace pinstream
