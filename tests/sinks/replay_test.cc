// The replay tool (sinks/replay.h) over a real ProcessorStore: which batch a reset rewinds to
// for each kind of position, and that tables, operator state and offsets come back exactly as
// they were after that batch (state through the undo log), in one write.
#include "sinks/replay.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/sinks/store_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::ScanAll;
using testing::TempDir;

constexpr char kTopology[] = "t";
constexpr char kStream[] = "s";
const std::string kShard0 = ShardIdFromIndex(0);
const std::string kShard1 = ShardIdFromIndex(1);

std::string Seq(uint32_t shard, uint64_t counter) {
  return SequenceNumber{shard, counter}.ToString();
}

// A number as another service (kinesalite, AWS) issues them to a Kinesis source: 56 digits that
// grow within a shard and say nothing pinstream can read (it is no SequenceNumber of ours).
std::string OtherServiceSeq(uint32_t shard, uint64_t counter) {
  std::string digits = std::to_string(counter);
  return "497" + std::to_string(shard) + std::string(51 - digits.size(), '0') + digits + "3";
}

// Batch n (1-based) of a little topology: reads record n of shard 0 (arrived at n seconds) and,
// on even n, record n of shard 1; appends row n to `log`, upserts the running count into
// `totals`, marks "seen/n" in state, rewrites "total", and deletes "seen/(n-2)".
class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_.reset();
    ProcessorStore::Options options;
    options.path = dir_.Sub("data");
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
    ASSERT_OK_AND_ASSIGN(log_,
                         store_->OpenTable(TableDef{"log", Schema({Col("n", Type::kInt)}), {}}));
    ASSERT_OK_AND_ASSIGN(
        totals_, store_->OpenTable(TableDef{
                     "totals", Schema({Col("k", Type::kString), Col("n", Type::kInt)}), {"k"}}));
    state_ = store_->State("op");
  }

  void CommitBatch(int n) {
    ASSERT_OK(log_->Write(Row{Value::Int(n)}));
    ASSERT_OK(totals_->Write(Row{Value::String("all"), Value::Int(n)}));
    ASSERT_OK(state_->Put("seen/" + std::to_string(n), "1"));
    ASSERT_OK(state_->Put("total", std::to_string(n)));
    ASSERT_OK(state_->Delete("seen/" + std::to_string(n - 2)));
    checkpoint_.offsets[kStream][kShard0] = seq_(0, n);
    checkpoint_.arrivals[kStream][kShard0] = n * 1000;
    if (n % 2 == 0) {
      checkpoint_.offsets[kStream][kShard1] = seq_(1, n);
      checkpoint_.arrivals[kStream][kShard1] = n * 1000;
    }
    clock_.Advance(10);
    ASSERT_OK_AND_ASSIGN(int64_t batch, store_->Commit(kTopology, checkpoint_));
    ASSERT_EQ(batch, n);
  }

  std::optional<std::string> State(const std::string& key) {
    auto r = state_->Get(key);
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::nullopt;
  }

  ResetPlan Plan(const std::string& to, bool rewind, std::string shard = "") {
    ResetRequest request;
    auto pos = ParseResetPosition(to);
    EXPECT_OK(pos.status());
    request.to = pos.ok() ? *pos : IteratorPosition{};
    request.shard = std::move(shard);
    request.rewind_tables = rewind;
    auto plan = PlanReset(*store_, request);
    EXPECT_OK(plan.status());
    return plan.ok() ? *plan : ResetPlan{};
  }

  // The store as it stands after batch n of an uninterrupted run, checked against the live
  // store: tables, state and offsets.
  void ExpectStateOfBatch(int n) {
    std::vector<Row> log;
    for (int i = 1; i <= n; ++i) log.push_back(Row{Value::Int(i)});
    EXPECT_EQ(ScanAll(store_->tables()->Find("log")), log);
    std::vector<Row> totals;
    if (n > 0) totals.push_back(Row{Value::String("all"), Value::Int(n)});
    EXPECT_EQ(ScanAll(store_->tables()->Find("totals")), totals);
    for (int i = 1; i <= 6; ++i) {
      const bool seen = i <= n && i > n - 2;
      EXPECT_EQ(State("seen/" + std::to_string(i)),
                seen ? std::optional<std::string>("1") : std::nullopt)
          << "seen/" << i;
    }
    EXPECT_EQ(State("total"), n > 0 ? std::optional<std::string>(std::to_string(n)) : std::nullopt);
  }

  TempDir dir_;
  ManualClock clock_{1'000'000};
  std::unique_ptr<ProcessorStore> store_;
  TableWriter* log_ = nullptr;
  TableWriter* totals_ = nullptr;
  StateStore* state_ = nullptr;
  Checkpoint checkpoint_;
  std::string (*seq_)(uint32_t, uint64_t) = Seq;  // the numbers the source's service issues
};

TEST_F(ReplayTest, ParsesPositions) {
  ASSERT_OK_AND_ASSIGN(auto pos, ParseResetPosition("seq:" + Seq(2, 7)));
  EXPECT_EQ(pos.type, IteratorType::kAtSequenceNumber);
  EXPECT_EQ(pos.sequence_number, Seq(2, 7));
  ASSERT_OK_AND_ASSIGN(pos, ParseResetPosition("timestamp:2020-01-01T00:00:01Z"));
  EXPECT_EQ(pos.type, IteratorType::kAtTimestamp);
  EXPECT_EQ(pos.timestamp_ms, 1577836801000);
  EXPECT_EQ(ParseResetPosition("trim-horizon")->type, IteratorType::kTrimHorizon);
  EXPECT_EQ(ParseResetPosition("latest")->type, IteratorType::kLatest);
  EXPECT_EQ(ParseResetPosition("yesterday").status().code(), Status::Code::kInvalidArgument);
  // Any service's sequence number, as Kinesis takes them; the service judges it.
  EXPECT_EQ(ParseResetPosition("seq:12")->sequence_number, "12");
  for (const char* bad : {"seq:", "seq:012", "seq:12a", "seq:-3"}) {
    EXPECT_EQ(ParseResetPosition(bad).status().code(), Status::Code::kInvalidArgument) << bad;
  }

  // What the processor resumes from: a sequence number it processed, or a reset's position.
  ASSERT_OK_AND_ASSIGN(pos, ResumePosition(Seq(0, 3)));
  EXPECT_EQ(pos.type, IteratorType::kAfterSequenceNumber);
  ASSERT_OK_AND_ASSIGN(pos, ResumePosition("AT_SEQUENCE_NUMBER:" + Seq(0, 3)));
  EXPECT_EQ(pos.type, IteratorType::kAtSequenceNumber);
  EXPECT_EQ(FormatIteratorPosition(pos), "AT_SEQUENCE_NUMBER:" + Seq(0, 3));
  EXPECT_FALSE(ResumePosition("SOMEWHERE").ok());
  EXPECT_FALSE(ResumePosition("12a").ok());
}

TEST_F(ReplayTest, RewindToASequenceNumberRestoresTablesStateAndOffsets) {
  for (int n = 1; n <= 5; ++n) CommitBatch(n);
  ExpectStateOfBatch(5);

  // From record 3 of shard 0: batches 3.. read it or later; batch 2 is the newest before it.
  ResetPlan plan = Plan("seq:" + Seq(0, 3), /*rewind=*/true);
  ASSERT_TRUE(plan.rewind_to.has_value());
  EXPECT_EQ(*plan.rewind_to, 2);
  EXPECT_EQ(plan.shards, std::vector<std::string>{"s/" + kShard0});
  // Every shard resumes where batch 2 stood (shard 1 too: its batch-4 rows are rewound).
  EXPECT_EQ(plan.checkpoint.offsets,
            (Offsets{{kStream, {{kShard0, Seq(0, 2)}, {kShard1, Seq(1, 2)}}}}));
  EXPECT_EQ(plan.table_versions.at("log"), 2);

  ASSERT_OK_AND_ASSIGN(int64_t batch, ApplyReset(store_.get(), plan));
  EXPECT_EQ(batch, 6);
  ExpectStateOfBatch(2);
  ASSERT_OK_AND_ASSIGN(Checkpoint loaded, store_->LoadCheckpoint(kTopology));
  EXPECT_EQ(loaded.offsets, plan.checkpoint.offsets);
  EXPECT_EQ(loaded.arrivals[kStream][kShard0], 2000);

  // The rewound batches left the topology's history; the tables keep theirs (time travel).
  ASSERT_OK_AND_ASSIGN(auto batches, store_->ListBatches(kTopology));
  std::vector<int64_t> ids;
  for (const auto& b : batches) ids.push_back(b.batch_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 6}));
  const Table* log = store_->tables()->Find("log");
  ASSERT_OK_AND_ASSIGN(auto history, log->History());
  EXPECT_EQ(history.back().operation, "REWIND");
  EXPECT_EQ(history.back().batch_id, 6);
  EXPECT_EQ(ScanAll(log, 5).size(), 5u);

  // The replay: batches 3..5 again give the same store, and survive a reopen.
  for (int n = 3; n <= 5; ++n) {
    checkpoint_ = loaded;
    ASSERT_OK(log_->Write(Row{Value::Int(n)}));
    ASSERT_OK(totals_->Write(Row{Value::String("all"), Value::Int(n)}));
    ASSERT_OK(state_->Put("seen/" + std::to_string(n), "1"));
    ASSERT_OK(state_->Put("total", std::to_string(n)));
    ASSERT_OK(state_->Delete("seen/" + std::to_string(n - 2)));
    ASSERT_OK_AND_ASSIGN(batch, store_->Commit(kTopology, loaded));
    EXPECT_EQ(batch, 4 + n);
  }
  Open();
  ExpectStateOfBatch(5);
}

// A Kinesis source checkpoints its service's numbers, which do not name their shard: a reset to
// one needs --shard, and batches compare with it as numbers of that shard.
TEST_F(ReplayTest, RewindToAnotherServicesSequenceNumberNeedsItsShard) {
  seq_ = OtherServiceSeq;
  for (int n = 1; n <= 5; ++n) CommitBatch(n);
  ASSERT_FALSE(SequenceNumber::Parse(OtherServiceSeq(0, 3)).ok());

  ResetRequest request;
  request.to = *ParseResetPosition("seq:" + OtherServiceSeq(0, 3));
  request.rewind_tables = true;
  auto refused = PlanReset(*store_, request);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--shard"), std::string::npos)
      << refused.status().ToString();

  ResetPlan plan = Plan("seq:" + OtherServiceSeq(0, 3), /*rewind=*/true, kShard0);
  ASSERT_TRUE(plan.rewind_to.has_value());
  EXPECT_EQ(*plan.rewind_to, 2);
  EXPECT_EQ(
      plan.checkpoint.offsets,
      (Offsets{{kStream, {{kShard0, OtherServiceSeq(0, 2)}, {kShard1, OtherServiceSeq(1, 2)}}}}));
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  ExpectStateOfBatch(2);

  // Past everything read: no rewind, the shard resumes at the number itself.
  ResetPlan ahead = Plan("seq:" + OtherServiceSeq(1, 9), /*rewind=*/true, kShard1);
  EXPECT_FALSE(ahead.rewind_to.has_value());
  EXPECT_EQ(ahead.checkpoint.offsets[kStream][kShard1],
            "AT_SEQUENCE_NUMBER:" + OtherServiceSeq(1, 9));
  ASSERT_OK_AND_ASSIGN(auto resume, ResumePosition(ahead.checkpoint.offsets[kStream][kShard1]));
  EXPECT_EQ(resume.type, IteratorType::kAtSequenceNumber);
  EXPECT_EQ(resume.sequence_number, OtherServiceSeq(1, 9));
}

TEST_F(ReplayTest, RewindToATimestampUsesArrivalTimes) {
  for (int n = 1; n <= 5; ++n) CommitBatch(n);
  // Records of batches 4 and 5 arrived at 4 s and 5 s: at or after 3.5 s.
  ResetPlan plan = Plan("timestamp:1970-01-01T00:00:03.500Z", /*rewind=*/true);
  ASSERT_TRUE(plan.rewind_to.has_value());
  EXPECT_EQ(*plan.rewind_to, 3);
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  ExpectStateOfBatch(3);
}

TEST_F(ReplayTest, RewindToTrimHorizonEmptiesEverything) {
  for (int n = 1; n <= 4; ++n) CommitBatch(n);
  ResetPlan plan = Plan("trim-horizon", /*rewind=*/true);
  ASSERT_TRUE(plan.rewind_to.has_value());
  EXPECT_EQ(*plan.rewind_to, 0);
  EXPECT_EQ(plan.checkpoint.offsets,
            (Offsets{{kStream, {{kShard0, "TRIM_HORIZON"}, {kShard1, "TRIM_HORIZON"}}}}));
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  ExpectStateOfBatch(0);
  ASSERT_OK_AND_ASSIGN(auto pos, ResumePosition(plan.checkpoint.offsets[kStream][kShard0]));
  EXPECT_EQ(pos.type, IteratorType::kTrimHorizon);
}

TEST_F(ReplayTest, NothingPastThePositionMeansNoRewind) {
  for (int n = 1; n <= 3; ++n) CommitBatch(n);
  ResetPlan latest = Plan("latest", /*rewind=*/true);
  EXPECT_FALSE(latest.rewind_to.has_value());
  EXPECT_EQ(latest.checkpoint.offsets[kStream][kShard0], "LATEST");
  // A position ahead of everything read skips ahead, tables untouched.
  ResetPlan ahead = Plan("seq:" + Seq(0, 9), /*rewind=*/true);
  EXPECT_FALSE(ahead.rewind_to.has_value());
  EXPECT_EQ(ahead.checkpoint.offsets[kStream][kShard0], "AT_SEQUENCE_NUMBER:" + Seq(0, 9));
  EXPECT_EQ(ahead.checkpoint.offsets[kStream][kShard1], Seq(1, 2));
  ASSERT_OK(ApplyReset(store_.get(), ahead).status());
  ExpectStateOfBatch(3);
}

TEST_F(ReplayTest, WithoutRewindOnlyTheSelectedShardMoves) {
  for (int n = 1; n <= 4; ++n) CommitBatch(n);
  ResetPlan plan = Plan("trim-horizon", /*rewind=*/false, kShard1);
  EXPECT_FALSE(plan.rewind_to.has_value());
  EXPECT_EQ(plan.checkpoint.offsets,
            (Offsets{{kStream, {{kShard0, Seq(0, 4)}, {kShard1, "TRIM_HORIZON"}}}}));
  EXPECT_FALSE(plan.checkpoint.arrivals[kStream].contains(kShard1));
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  ExpectStateOfBatch(4);
  ASSERT_OK_AND_ASSIGN(Checkpoint loaded, store_->LoadCheckpoint(kTopology));
  EXPECT_EQ(loaded.offsets, plan.checkpoint.offsets);

  // The reset's batch read nothing of shard 1 since its trim horizon: not past any position.
  ResetPlan again = Plan("seq:" + Seq(1, 2), /*rewind=*/true, kShard1);
  EXPECT_FALSE(again.rewind_to.has_value());
  EXPECT_EQ(again.checkpoint.offsets[kStream][kShard1], "AT_SEQUENCE_NUMBER:" + Seq(1, 2));
}

TEST_F(ReplayTest, BadRequestsAreRefused) {
  for (int n = 1; n <= 2; ++n) CommitBatch(n);
  ResetRequest request;
  request.to = *ParseResetPosition("seq:" + Seq(1, 2));
  request.shard = kShard0;  // the sequence number is shard 1's
  EXPECT_EQ(PlanReset(*store_, request).status().code(), Status::Code::kInvalidArgument);
  request.shard = "";
  request.topology = "nope";
  EXPECT_EQ(PlanReset(*store_, request).status().code(), Status::Code::kResourceNotFound);
  request.topology = "";
  request.stream = "unknown";
  request.to = *ParseResetPosition("latest");
  EXPECT_EQ(PlanReset(*store_, request).status().code(), Status::Code::kInvalidArgument);

  // Two topologies in one store: which one must be said.
  ASSERT_OK(store_->Commit("other", Checkpoint{}).status());
  request.stream = "";
  EXPECT_EQ(PlanReset(*store_, request).status().code(), Status::Code::kInvalidArgument);
  request.topology = kTopology;
  EXPECT_OK(PlanReset(*store_, request).status());
}

}  // namespace
}  // namespace pinstream
