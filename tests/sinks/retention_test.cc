// Retention (sinks/retention.h) over a real ProcessorStore with a manual clock: table history
// and the rows only old versions need are vacuumed while every kept version reads exactly as
// before, time travel and rewinds past retention are refused naming how far back they can go,
// the store applies the policy itself every so often, space returns to the disk, and a rewind
// streams through the undo logs in bounded writes.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sinks/processor_store.h"
#include "sinks/replay.h"
#include "tests/sinks/store_test_util.h"
#include "tests/sinks/wal_fault_file_system.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::ScanAll;
using testing::TempDir;
using testing::WalFaultFileSystem;

constexpr char kTopology[] = "t";
constexpr char kStream[] = "s";
constexpr int64_t kHour = int64_t{3600} * 1000;
const std::string kShard0 = ShardIdFromIndex(0);

// A topology of two tables, `log` (append: one row per batch) and `totals` (upsert: key "all"
// rewritten every batch, key "b<n % 3>" every third), and operator state; one batch an hour.
class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(bool pipeline = false, size_t rewind_write_bytes = size_t{8} << 20) {
    store_.reset();
    ProcessorStore::Options options;
    options.path = dir_.Sub("data");
    options.clock = &clock_;
    options.pipeline_commits = pipeline;
    options.rewind_write_bytes = rewind_write_bytes;
    ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
    ASSERT_OK_AND_ASSIGN(log_,
                         store_->OpenTable(TableDef{"log", Schema({Col("n", Type::kInt)}), {}}));
    ASSERT_OK_AND_ASSIGN(
        totals_, store_->OpenTable(TableDef{
                     "totals", Schema({Col("k", Type::kString), Col("n", Type::kInt)}), {"k"}}));
    state_ = store_->State("op");
  }

  // Batch number `n` (counting every batch committed, rewinds included, as 1, 2, ...).
  void CommitBatch(const std::string& state_value = "v") {
    ++n_;
    ASSERT_OK(log_->Write(Row{Value::Int(n_)}));
    ASSERT_OK(totals_->Write(Row{Value::String("all"), Value::Int(n_)}));
    if (n_ % 3 == 0) ASSERT_OK(totals_->Write(Row{Value::String("b"), Value::Int(n_)}));
    ASSERT_OK(state_->Put("k" + std::to_string(n_ % 5), state_value + std::to_string(n_)));
    checkpoint_.offsets[kStream][kShard0] = SequenceNumber{0, static_cast<uint64_t>(n_)}.ToString();
    checkpoint_.arrivals[kStream][kShard0] = clock_.NowMillis();
    ASSERT_OK(store_->Commit(kTopology, checkpoint_).status());
    clock_.Advance(kHour);
  }

  Table* Log() { return store_->tables()->Find("log"); }
  Table* Totals() { return store_->tables()->Find("totals"); }

  // Every version of `t`, scanned.
  std::map<int64_t, std::vector<Row>> AllVersions(const Table* t) {
    std::map<int64_t, std::vector<Row>> out;
    for (int64_t v = t->oldest_version(); v <= t->version(); ++v) out[v] = ScanAll(t, v);
    return out;
  }

  // The versions kept read as they did before (`before`); older ones are refused, naming the
  // oldest version left; the history starts at the oldest version.
  void ExpectKeptVersionsUnchanged(const Table* t,
                                   const std::map<int64_t, std::vector<Row>>& before) {
    const int64_t oldest = t->oldest_version();
    for (const auto& [v, rows] : before) {
      if (v >= oldest) {
        EXPECT_EQ(ScanAll(t, v), rows) << t->spec().name << " version " << v;
        continue;
      }
      Status s = t->Scan(v, [](const Row&) { return Status::OK(); });
      EXPECT_EQ(s.code(), Status::Code::kResourceNotFound) << s.ToString();
      EXPECT_NE(s.ToString().find("the oldest version left is " + std::to_string(oldest)),
                std::string::npos)
          << s.ToString();
    }
    ASSERT_OK_AND_ASSIGN(auto history, t->History());
    ASSERT_FALSE(history.empty());
    EXPECT_EQ(history.front().version, oldest);
  }

  ResetPlan MustPlan(const std::string& to) {
    ResetRequest request;
    request.to = *ParseResetPosition(to);
    request.rewind_tables = true;
    auto plan = PlanReset(*store_, request);
    EXPECT_OK(plan.status());
    return plan.ok() ? *plan : ResetPlan{};
  }

  TempDir dir_;
  ManualClock clock_{int64_t{1'700'000'000'000}};
  std::unique_ptr<ProcessorStore> store_;
  TableWriter* log_ = nullptr;
  TableWriter* totals_ = nullptr;
  StateStore* state_ = nullptr;
  Checkpoint checkpoint_;
  int n_ = 0;
};

TEST_F(RetentionTest, VacuumKeepsTheVersionCurrentAtTheCutoffAndEverythingAfter) {
  for (int i = 0; i < 10; ++i) CommitBatch();  // versions 1..10 at hours 0..9; now is hour 10
  const auto log_before = AllVersions(Log());
  const auto totals_before = AllVersions(Totals());

  VacuumOptions options;
  options.retain_ms = 3 * kHour + kHour / 2;  // cutoff at hour 6.5: version 7 was current
  options.dry_run = true;
  ASSERT_OK_AND_ASSIGN(VacuumReport dry, store_->Vacuum(options));
  EXPECT_EQ(Totals()->oldest_version(), 0);  // a dry run changes nothing
  options.dry_run = false;
  ASSERT_OK_AND_ASSIGN(VacuumReport report, store_->Vacuum(options));

  EXPECT_EQ(Log()->oldest_version(), 7);
  EXPECT_EQ(Totals()->oldest_version(), 7);
  ExpectKeptVersionsUnchanged(Log(), log_before);
  ExpectKeptVersionsUnchanged(Totals(), totals_before);

  std::map<std::string, VacuumStats> by_table;
  for (const auto& s : report.tables) by_table[s.table] = s;
  // versions 0..6 of the log leave; "all" loses its versions 1..6, "b" its version 3 (6 is
  // the newest at or below 7).
  EXPECT_EQ(by_table["totals"].versions_removed, 7);
  EXPECT_EQ(by_table["totals"].rows_removed, 7);
  EXPECT_EQ(by_table["log"].rows_removed, 0);  // nothing in an append table is superseded
  EXPECT_GT(by_table["totals"].bytes_removed, 0);
  // The dry run reported the same.
  ASSERT_EQ(dry.tables.size(), report.tables.size());
  for (size_t i = 0; i < dry.tables.size(); ++i) {
    EXPECT_EQ(dry.tables[i].rows_removed, report.tables[i].rows_removed);
    EXPECT_EQ(dry.tables[i].versions_removed, report.tables[i].versions_removed);
  }

  // A second vacuum with the same cutoff finds nothing; reopened, the store knows the oldest.
  ASSERT_OK_AND_ASSIGN(VacuumReport again, store_->Vacuum(options));
  for (const auto& s : again.tables) EXPECT_EQ(s.rows_removed + s.versions_removed, 0);
  Open();
  EXPECT_EQ(Totals()->oldest_version(), 7);
  ExpectKeptVersionsUnchanged(Totals(), totals_before);

  // Time travel by time: before the oldest version is refused with it.
  auto at = Totals()->VersionAt(clock_.NowMillis() - 8 * kHour);
  EXPECT_EQ(at.status().code(), Status::Code::kResourceNotFound);
  EXPECT_NE(at.status().ToString().find("the oldest version left is 7"), std::string::npos)
      << at.status().ToString();
  ASSERT_OK_AND_ASSIGN(int64_t v, Totals()->VersionAt(clock_.NowMillis() - 2 * kHour));
  EXPECT_EQ(v, 9);
}

TEST_F(RetentionTest, RowsThatRewindsHidOrThatRestoresStillNeedAreHandledExactly) {
  // Rewinds leave REWIND versions whose contents are an older version's: the vacuum must keep
  // what a kept REWIND version needs from below the cutoff, and drop the rows they hid.
  for (int i = 0; i < 6; ++i) CommitBatch();
  ASSERT_OK(ApplyReset(store_.get(), MustPlan("seq:" + SequenceNumber{0, 3}.ToString())).status());
  checkpoint_ = store_->LoadCheckpoint(kTopology).value();
  clock_.Advance(kHour);
  n_ = 2;  // batch 3 again
  for (int i = 0; i < 5; ++i) CommitBatch("w");
  ASSERT_OK(ApplyReset(store_.get(), MustPlan("seq:" + SequenceNumber{0, 5}.ToString())).status());
  checkpoint_ = store_->LoadCheckpoint(kTopology).value();
  clock_.Advance(kHour);
  n_ = 4;
  for (int i = 0; i < 3; ++i) CommitBatch("x");
  const auto log_before = AllVersions(Log());
  const auto totals_before = AllVersions(Totals());
  const int64_t newest = Totals()->version();

  // Every cutoff from the oldest to the newest version, one hour at a time.
  int64_t log_rows_removed = 0;
  for (int64_t keep = 20 * kHour; keep >= 0; keep -= kHour) {
    VacuumOptions options;
    options.retain_ms = keep;
    ASSERT_OK_AND_ASSIGN(VacuumReport report, store_->Vacuum(options));
    for (const auto& s : report.tables) {
      if (s.table == "log") log_rows_removed += s.rows_removed;
    }
    ExpectKeptVersionsUnchanged(Log(), log_before);
    ExpectKeptVersionsUnchanged(Totals(), totals_before);
  }
  EXPECT_EQ(Totals()->oldest_version(), newest);
  // The log's rows of the rewound batches (3..6 of the first run, 5..7 of the second) are hidden
  // from every version kept at the end, and gone.
  EXPECT_EQ(log_rows_removed, 7);
}

TEST_F(RetentionTest, TrimmedBatchesRefuseAFurtherRewindNamingHowFarBackItCanGo) {
  for (int i = 0; i < 10; ++i) CommitBatch();  // batches 1..10 at hours 0..9
  ASSERT_OK(
      store_->SetRetention(kTopology, RetentionPolicy{30 * kHour, 3 * kHour + kHour / 2, kHour}));
  VacuumOptions options;
  ASSERT_OK_AND_ASSIGN(VacuumReport report, store_->Vacuum(options));
  ASSERT_EQ(report.topologies.size(), 1u);
  EXPECT_EQ(report.topologies[0].oldest_batch, 7);  // current at hour 6.5
  EXPECT_EQ(report.topologies[0].batches_removed, 6);
  EXPECT_EQ(report.topologies[0].undo_logs_removed, 7);
  ASSERT_OK_AND_ASSIGN(auto floor, store_->RewindFloor(kTopology));
  EXPECT_EQ(floor, std::optional<int64_t>(7));
  ASSERT_OK_AND_ASSIGN(auto batches, store_->ListBatches(kTopology));
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches.front().batch_id, 7);

  // Before batch 7's records: refused, naming batch 7.
  ResetRequest request;
  request.to = *ParseResetPosition("seq:" + SequenceNumber{0, 5}.ToString());
  request.rewind_tables = true;
  auto refused = PlanReset(*store_, request);
  ASSERT_EQ(refused.status().code(), Status::Code::kResourceNotFound)
      << refused.status().ToString();
  EXPECT_NE(refused.status().ToString().find("the furthest back it can go is batch 7"),
            std::string::npos)
      << refused.status().ToString();
  request.to = *ParseResetPosition("trim-horizon");
  EXPECT_EQ(PlanReset(*store_, request).status().code(), Status::Code::kResourceNotFound);
  EXPECT_EQ(store_->Reset(kTopology, Checkpoint(), 3).status().code(),
            Status::Code::kResourceNotFound);

  // To batch 8's records: rewinds to batch 7, the oldest left, with its state.
  ResetPlan plan = MustPlan("seq:" + SequenceNumber{0, 8}.ToString());
  ASSERT_EQ(plan.rewind_to, std::optional<int64_t>(7));
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  EXPECT_EQ(ScanAll(Log()).size(), 7u);
  EXPECT_EQ(*state_->Get("k2"), std::optional<std::string>("v7"));
  EXPECT_EQ(*state_->Get("k3"), std::optional<std::string>("v3"));  // before batch 8 wrote it
}

TEST_F(RetentionTest, TheStoreAppliesItsPolicyItselfEverySoOftenNotEveryBatch) {
  Open(/*pipeline=*/true);
  // Checked at most every min(10 min, 1 h / 10) = 6 minutes; one batch every 2 minutes.
  ASSERT_OK(store_->SetRetention(kTopology, RetentionPolicy{2 * kHour, kHour, 10 * 60 * 1000}));
  int batches = 0;
  for (int i = 0; i < 120; ++i) {  // 4 hours
    ++n_;
    ASSERT_OK(log_->Write(Row{Value::Int(n_)}));
    ASSERT_OK(totals_->Write(Row{Value::String("all"), Value::Int(n_)}));
    ASSERT_OK(state_->Put("k", std::to_string(n_)));
    checkpoint_.offsets[kStream][kShard0] = SequenceNumber{0, static_cast<uint64_t>(n_)}.ToString();
    ASSERT_OK(store_->Commit(kTopology, checkpoint_).status());
    ++batches;
    clock_.Advance(2 * 60 * 1000);
  }
  ASSERT_OK(store_->AwaitCommits());
  const int64_t passes = store_->stats().retention_passes;
  EXPECT_EQ(passes, 40);  // the first batch, then every third
  // History of about 2 hours (60 batches) and batch records of about 1 hour are left.
  ASSERT_OK_AND_ASSIGN(auto history, Totals()->History());
  EXPECT_GE(history.size(), 60u);
  EXPECT_LE(history.size(), 64u);
  ASSERT_OK_AND_ASSIGN(auto kept, store_->ListBatches(kTopology));
  EXPECT_GE(kept.size(), 30u);
  EXPECT_LE(kept.size(), 34u);
  // Superseded versions of "all" below the oldest version are gone: scanning the oldest still
  // works and shows its value.
  const int64_t oldest = Totals()->oldest_version();
  EXPECT_EQ(ScanAll(Totals(), oldest),
            (std::vector<Row>{{Value::String("all"), Value::Int(oldest)}}));
  EXPECT_EQ(ScanAll(Totals()), (std::vector<Row>{{Value::String("all"), Value::Int(batches)}}));
  // A reopened store knows the trimmed history.
  Open();
  EXPECT_EQ(Totals()->oldest_version(), oldest);
}

TEST_F(RetentionTest, SpaceReturnsToTheDisk) {
  // 200 keys rewritten 40 times with 1 KiB values: about 8 MiB of superseded versions.
  const std::string filler(1024, 'x');
  for (int batch = 0; batch < 40; ++batch) {
    for (int k = 0; k < 200; ++k) {
      ASSERT_OK(totals_->Write(
          Row{Value::String("key" + std::to_string(k) + filler), Value::Int(batch)}));
    }
    ASSERT_OK(store_->Commit(kTopology, checkpoint_).status());
    clock_.Advance(kHour);
  }
  VacuumOptions options;
  options.retain_ms = 0;
  ASSERT_OK_AND_ASSIGN(VacuumReport report, store_->Vacuum(options));
  EXPECT_GT(report.bytes_removed, int64_t{7} << 20);
  EXPECT_GT(report.sst_bytes_before, uint64_t{7} << 20);
  EXPECT_LT(report.sst_bytes_after, report.sst_bytes_before / 4)
      << "before " << report.sst_bytes_before << " after " << report.sst_bytes_after;
  EXPECT_LT(report.live_bytes_after, report.live_bytes_before / 4);
  EXPECT_EQ(ScanAll(Totals()).size(), 200u);
}

TEST_F(RetentionTest, ARewindStreamsThroughTheUndoLogsInBoundedWrites) {
  Open(/*pipeline=*/false, /*rewind_write_bytes=*/4096);
  const std::string big(500, 'y');
  for (int i = 0; i < 60; ++i) CommitBatch(big);  // undo logs of ~500 bytes each
  const int64_t read_before = store_->stats().batch_records_read;
  // A rewind to batch 57: three batches back; the planner reads those and stops.
  ResetPlan near = MustPlan("seq:" + SequenceNumber{0, 58}.ToString());
  EXPECT_EQ(near.rewind_to, std::optional<int64_t>(57));
  EXPECT_LE(store_->stats().batch_records_read - read_before, 4);

  // Back to batch 5: 55 undo logs, written a few at a time.
  ResetPlan plan = MustPlan("seq:" + SequenceNumber{0, 6}.ToString());
  ASSERT_EQ(plan.rewind_to, std::optional<int64_t>(5));
  ASSERT_OK(ApplyReset(store_.get(), plan).status());
  const auto stats = store_->stats();
  EXPECT_GE(stats.rewind_writes, 5);
  EXPECT_LE(stats.largest_rewind_write, size_t{4096} + 1024);  // the bound and one undo log
  for (int k = 0; k < 5; ++k) {
    const int last = k == 0 ? 5 : k;  // the last batch up to 5 that wrote "k<k>"
    EXPECT_EQ(*state_->Get("k" + std::to_string(k)),
              std::optional<std::string>(big + std::to_string(last)))
        << k;
  }
  EXPECT_EQ(ScanAll(Log()).size(), 5u);
  ASSERT_OK_AND_ASSIGN(auto batches, store_->ListBatches(kTopology));
  EXPECT_EQ(batches.size(), 6u);  // 1..5 and the reset's
}

TEST(RetentionFaultTest, AnInterruptedRewindIsRefusedToTheProcessorAndFinishedByAnotherReset) {
  TempDir dir;
  ManualClock clock(int64_t{1'700'000'000'000});
  auto fs = std::make_shared<WalFaultFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  options.clock = &clock;
  options.env = env.get();
  options.rewind_write_bytes = 1;  // a write per undo log
  Checkpoint checkpoint;
  auto commit_batches = [&](ProcessorStore* store, int from, int to) {
    StateStore* state = store->State("op");
    for (int n = from; n <= to; ++n) {
      ASSERT_OK(state->Put("k" + std::to_string(n % 3), "v" + std::to_string(n)));
      checkpoint.offsets[kStream][kShard0] = SequenceNumber{0, static_cast<uint64_t>(n)}.ToString();
      ASSERT_OK(store->Commit(kTopology, checkpoint).status());
      clock.Advance(1000);
    }
  };
  {
    ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
    commit_batches(store.get(), 1, 8);
    fs->allowed = 2;  // the rewind's first two writes (batches 8 and 7) land, the third fails
    auto failed = store->Reset(kTopology, Checkpoint(), 2);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), Status::Code::kIOError) << failed.status().ToString();
    fs->allowed = -1;
  }
  ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
  auto refused = store->LoadCheckpoint(kTopology);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().ToString().find("halfway through a rewind to batch 2"),
            std::string::npos)
      << refused.status().ToString();
  // Going back less far than the state already went is impossible; as far, or further, works.
  EXPECT_EQ(store->Reset(kTopology, Checkpoint(), 7).status().code(),
            Status::Code::kInvalidArgument);
  ASSERT_OK(store->Reset(kTopology, Checkpoint(), 2).status());
  ASSERT_OK(store->LoadCheckpoint(kTopology).status());
  StateStore* state = store->State("op");
  EXPECT_EQ(*state->Get("k0"), std::nullopt);  // first written by batch 3
  EXPECT_EQ(*state->Get("k1"), std::optional<std::string>("v1"));
  EXPECT_EQ(*state->Get("k2"), std::optional<std::string>("v2"));
  ASSERT_OK_AND_ASSIGN(auto batches, store->ListBatches(kTopology));
  ASSERT_EQ(batches.size(), 3u);  // 1, 2 and the reset's
  EXPECT_EQ(batches[1].batch_id, 2);
}

}  // namespace
}  // namespace pinstream
