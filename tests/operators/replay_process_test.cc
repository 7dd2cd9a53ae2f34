// `pinstream offsets reset --rewind-tables` end to end: a real broker, `pinstream run
// topologies/pinterest.json` over dirty records with repeated posts (so the dedup state
// matters), committed over several runs; then resets mid-stream and to the trim horizon, each
// followed by a replay. Every replay must rebuild exactly the tables of the first run, the
// questions' tables (join and aggregate state rewound) equal to the batch reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tests/operators/dirty_posts.h"
#include "tests/operators/pinterest_reference.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BadRecord;
using testing::BrokerProcess;
using testing::PinstreamProcess;
using testing::Post;
using testing::PutAll;
using testing::PutRecord;
using testing::RunPinstream;
using testing::ScanTable;
using testing::ScopedEnv;
using testing::Stream;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";
constexpr char kPrefix[] = "replay";
constexpr int kRounds = 4;
constexpr int kPostsPerRound = 60;
const std::vector<std::string> kTables = {"pin",
                                          "geo",
                                          "user",
                                          "dead_letters",
                                          "unmatched_posts",
                                          "q_category_by_country",
                                          "q_category_by_year",
                                          "q_followers_by_country",
                                          "q_category_by_age_group",
                                          "q_median_followers_by_age_group",
                                          "q_users_joined_by_year",
                                          "q_median_followers_by_join_year",
                                          "q_median_followers_by_join_year_age_group"};

// Every table's rows as sorted JSON lines: what a replay must give again. (Append order may
// differ when batches split differently; the rows may not.)
std::map<std::string, std::vector<std::string>> Snapshot(const std::string& data) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& table : kTables) {
    Schema schema;
    auto rows = ScanTable(data, table, &schema);
    EXPECT_OK(rows.status());
    if (!rows.ok()) continue;
    auto& lines = out[table];
    for (const Row& row : *rows) lines.push_back(RowToJson(schema, row).dump());
    std::sort(lines.begin(), lines.end());
  }
  return out;
}

class ReplayProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(dir_.Sub("broker")));
    ASSERT_OK_AND_ASSIGN(client_, StreamClient::Connect(&ctx_, broker_->endpoint()));
    for (const char* s : {"pin", "geo", "user"}) {
      ASSERT_OK(client_->CreateStream(Stream(kPrefix, s), 2));
    }
    env_ = std::make_unique<ScopedEnv>(std::map<std::string, std::string>{
        {"PINSTREAM_BROKER", broker_->endpoint()}, {"PINSTREAM_PREFIX", kPrefix}});
  }

  // Puts round `r` of posts: new posts, second copies of some earlier ones, a bad record.
  void PutRound(int r) {
    std::vector<PutRecord> records;
    for (int p = 0; p < kPostsPerRound; ++p) {
      const int ind = 1000 + r * kPostsPerRound + p;
      for (auto& rec : Post(kPrefix, ind, 0)) records.push_back(std::move(rec));
      if (r > 0 && p % 5 == 0) {
        for (auto& rec : Post(kPrefix, ind - kPostsPerRound, 1)) records.push_back(std::move(rec));
      }
    }
    records.push_back(BadRecord(kPrefix, r));
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.stream < b.stream; });
    ASSERT_OK(PutAll(client_.get(), &records));
    put_.insert(put_.end(), records.begin(), records.end());
  }

  testing::CliRun Pinstream(std::vector<std::string> args) {
    auto run = RunPinstream(args, dir_.path());
    EXPECT_OK(run.status());
    return run.ok() ? *run : testing::CliRun{};
  }

  void RunOnce() {
    auto run = Pinstream({"run", kTopology, "--data", data_, "--once"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  nlohmann::json Reset(std::vector<std::string> args) {
    std::vector<std::string> all = {"offsets", "reset", "--data", data_};
    all.insert(all.end(), args.begin(), args.end());
    auto run = Pinstream(all);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << run.out;
    return j;
  }

  TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
  std::unique_ptr<ScopedEnv> env_;
  std::vector<PutRecord> put_;
  const std::string data_ = dir_.Sub("processor");
};

TEST_F(ReplayProcessTest, RewindAndReplayRebuildTheSameTables) {
  for (int r = 0; r < kRounds; ++r) {  // one or more batches per round
    PutRound(r);
    RunOnce();
  }
  const auto first = Snapshot(data_);
  ASSERT_EQ(first.at("pin").size(), static_cast<size_t>(kRounds * kPostsPerRound));
  ASSERT_EQ(first.at("dead_letters").size(), static_cast<size_t>(kRounds));
  testing::ExpectQuestionsMatchTheBatchReference(data_);

  // Mid-stream: from a pin record of round 2 (its shard's batches of rounds 2 and 3 go back).
  const PutRecord* mid = nullptr;
  for (const auto& r : put_) {
    if (r.stream == Stream(kPrefix, "pin") &&
        r.partition_key == std::to_string(1000 + 2 * kPostsPerRound + 7)) {
      mid = &r;
      break;
    }
  }
  ASSERT_NE(mid, nullptr);
  const std::string to = "seq:" + mid->sequence_number;

  // A dry run plans without writing.
  auto show = Pinstream({"offsets", "show", "--data", data_});
  auto dry = Reset({"--to", to, "--stream", mid->stream, "--rewind-tables", "--dry-run"});
  EXPECT_EQ(dry["dry_run"], true);
  ASSERT_TRUE(dry["rewind"].is_object()) << dry.dump();
  EXPECT_EQ(Pinstream({"offsets", "show", "--data", data_}).out, show.out);
  EXPECT_EQ(Snapshot(data_), first);

  auto reset = Reset({"--to", to, "--stream", mid->stream, "--rewind-tables"});
  EXPECT_EQ(reset["rewind"], dry["rewind"]);
  // The tables lost rows (they are as of an earlier batch) ...
  const auto rewound = Snapshot(data_);
  EXPECT_LT(rewound.at("pin").size(), first.at("pin").size());
  EXPECT_GT(rewound.at("pin").size(), 0u);
  // ... and the replay brings every one of them back, each once.
  RunOnce();
  EXPECT_EQ(Snapshot(data_), first);
  testing::ExpectQuestionsMatchTheBatchReference(data_);

  // From the very beginning.
  reset = Reset({"--to", "trim-horizon", "--rewind-tables"});
  EXPECT_EQ(reset["rewind"]["to_batch"], 0);
  EXPECT_TRUE(Snapshot(data_).at("pin").empty());
  EXPECT_TRUE(Snapshot(data_).at("q_category_by_country").empty());
  RunOnce();
  EXPECT_EQ(Snapshot(data_), first);
  testing::ExpectQuestionsMatchTheBatchReference(data_);

  // Without --rewind-tables a reset only moves offsets: the replayed records are duplicates,
  // and the dedup state (not rewound) drops them.
  Reset({"--to", "trim-horizon"});
  RunOnce();
  const auto again = Snapshot(data_);
  EXPECT_EQ(again.at("pin"), first.at("pin"));
  EXPECT_EQ(again.at("dead_letters").size(), 2 * first.at("dead_letters").size());
}

TEST_F(ReplayProcessTest, RefusesWhileTheProcessorRuns) {
  PutRound(0);
  RunOnce();
  ASSERT_OK_AND_ASSIGN(auto processor, PinstreamProcess::Start({"--log-level", "info", "run",
                                                                kTopology, "--data", data_},
                                                               {}, dir_.Sub("run.log")));
  // Wait until it holds the store (it logs the open), so that the reset must meet it.
  const std::string log = dir_.Sub("run.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (testing::ReadWholeFile(log).find("processor store opened") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << testing::ReadWholeFile(log);
    ASSERT_FALSE(processor->Exited().has_value()) << testing::ReadWholeFile(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto run = Pinstream({"offsets", "reset", "--data", data_, "--to", "trim-horizon"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(run.err.starts_with("ResourceInUseException: ")) << run.err;
  // A dry run reads beside the running processor.
  run = Pinstream({"offsets", "reset", "--data", data_, "--to", "trim-horizon", "--dry-run"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

}  // namespace
}  // namespace pinstream
