// ProcessorStore: the commit protocol (tables, state, dead letters and offsets in one write),
// read-your-writes state, the sticky error after a failed write, and read-only opens beside a
// writer.
#include "sinks/processor_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sinks/table_store.h"
#include "tests/sinks/store_test_util.h"
#include "tests/sinks/wal_fault_file_system.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::ScanAll;
using testing::TempDir;
using testing::WalFaultFileSystem;

TableDef PinDef() {
  return TableDef{"pin", Schema({Col("ind", Type::kInt, false), Col("title", Type::kString)}), {}};
}

TableDef CountDef() {
  return TableDef{
      "counts", Schema({Col("country", Type::kString, false), Col("n", Type::kInt)}), {"country"}};
}

Row Pin(int64_t ind, std::string title) {
  return Row{Value::Int(ind), Value::String(std::move(title))};
}

Row Count(std::string country, int64_t n) {
  return Row{Value::String(std::move(country)), Value::Int(n)};
}

Offsets MakeOffsets(const std::string& seq) {
  return {{"demo-pin", {{"shardId-000000000000", seq}, {"shardId-000000000001", seq + "1"}}},
          {"demo-geo", {{"shardId-000000000000", seq + "2"}}}};
}

std::optional<std::string> GetState(StateStore* state, std::string_view key) {
  auto r = state->Get(key);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::nullopt;
}

class ProcessorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    ProcessorStore::Options options;
    options.path = dir_.Sub("data");
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
  }

  void Reopen() {
    store_.reset();
    Open();
  }

  TempDir dir_;
  ManualClock clock_{1618853823000};
  std::unique_ptr<ProcessorStore> store_;
};

TEST_F(ProcessorStoreTest, CommitWritesRowsStateDeadLettersAndOffsetsTogether) {
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK_AND_ASSIGN(TableWriter * counts, store_->OpenTable(CountDef()));
  ASSERT_OK_AND_ASSIGN(Checkpoint none, store_->LoadCheckpoint("pinterest"));
  EXPECT_TRUE(none.offsets.empty());

  ASSERT_OK(pin->Write(Pin(1, "a")));
  ASSERT_OK(pin->Write(Pin(2, "b")));
  ASSERT_OK(counts->Write(Count("fr", 1)));
  ASSERT_OK(store_->State("pin/dedup")->Put("1", "seen"));
  DeadLetter letter{"demo-pin",
                    "shardId-000000000000",
                    "4711",
                    1618853823000,
                    "pk",
                    "{not json",
                    "pin/parse_json",
                    "InvalidArgumentException: bad JSON",
                    "pinterest"};
  ASSERT_OK(store_->WriteDeadLetter(letter));
  ASSERT_OK_AND_ASSIGN(int64_t batch, store_->Commit("pinterest", {MakeOffsets("100"), {}, {}}));
  EXPECT_EQ(batch, 1);

  // A second batch touching only one table: the other keeps its version.
  ASSERT_OK(pin->Write(Pin(3, "c")));
  clock_.Advance(5000);
  ASSERT_OK_AND_ASSIGN(batch, store_->Commit("pinterest", {MakeOffsets("200"), {}, {}}));
  EXPECT_EQ(batch, 2);

  Reopen();  // everything committed is durable
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store_->LoadCheckpoint("pinterest"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("200"));
  Table* pin_table = store_->tables()->Find("pin");
  Table* count_table = store_->tables()->Find("counts");
  Table* dead = store_->tables()->Find(kDeadLettersTable);
  ASSERT_TRUE(pin_table && count_table && dead);
  EXPECT_EQ(pin_table->version(), 2);
  EXPECT_EQ(count_table->version(), 1);
  EXPECT_EQ(dead->version(), 1);
  EXPECT_EQ(ScanAll(pin_table), (std::vector<Row>{Pin(1, "a"), Pin(2, "b"), Pin(3, "c")}));
  EXPECT_EQ(ScanAll(count_table), (std::vector<Row>{Count("fr", 1)}));
  EXPECT_EQ(GetState(store_->State("pin/dedup"), "1"), "seen");

  EXPECT_EQ(dead->spec(), DeadLettersSpec());
  auto letters = ScanAll(dead);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0],
            (Row{Value::String("demo-pin"), Value::String("shardId-000000000000"),
                 Value::String("4711"), Value::TimestampMs(1618853823000), Value::String("pk"),
                 Value::String("{not json"), Value::String("pin/parse_json"),
                 Value::String("InvalidArgumentException: bad JSON"), Value::String("pinterest")}));

  // Each version records the batch and offsets it covers; the batch records name the versions.
  ASSERT_OK_AND_ASSIGN(auto history, pin_table->History());
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].operation, "STREAMING UPDATE");
  EXPECT_EQ(history[2].batch_id, 2);
  EXPECT_EQ(history[2].rows_added, 1);
  EXPECT_EQ(history[2].time_ms, 1618853823000 + 5000);
  EXPECT_EQ(history[2].offsets, OffsetsToJson(MakeOffsets("200")));
  ASSERT_OK_AND_ASSIGN(auto all, store_->ListOffsets());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].topology, "pinterest");
  EXPECT_EQ(all[0].batch_id, 2);
  EXPECT_EQ(all[0].time_ms, 1618853823000 + 5000);
  EXPECT_EQ(all[0].offsets, MakeOffsets("200"));
  EXPECT_EQ(all[0].tables,
            (std::map<std::string, int64_t>{{"counts", 1}, {"dead_letters", 1}, {"pin", 2}}));
  ASSERT_OK_AND_ASSIGN(auto batches, store_->ListBatches("pinterest"));
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].batch_id, 1);
  EXPECT_EQ(batches[0].offsets, MakeOffsets("100"));
  EXPECT_EQ(batches[0].tables.at("pin"), 1);
  auto j = all[0].ToJson();
  EXPECT_EQ(j["time"], "2021-04-19T17:37:08Z");
  EXPECT_EQ(j["offsets"]["demo-pin"]["shardId-000000000001"], "2001");

  // Batch ids continue after a reopen; topologies are independent.
  ASSERT_OK(store_->OpenTable(PinDef()).status());
  ASSERT_OK_AND_ASSIGN(batch, store_->Commit("pinterest", {MakeOffsets("300"), {}, {}}));
  EXPECT_EQ(batch, 3);
  ASSERT_OK_AND_ASSIGN(batch, store_->Commit("other", {}));
  EXPECT_EQ(batch, 1);
  ASSERT_OK_AND_ASSIGN(all, store_->ListOffsets());
  EXPECT_EQ(all.size(), 2u);
}

// Stores made before dead letters had a `topology` column gain it on open; their old letters
// read it as null.
// A clean close flushes: what it committed is in table files, and a read-only open (`pinstream
// sql`) has no write-ahead log to replay.
TEST_F(ProcessorStoreTest, ACleanCloseLeavesNoLogToReplay) {
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK(pin->Write(Pin(1, "a")));
  ASSERT_OK(store_->State("pin/dedup")->Put("1", "seen"));
  ASSERT_OK(store_->Commit("pinterest", {MakeOffsets("100"), {}, {}}).status());
  store_.reset();
  uintmax_t log_bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_.Sub("data"))) {
    if (f.path().extension() == ".log") log_bytes += f.file_size();
  }
  EXPECT_EQ(log_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(auto reader, ProcessorStore::Open(dir_.Sub("data"), /*read_only=*/true));
  EXPECT_EQ(ScanAll(reader->tables()->Find("pin")), (std::vector<Row>{Pin(1, "a")}));
}

TEST(ProcessorStoreUpgradeTest, OldDeadLettersGainTheTopologyColumn) {
  TempDir dir;
  TableSpec old_spec = DeadLettersSpec();
  old_spec.schema = Schema(
      std::vector<Column>(old_spec.schema.columns().begin(), old_spec.schema.columns().end() - 1));
  const Row old_letter{Value::String("s"),  Value::String("shardId-000000000000"),
                       Value::String("1"),  Value::TimestampMs(0),
                       Value::String("pk"), Value::String("x"),
                       Value::String("op"), Value::String("error")};
  {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"meta", {}}, {"rows", {}}, {"state", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(options, dir.Sub("data"), families, &handles, &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    {
      TableStore tables(db.get(), handles[1], handles[2]);
      ASSERT_OK(tables.Load());
      ASSERT_OK_AND_ASSIGN(Table * dead, tables.Declare(old_spec));
      rocksdb::WriteBatch batch;
      ASSERT_OK(dead->Stage(old_letter, &batch));
      TableCommit commit;
      commit.operation = "STREAMING UPDATE";
      ASSERT_OK(dead->StageCommit(commit, &batch).status());
      ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
      dead->Committed();
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }

  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
  Table* dead = store->tables()->Find(kDeadLettersTable);
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->spec(), DeadLettersSpec());
  ASSERT_OK(store->WriteDeadLetter(
      {"s", "shardId-000000000000", "2", 0, "pk", "y", "op", "error", "pinterest"}));
  ASSERT_OK(store->Commit("pinterest", {}).status());
  Row old_now = old_letter;
  old_now.push_back(Value());
  auto letters = ScanAll(dead);
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0], old_now);
  EXPECT_EQ(letters[1].back(), Value::String("pinterest"));
}

TEST_F(ProcessorStoreTest, AbortAndCrashBeforeCommitLeaveNothing) {
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK_AND_ASSIGN(TableWriter * counts, store_->OpenTable(CountDef()));
  ASSERT_OK(pin->Write(Pin(1, "kept")));
  ASSERT_OK(store_->State("op")->Put("k", "committed"));
  ASSERT_OK(store_->Commit("t", {MakeOffsets("1"), {}, {}}).status());

  ASSERT_OK(pin->Write(Pin(2, "aborted")));
  ASSERT_OK(counts->Write(Count("fr", 9)));
  ASSERT_OK(store_->State("op")->Put("k", "aborted"));
  ASSERT_OK(store_->State("op")->Put("k2", "aborted"));
  ASSERT_OK(store_->WriteDeadLetter({"s", "shard", "1", 0, "pk", "x", "op", "error", "t"}));
  store_->Abort();
  EXPECT_EQ(GetState(store_->State("op"), "k"), "committed");
  EXPECT_EQ(GetState(store_->State("op"), "k2"), std::nullopt);

  // The next commit carries only what was staged after the abort.
  ASSERT_OK(pin->Write(Pin(3, "kept")));
  ASSERT_OK_AND_ASSIGN(int64_t batch, store_->Commit("t", {MakeOffsets("2"), {}, {}}));
  EXPECT_EQ(batch, 2);
  Table* pin_table = store_->tables()->Find("pin");
  EXPECT_EQ(pin_table->version(), 2);
  EXPECT_EQ(ScanAll(pin_table), (std::vector<Row>{Pin(1, "kept"), Pin(3, "kept")}));
  EXPECT_EQ(store_->tables()->Find("counts")->version(), 0);
  // The dead-letter table was created (a catalog change), but holds no row.
  ASSERT_NE(store_->tables()->Find(kDeadLettersTable), nullptr);
  EXPECT_EQ(store_->tables()->Find(kDeadLettersTable)->version(), 0);

  // Staged but never committed (the process dies): gone after a reopen.
  ASSERT_OK(pin->Write(Pin(4, "lost")));
  ASSERT_OK(store_->State("op")->Put("k", "lost"));
  Reopen();
  pin_table = store_->tables()->Find("pin");
  EXPECT_EQ(ScanAll(pin_table), (std::vector<Row>{Pin(1, "kept"), Pin(3, "kept")}));
  EXPECT_EQ(GetState(store_->State("op"), "k"), "committed");
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store_->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("2"));
}

// Options::write_rows_ahead: full blocks reach the DB before their commit, yet an abort or a
// crash before it leaves no row, and the next commit (fewer rows, the same row ids and
// version number) shows exactly its own.
TEST(ProcessorStoreRowsAheadTest, AbortAndCrashBeforeCommitLeaveNothing) {
  TempDir dir;
  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  options.write_ahead = true;
  options.rows_ahead_bytes = 1;  // write each block as it fills
  auto open = [&] { return ProcessorStore::Open(options); };
  ASSERT_OK_AND_ASSIGN(auto store, open());
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store->OpenTable(PinDef()));
  const std::string title(200, 't');
  std::vector<Row> want = {Pin(0, title)};
  ASSERT_OK(pin->Write(want[0]));
  ASSERT_OK(store->Commit("t", {MakeOffsets("1"), {}, {}}).status());
  auto visible_to_readers = [&] {
    // What a read-only open beside the writer sees.
    auto reader = ProcessorStore::Open(options.path, /*read_only=*/true);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return ScanAll((*reader)->tables()->Find("pin")).size();
  };

  for (int i = 0; i < 3000; ++i) ASSERT_OK(pin->Write(Pin(-1, title)));
  ASSERT_OK(store->State("op")->Put("k", "aborted"));
  store->Abort();
  ASSERT_OK(pin->Write(Pin(1, title)));
  want.push_back(Pin(1, title));
  ASSERT_OK(store->Commit("t", {MakeOffsets("2"), {}, {}}).status());
  Table* table = store->tables()->Find("pin");
  EXPECT_EQ(ScanAll(table), want);
  EXPECT_EQ(visible_to_readers(), want.size());

  // Written ahead, then the process dies: the reopen drops the blocks.
  for (int i = 0; i < 3000; ++i) ASSERT_OK(pin->Write(Pin(-2, title)));
  EXPECT_EQ(visible_to_readers(), want.size());
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, open());
  ASSERT_OK_AND_ASSIGN(pin, store->OpenTable(PinDef()));
  table = store->tables()->Find("pin");
  EXPECT_EQ(table->version(), 2);
  EXPECT_EQ(ScanAll(table), want);
  for (int64_t i = 2; i < 500; ++i) {
    ASSERT_OK(pin->Write(Pin(i, title)));
    want.push_back(Pin(i, title));
  }
  ASSERT_OK(store->Commit("t", {MakeOffsets("3"), {}, {}}).status());
  EXPECT_EQ(ScanAll(table), want);
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("3"));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, open());
  EXPECT_EQ(ScanAll(store->tables()->Find("pin")), want);
}

// What the DB itself holds for an operator's state key, read beside the writer (a read-only
// store never reads state).
std::optional<std::string> StateInDb(const std::string& path, std::string_view op,
                                     std::string_view key) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return std::nullopt;
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* state = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == "state") state = h;
  }
  std::string full(1, static_cast<char>(op.size()));  // [varint length][operator id][key]
  full.append(op);
  full.append(key);
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), state, full, &value);
  EXPECT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  if (!s.ok()) return std::nullopt;
  return value;
}

// Options::write_ahead, state: a batch's state written ahead of its commit in parts (a key in
// two parts, a change, a delete) reads back as staged; an abort, or the next Open after the
// process died, takes every part back; once the batch commits, its state is there, and a
// rewind to before it undoes every part.
TEST(ProcessorStoreWriteAheadTest, StateWrittenAheadIsTakenBackUnlessItsBatchCommits) {
  TempDir dir;
  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  options.write_ahead = true;
  options.state_ahead_keys = 1;  // a part at every chance
  ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
  ASSERT_OK(store->State("op")->Put("kept", "1"));
  ASSERT_OK(store->State("op")->Put("changed", "1"));
  ASSERT_OK(store->Commit("t", {MakeOffsets("1"), {}, {}}).status());
  using State = std::map<std::string, std::optional<std::string>>;
  const State after_1 = {
      {"kept", "1"}, {"changed", "1"}, {"new", std::nullopt}, {"late", std::nullopt}};
  const State after_2 = {{"kept", std::nullopt}, {"changed", "2"}, {"new", "2b"}, {"late", "2"}};
  auto state_of = [](ProcessorStore* s) {
    State state;
    for (const char* key : {"kept", "changed", "new", "late"})
      state[key] = GetState(s->State("op"), key);
    return state;
  };
  auto stage_batch_2 = [&](ProcessorStore* s) {
    StateStore* op = s->State("op");
    ASSERT_OK(op->Put("changed", "2"));
    ASSERT_OK(op->Put("new", "2"));
    ASSERT_OK(s->MaybeWriteAhead("t"));
    ASSERT_OK(op->Delete("kept"));
    ASSERT_OK(op->Put("new", "2b"));
    ASSERT_OK(s->MaybeWriteAhead("t"));
    ASSERT_OK(s->AwaitCommits());
    // Written ahead indeed: the DB holds the parts' values before any commit.
    EXPECT_EQ(StateInDb(options.path, "op", "new"), "2b");
    EXPECT_EQ(StateInDb(options.path, "op", "kept"), std::nullopt);
    ASSERT_OK(op->Put("late", "2"));  // staged only, for the commit
    EXPECT_EQ(state_of(s), after_2);
  };

  stage_batch_2(store.get());
  store->Abort();
  EXPECT_EQ(state_of(store.get()), after_1);
  EXPECT_EQ(StateInDb(options.path, "op", "new"), std::nullopt);
  EXPECT_EQ(StateInDb(options.path, "op", "kept"), "1");

  // The process dies with parts written: the next Open takes them back.
  stage_batch_2(store.get());
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, ProcessorStore::Open(options));
  EXPECT_EQ(state_of(store.get()), after_1);
  EXPECT_EQ(StateInDb(options.path, "op", "changed"), "1");

  stage_batch_2(store.get());
  ASSERT_OK_AND_ASSIGN(int64_t batch, store->Commit("t", {MakeOffsets("2"), {}, {}}));
  EXPECT_EQ(batch, 2);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, ProcessorStore::Open(options));
  EXPECT_EQ(state_of(store.get()), after_2);
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("2"));

  // The undo log of batch 2 is its three parts: a rewind to batch 1 applies them all.
  ASSERT_OK(store->Reset("t", {MakeOffsets("1"), {}, {}}, 1).status());
  EXPECT_EQ(state_of(store.get()), after_1);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, ProcessorStore::Open(options));
  EXPECT_EQ(state_of(store.get()), after_1);
}

TEST_F(ProcessorStoreTest, StateReadsItsOwnWritesInItsOwnNamespace) {
  StateStore* a = store_->State("a");
  StateStore* ab = store_->State("ab");
  EXPECT_EQ(store_->State("a"), a);
  ASSERT_OK(a->Put("bk", "from a"));
  ASSERT_OK(ab->Put("k", "from ab"));
  ASSERT_OK(a->Put("", "empty key"));
  // Read-your-writes before the commit; no namespace sees another's keys, even when the
  // operator id and key concatenate to the same bytes ("a"+"bk" and "ab"+"k").
  EXPECT_EQ(GetState(a, "bk"), "from a");
  EXPECT_EQ(GetState(ab, "k"), "from ab");
  EXPECT_EQ(GetState(ab, "bk"), std::nullopt);
  EXPECT_EQ(GetState(a, "k"), std::nullopt);
  EXPECT_EQ(GetState(a, ""), "empty key");
  EXPECT_EQ(GetState(ab, ""), std::nullopt);
  ASSERT_OK(store_->Commit("t", {}).status());

  // Overwrite and delete after the commit: the batch shadows the DB.
  ASSERT_OK(a->Put("bk", "newer"));
  EXPECT_EQ(GetState(a, "bk"), "newer");
  ASSERT_OK(ab->Delete("k"));
  EXPECT_EQ(GetState(ab, "k"), std::nullopt);
  ASSERT_OK(a->Put("bk", "newest"));
  EXPECT_EQ(GetState(a, "bk"), "newest");
  std::string binary("\0\xff\x01", 3);
  ASSERT_OK(a->Put(binary, binary));
  EXPECT_EQ(GetState(a, binary), binary);
  ASSERT_OK(store_->Commit("t", {}).status());
  Reopen();
  EXPECT_EQ(GetState(store_->State("a"), "bk"), "newest");
  EXPECT_EQ(GetState(store_->State("ab"), "k"), std::nullopt);
  EXPECT_EQ(GetState(store_->State("a"), binary), binary);
}

TEST_F(ProcessorStoreTest, TablesRefuseBadRowsAndChangedSchemas) {
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK_AND_ASSIGN(TableWriter * again, store_->OpenTable(PinDef()));
  EXPECT_EQ(pin, again);
  Status s = pin->Write(Row{Value::String("x"), Value()});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  ASSERT_OK(pin->Write(Pin(1, "ok")));
  ASSERT_OK(store_->Commit("t", {}).status());
  EXPECT_EQ(ScanAll(store_->tables()->Find("pin")), (std::vector<Row>{Pin(1, "ok")}));

  TableDef changed = PinDef();
  changed.schema.Add(Col("extra", Type::kBool));
  auto r = store_->OpenTable(changed);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("extra"), std::string::npos) << r.status().ToString();
  // A topology may not redefine the dead letters either.
  TableDef dead{kDeadLettersTable, Schema({Col("x", Type::kInt)}), {}};
  ASSERT_OK(store_->WriteDeadLetter({}));
  EXPECT_FALSE(store_->OpenTable(dead).ok());
}

TEST(ProcessorStoreFaultTest, AFailedCommitIsStickyAndWritesNothing) {
  TempDir dir;
  auto fs = std::make_shared<WalFaultFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  options.env = env.get();
  {
    ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
    ASSERT_OK_AND_ASSIGN(TableWriter * pin, store->OpenTable(PinDef()));
    ASSERT_OK(pin->Write(Pin(1, "committed")));
    ASSERT_OK(store->Commit("t", {MakeOffsets("1"), {}, {}}).status());

    ASSERT_OK(pin->Write(Pin(2, "failed")));
    ASSERT_OK(store->State("op")->Put("k", "failed"));
    fs->allowed = 0;
    auto failed = store->Commit("t", {MakeOffsets("2"), {}, {}});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), Status::Code::kIOError) << failed.status().ToString();
    EXPECT_EQ(store->error(), failed.status());
    fs->allowed = -1;

    // Sticky: nothing more is accepted, even though the file system works again.
    EXPECT_EQ(pin->Write(Pin(3, "refused")), failed.status());
    EXPECT_EQ(store->State("op")->Put("k", "refused"), failed.status());
    EXPECT_EQ(store->WriteDeadLetter({}), failed.status());
    EXPECT_EQ(store->Commit("t", {MakeOffsets("3"), {}, {}}).status(), failed.status());
    EXPECT_EQ(store->OpenTable(PinDef()).status(), failed.status());
    // Readers still see the last committed version.
    EXPECT_EQ(ScanAll(store->tables()->Find("pin")), (std::vector<Row>{Pin(1, "committed")}));
  }
  options.env = nullptr;
  ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
  EXPECT_EQ(ScanAll(store->tables()->Find("pin")), (std::vector<Row>{Pin(1, "committed")}));
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("1"));
  EXPECT_EQ(GetState(store->State("op"), "k"), std::nullopt);
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store->OpenTable(PinDef()));
  ASSERT_OK(pin->Write(Pin(2, "retried")));
  ASSERT_OK_AND_ASSIGN(int64_t batch, store->Commit("t", {MakeOffsets("2"), {}, {}}));
  EXPECT_EQ(batch, 2);
}

// The state protocol in every mode: commits written in line or pipelined (the write of a batch
// overlapping the next one), with a cache that keeps state or one that is evicted every batch.
struct StoreMode {
  bool pipeline_commits;
  size_t state_cache_bytes;
};

class ProcessorStoreModeTest : public ::testing::TestWithParam<StoreMode> {
 protected:
  void Open() {
    store_.reset();
    ProcessorStore::Options options;
    options.path = dir_.Sub("data");
    options.pipeline_commits = GetParam().pipeline_commits;
    options.state_cache_bytes = GetParam().state_cache_bytes;
    ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
  }

  std::map<std::string, std::string> ScanState(std::string_view op) {
    std::map<std::string, std::string> out;
    EXPECT_OK(store_->State(op)->Scan("", "", [&](std::string_view k, std::string_view v) {
      out.emplace(k, v);
      return true;
    }));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ProcessorStore> store_;
};

TEST_P(ProcessorStoreModeTest, BatchesReadTheStateOfTheBatchBeforeAndRewindIt) {
  Open();
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  StateStore* op = store_->State("op");
  // Batch 1 writes keys it never read (their before-images come from the DB at commit).
  ASSERT_OK(op->Put("a", "a1"));
  ASSERT_OK(op->Put("b", "b1"));
  ASSERT_OK(op->Put("d", "d1"));  // then left alone: its cache entry goes, the DB keeps it
  ASSERT_OK(pin->Write(Pin(1, "one")));
  ASSERT_OK_AND_ASSIGN(int64_t batch, store_->Commit("t", {MakeOffsets("1"), {}, {}}));
  EXPECT_EQ(batch, 1);

  // Batch 2, staged while batch 1 may still be being written, reads batch 1's state.
  EXPECT_EQ(GetState(op, "a"), "a1");
  ASSERT_OK(op->Put("a", "a2"));
  ASSERT_OK(op->Delete("b"));
  ASSERT_OK(op->Put("c", "c2"));
  ASSERT_OK(pin->Write(Pin(2, "two")));
  EXPECT_EQ(ScanState("op"),
            (std::map<std::string, std::string>{{"a", "a2"}, {"c", "c2"}, {"d", "d1"}}));
  ASSERT_OK_AND_ASSIGN(batch, store_->Commit("t", {MakeOffsets("2"), {}, {}}));
  EXPECT_EQ(batch, 2);

  // Batch 3 changes `c` again and writes `b` back without reading either first.
  EXPECT_EQ(GetState(op, "b"), std::nullopt);
  EXPECT_EQ(GetState(op, "d"), "d1");
  ASSERT_OK(op->Put("c", "c3"));
  ASSERT_OK(op->Put("b", "b3"));
  ASSERT_OK(store_->Commit("t", {MakeOffsets("3"), {}, {}}).status());
  ASSERT_OK(store_->AwaitCommits());
  EXPECT_EQ(store_->tables()->Find("pin")->version(), 2);
  EXPECT_EQ(ScanAll(store_->tables()->Find("pin")),
            (std::vector<Row>{Pin(1, "one"), Pin(2, "two")}));

  Open();  // from the DB alone
  EXPECT_EQ(ScanState("op"), (std::map<std::string, std::string>{
                                 {"a", "a2"}, {"b", "b3"}, {"c", "c3"}, {"d", "d1"}}));
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store_->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("3"));

  // The undo logs take the state back to each batch.
  ASSERT_OK(store_->Reset("t", {MakeOffsets("2"), {}, {}}, 2).status());
  EXPECT_EQ(ScanState("op"),
            (std::map<std::string, std::string>{{"a", "a2"}, {"c", "c2"}, {"d", "d1"}}));
  ASSERT_OK(store_->Reset("t", {MakeOffsets("1"), {}, {}}, 1).status());
  EXPECT_EQ(ScanState("op"),
            (std::map<std::string, std::string>{{"a", "a1"}, {"b", "b1"}, {"d", "d1"}}));
  EXPECT_EQ(GetState(store_->State("op"), "c"), std::nullopt);
  EXPECT_EQ(ScanAll(store_->tables()->Find("pin")), (std::vector<Row>{Pin(1, "one")}));
}

INSTANTIATE_TEST_SUITE_P(Modes, ProcessorStoreModeTest,
                         ::testing::Values(StoreMode{false, size_t{64} << 20},
                                           StoreMode{true, size_t{64} << 20}, StoreMode{true, 1}),
                         [](const auto& info) {
                           return std::string(info.param.pipeline_commits ? "Pipelined"
                                                                          : "InLine") +
                                  (info.param.state_cache_bytes > 1 ? "Cached" : "Evicting");
                         });

// A pipelined commit returns before its write: a failing write is the error of the next
// AwaitCommits (or Commit), sticky from then on, and nothing of its batch reaches the DB.
TEST(ProcessorStoreFaultTest, APipelinedWriteFailureIsReportedByTheNextWait) {
  TempDir dir;
  auto fs = std::make_shared<WalFaultFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  ProcessorStore::Options options;
  options.path = dir.Sub("data");
  options.env = env.get();
  options.pipeline_commits = true;
  {
    ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
    ASSERT_OK_AND_ASSIGN(TableWriter * pin, store->OpenTable(PinDef()));
    ASSERT_OK(pin->Write(Pin(1, "committed")));
    ASSERT_OK(store->State("op")->Put("k", "committed"));
    ASSERT_OK(store->Commit("t", {MakeOffsets("1"), {}, {}}).status());
    ASSERT_OK(store->AwaitCommits());

    ASSERT_OK(pin->Write(Pin(2, "failed")));
    ASSERT_OK(store->State("op")->Put("k", "failed"));
    fs->allowed = 0;
    ASSERT_OK_AND_ASSIGN(int64_t batch, store->Commit("t", {MakeOffsets("2"), {}, {}}));
    EXPECT_EQ(batch, 2);
    const Status failed = store->AwaitCommits();
    EXPECT_EQ(failed.code(), Status::Code::kIOError) << failed.ToString();
    fs->allowed = -1;
    EXPECT_EQ(store->error(), failed);
    EXPECT_EQ(store->AwaitCommits(), failed);  // sticky
    EXPECT_EQ(pin->Write(Pin(3, "refused")), failed);
    EXPECT_EQ(store->Commit("t", {MakeOffsets("3"), {}, {}}).status(), failed);
    EXPECT_EQ(store->tables()->Find("pin")->version(), 1);
    // The cache forgot the batch that failed: reads see the DB.
    EXPECT_EQ(GetState(store->State("op"), "k"), "committed");
  }
  options.env = nullptr;
  ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
  EXPECT_EQ(ScanAll(store->tables()->Find("pin")), (std::vector<Row>{Pin(1, "committed")}));
  EXPECT_EQ(GetState(store->State("op"), "k"), "committed");
  ASSERT_OK_AND_ASSIGN(Checkpoint checkpoint, store->LoadCheckpoint("t"));
  EXPECT_EQ(checkpoint.offsets, MakeOffsets("1"));
}

TEST_F(ProcessorStoreTest, ReadOnlyOpenBesideAWriter) {
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK(pin->Write(Pin(1, "a")));
  ASSERT_OK(store_->Commit("t", {MakeOffsets("1"), {}, {}}).status());

  // A second handle on the same directory while the writer holds it open.
  ASSERT_OK_AND_ASSIGN(auto reader, ProcessorStore::Open(dir_.Sub("data"), /*read_only=*/true));
  EXPECT_TRUE(reader->read_only());
  EXPECT_EQ(ScanAll(reader->tables()->Find("pin")), (std::vector<Row>{Pin(1, "a")}));
  ASSERT_OK_AND_ASSIGN(auto records, reader->ListOffsets());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offsets, MakeOffsets("1"));
  EXPECT_EQ(reader->State("x")->Get("k").status(), Status::OK());

  // It refuses writes.
  EXPECT_EQ(reader->OpenTable(PinDef()).status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(reader->Commit("t", {}).ok());
  EXPECT_FALSE(reader->WriteDeadLetter({}).ok());
  EXPECT_FALSE(reader->State("x")->Put("k", "v").ok());

  // The writer goes on; the reader keeps its view, a new reader sees the new batch.
  ASSERT_OK(pin->Write(Pin(2, "b")));
  ASSERT_OK(store_->Commit("t", {MakeOffsets("2"), {}, {}}).status());
  EXPECT_EQ(reader->tables()->Find("pin")->version(), 1);
  ASSERT_OK_AND_ASSIGN(auto reader2, ProcessorStore::Open(dir_.Sub("data"), true));
  EXPECT_EQ(ScanAll(reader2->tables()->Find("pin")), (std::vector<Row>{Pin(1, "a"), Pin(2, "b")}));

  auto missing = ProcessorStore::Open(dir_.Sub("nope"), true);
  EXPECT_EQ(missing.status().code(), Status::Code::kResourceNotFound);
}

// Readers open while the writer commits without pause (and flushes, since its write buffers are
// small here): every reader must see one whole committed batch, never a torn one.
TEST_F(ProcessorStoreTest, ReadOnlyOpensSeeWholeBatchesWhileTheWriterCommits) {
  constexpr int kRowsPerBatch = 5;
  store_.reset();
  ProcessorStore::Options options;
  options.path = dir_.Sub("data");
  options.write_buffer_bytes = 256 << 10;  // flush every few dozen batches
  ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
  ASSERT_OK_AND_ASSIGN(TableWriter * pin, store_->OpenTable(PinDef()));
  ASSERT_OK_AND_ASSIGN(TableWriter * counts, store_->OpenTable(CountDef()));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> committed{0};
  Status writer_status;
  std::thread writer([&] {
    const std::string filler(200, 'x');
    for (int64_t b = 1; !stop && b <= 20000; ++b) {
      for (int i = 0; i < kRowsPerBatch; ++i) {
        writer_status = pin->Write(Pin(b * kRowsPerBatch + i, filler));
        if (!writer_status.ok()) return;
      }
      writer_status = counts->Write(Count("all", b));
      if (!writer_status.ok()) return;
      writer_status = store_->State("op")->Put("last", std::to_string(b));
      if (!writer_status.ok()) return;
      auto r = store_->Commit("t", {MakeOffsets(std::to_string(b)), {}, {}});
      if (!r.ok()) {
        writer_status = r.status();
        return;
      }
      committed = *r;
    }
  });
  struct Joiner {
    std::atomic<bool>* stop;
    std::thread* thread;
    ~Joiner() {
      *stop = true;
      if (thread) thread->join();
    }
  } joiner{&stop, &writer};
  // Every reader below opens after the first commit returned (and was written: commits are not
  // pipelined here), so each has a batch to check.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (committed.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GT(committed.load(), 0) << "no commit within 30 s";
  for (int opens = 0; opens < 12; ++opens) {
    auto reader = ProcessorStore::Open(dir_.Sub("data"), true);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    ASSERT_OK_AND_ASSIGN(auto records, (*reader)->ListOffsets());
    ASSERT_FALSE(records.empty());
    const int64_t b = records[0].batch_id;
    EXPECT_EQ(records[0].offsets, MakeOffsets(std::to_string(b)));
    Table* p = (*reader)->tables()->Find("pin");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->version(), b);
    int64_t rows = 0;
    ASSERT_OK(p->Scan({}, [&](const Row&) {
      ++rows;
      return Status::OK();
    }));
    EXPECT_EQ(rows, b * kRowsPerBatch) << "batch " << b;
    EXPECT_EQ(ScanAll((*reader)->tables()->Find("counts")), (std::vector<Row>{Count("all", b)}));
    EXPECT_EQ(GetState((*reader)->State("op"), "last"), std::to_string(b));
  }
  stop = true;
  writer.join();
  joiner.thread = nullptr;
  ASSERT_OK(writer_status);
  EXPECT_GT(committed.load(), 0);
}

}  // namespace
}  // namespace pinstream
