// topologies/pinterest_live.json end to end: a real broker, pin records with categories and geo
// records with hand-picked event times (duplicates, one out of order within the bound, one late,
// one without a time), then `pinstream run --once` three times. The two are joined on ind;
// closed windows land in the window table once per country and category, the late post in
// late_posts with its reason, the timeless one in dead_letters; the join and window state and
// the watermarks carry over between the runs (separate processes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CliRun;
using testing::PutAll;
using testing::PutRecord;
using testing::RunPinstream;
using testing::ScopedEnv;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest_live.json";
constexpr char kPrefix[] = "live";
constexpr char kWindows[] = "posts_per_category_per_country_per_minute";

// A geo record at 2024-05-01 10:00:00 + `second` (or with `timestamp` verbatim).
PutRecord Geo(int ind, int second, const std::string& country, std::string timestamp = "") {
  if (timestamp.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "2024-05-01 10:%02d:%02d", second / 60, second % 60);
    timestamp = buf;
  }
  return {std::string(kPrefix) + "-geo", std::to_string(ind),
          "{\"ind\": " + std::to_string(ind) + ", \"timestamp\": \"" + timestamp +
              "\", \"latitude\": 1.5, \"longitude\": -2.5, \"country\": \"" + country + "\"}",
          "", ""};
}

// The pin record of post `ind`, of category `category`.
PutRecord Pin(int ind, const std::string& category) {
  return {std::string(kPrefix) + "-pin", std::to_string(ind),
          "{\"index\": " + std::to_string(ind) + ", \"title\": \"t\", \"category\": \"" + category +
              "\"}",
          "", ""};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

class LiveTopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::Start(dir_.Sub("broker"));
    ASSERT_OK(broker.status());
    broker_ = std::move(broker).value();
    auto client = StreamClient::Connect(&ctx_, broker_->endpoint());
    ASSERT_OK(client.status());
    client_ = std::move(client).value();
    // One shard: the records reach the window in the order they are put, so which are late
    // is exact (with several shards it depends on how the shards' reads interleave).
    ASSERT_OK(client_->CreateStream(std::string(kPrefix) + "-geo", 1));
    ASSERT_OK(client_->CreateStream(std::string(kPrefix) + "-pin", 1));
  }

  CliRun Pinstream(const std::vector<std::string>& args) {
    ScopedEnv env({{"PINSTREAM_BROKER", broker_->endpoint()}, {"PINSTREAM_PREFIX", kPrefix}});
    auto run = RunPinstream(args, dir_.path());
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  void RunOnce() {
    CliRun run = Pinstream({"run", kTopology, "--data", dir_.Sub("data"), "--once"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  std::vector<std::string> Scan(const std::string& table) {
    CliRun run = Pinstream({"table", "scan", table, "--data", dir_.Sub("data")});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return Lines(run.out);
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  zmq::context_t ctx_;
  std::unique_ptr<StreamClient> client_;
};

// Each post's pin record goes in first, in the geo records' order: whichever stream the
// processor reads first, the joined rows reach the window in that order.
void PutPosts(StreamClient* client, std::vector<PutRecord> geo) {
  std::vector<PutRecord> pins;
  for (const auto& g : geo) {
    const int ind = std::stoi(g.partition_key);
    pins.push_back(Pin(ind, ind == 6 || ind % 3 == 2 ? "art" : "travel"));
  }
  ASSERT_OK(PutAll(client, &pins));
  ASSERT_OK(PutAll(client, &geo));
}

TEST_F(LiveTopologyTest, CountsPostsPerCategoryPerCountryPerMinute) {
  std::vector<PutRecord> records = {
      Geo(1, 0, "France"),
      Geo(2, 10, "Germany"),
      Geo(3, 59, "France"),
      // Exactly 10:01: the second window.
      Geo(4, 60, "France"),
      Geo(5, 61, "Germany"),
      // A re-sent post: dropped by the dedup, never counted.
      Geo(2, 65, "Germany"),
      // Watermark 10:01:10 = 10:01:00 + 10 s of allowed lateness: the first window closes.
      Geo(6, 75, "France"),
      // Late: its window [10:00, 10:01) has closed.
      Geo(7, 55, "Germany"),
      // Out of order, but its window is open: counted.
      Geo(8, 68, "Germany"),
      // Watermark 10:02:05.
      Geo(9, 130, "France"),
      // No time: a dead letter, not a silent drop.
      Geo(10, 0, "France", " "),
  };

  PutPosts(client_.get(), records);
  RunOnce();
  EXPECT_EQ(
      Scan(kWindows),
      (std::vector<std::string>{
          R"({"window_start":"2024-05-01T10:00:00Z","window_end":"2024-05-01T10:01:00Z","country":"France","category":"travel","post_count":2})",
          R"({"window_start":"2024-05-01T10:00:00Z","window_end":"2024-05-01T10:01:00Z","country":"Germany","category":"art","post_count":1})"}));
  auto late = Scan("late_posts");
  ASSERT_EQ(late.size(), 1u);
  auto j = nlohmann::json::parse(late[0]);
  EXPECT_EQ(j["ind"], 7);
  EXPECT_EQ(j["category"], "travel");
  EXPECT_EQ(j["late_watermark"], "2024-05-01T10:01:10Z");
  EXPECT_EQ(j["late_reason"],
            "event time 2024-05-01T10:00:55Z is late: its window [2024-05-01T10:00:00Z, "
            "2024-05-01T10:01:00Z) closed when the watermark passed its end + allowed lateness "
            "10s (watermark 2024-05-01T10:01:10Z)");
  auto dead = Scan("dead_letters");
  ASSERT_EQ(dead.size(), 1u);
  j = nlohmann::json::parse(dead[0]);
  EXPECT_EQ(j["operator"], "posts_per_minute/1:window");
  EXPECT_EQ(j["partition_key"], "10");

  // Nothing new: nothing changes.
  RunOnce();
  EXPECT_EQ(Scan(kWindows).size(), 2u);

  // A later post moves the watermark to 10:03:15 in a new process: the windows kept in the
  // committed state close now, each once.
  PutPosts(client_.get(), {Geo(11, 200, "France")});
  RunOnce();
  const auto rows = Scan(kWindows);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(
      std::vector<std::string>(rows.begin() + 2, rows.end()),
      (std::vector<std::string>{
          R"({"window_start":"2024-05-01T10:01:00Z","window_end":"2024-05-01T10:02:00Z","country":"France","category":"art","post_count":1})",
          R"({"window_start":"2024-05-01T10:01:00Z","window_end":"2024-05-01T10:02:00Z","country":"France","category":"travel","post_count":1})",
          R"({"window_start":"2024-05-01T10:01:00Z","window_end":"2024-05-01T10:02:00Z","country":"Germany","category":"art","post_count":2})",
          R"({"window_start":"2024-05-01T10:02:00Z","window_end":"2024-05-01T10:03:00Z","country":"France","category":"travel","post_count":1})"}));
  EXPECT_TRUE(Scan("unmatched_live_posts").empty());
}

}  // namespace
}  // namespace pinstream
