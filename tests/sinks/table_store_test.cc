// TableStore over its own RocksDB (the meta and rows families a ProcessorStore would give it):
// versions, history, time travel, RESTORE, schema checks, staging and rollback.
#include "sinks/table_store.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/sinks/store_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::ScanAll;
using testing::TempDir;

TableSpec EventsSpec() {
  return TableSpec{
      "events",
      Schema({Col("ind", Type::kInt, false), Col("name", Type::kString),
              Col("at", Type::kTimestamp), Col("coordinates", Type::kArray, true, Type::kDouble)}),
      {}};
}

TableSpec TotalsSpec() {
  return TableSpec{"totals",
                   Schema({Col("country", Type::kString, false), Col("year", Type::kInt, false),
                           Col("count", Type::kInt)}),
                   {"country", "year"}};
}

Row Event(int64_t ind, std::string name) {
  return Row{Value::Int(ind), Value::String(std::move(name)), Value::TimestampMs(ind * 1000),
             Value::MakeArray({Value::Double(1.5), Value::Double(-2.25)})};
}

Row Total(std::string country, int64_t year, int64_t count) {
  return Row{Value::String(std::move(country)), Value::Int(year), Value::Int(count)};
}

class TableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"meta", {}}, {"rows", {}}};
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(options, dir_.path(), families, &handles_, &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    db_.reset(raw);
    store_ = std::make_unique<TableStore>(db_.get(), handles_[1], handles_[2], &clock_);
    ASSERT_OK(store_->Load());
  }

  void Close() {
    store_.reset();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_.reset();
  }

  void Reopen() {
    Close();
    Open();
  }

  // Stages `rows` and a version holding them, writes the batch: the new version.
  int64_t CommitRows(Table* t, const std::vector<Row>& rows, int64_t batch_id = 7) {
    rocksdb::WriteBatch batch;
    for (const auto& r : rows) EXPECT_OK(t->Stage(r, &batch));
    TableCommit c;
    c.time_ms = clock_.NowMillis();
    c.operation = "STREAMING UPDATE";
    c.offsets = {{"s", {{"shardId-000000000000", std::to_string(batch_id)}}}};
    c.batch_id = batch_id;
    auto v = t->StageCommit(c, &batch);
    EXPECT_TRUE(v.ok() && v->has_value());
    EXPECT_TRUE(db_->Write(rocksdb::WriteOptions(), &batch).ok());
    t->Committed();
    clock_.Advance(1000);
    return v.ok() && v->has_value() ? **v : -1;
  }

  int64_t Restore(Table* t, int64_t to) {
    rocksdb::WriteBatch batch;
    TableCommit c;
    c.time_ms = clock_.NowMillis();
    auto v = t->StageRestore(to, c, &batch);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(db_->Write(rocksdb::WriteOptions(), &batch).ok());
    t->Committed();
    return v.ok() ? *v : -1;
  }

  // The first column of each row as ints, or strings for upsert tables' keys.
  static std::vector<int64_t> Inds(const std::vector<Row>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r[0].as_int());
    return out;
  }

  TempDir dir_;
  ManualClock clock_{1618853823000};
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<TableStore> store_;
};

TEST_F(TableStoreTest, AppendTableVersionsHistoryAndTimeTravel) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  EXPECT_EQ(t->version(), 0);
  EXPECT_FALSE(t->upsert());
  EXPECT_EQ(CommitRows(t, {Event(1, "a"), Event(2, "b"), Event(3, "c")}, 1), 1);
  EXPECT_EQ(CommitRows(t, {Event(4, "d"), Event(5, "e")}, 2), 2);
  EXPECT_EQ(t->version(), 2);

  EXPECT_TRUE(ScanAll(t, 0).empty());
  EXPECT_EQ(Inds(ScanAll(t, 1)), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Inds(ScanAll(t, 2)), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  auto rows = ScanAll(t);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3], Event(4, "d"));  // every column round-trips, arrays and timestamps too

  Status bad = t->Scan(3, [](const Row&) { return Status::OK(); });
  EXPECT_EQ(bad.code(), Status::Code::kInvalidArgument) << bad.ToString();

  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].version, 0);
  EXPECT_EQ(history[0].operation, "CREATE TABLE");
  EXPECT_EQ(history[1].operation, "STREAMING UPDATE");
  EXPECT_EQ(history[1].rows_added, 3);
  EXPECT_EQ(history[2].rows_added, 2);
  EXPECT_EQ(history[2].batch_id, 2);
  EXPECT_EQ(history[2].offsets["s"]["shardId-000000000000"], "2");
  EXPECT_EQ(history[1].time_ms, 1618853823000);
  auto j = history[1].ToJson();
  EXPECT_EQ(j["timestamp"], "2021-04-19T17:37:03Z");
  EXPECT_EQ(j.begin().key(), "version");

  // Everything survives a reopen, and row ids continue where they stopped.
  Reopen();
  t = store_->Find("events");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->version(), 2);
  EXPECT_EQ(CommitRows(t, {Event(6, "f")}), 3);
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Inds(ScanAll(t, 1)), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(TableStoreTest, AppendTableRowsSpanManyBlocks) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  // Versions of 1, 700 (several blocks of ~32 KiB) and 1 row again, and an abort in between.
  const std::string filler(150, 'f');
  std::vector<int64_t> sizes = {1, 700, 1, 1300};
  std::vector<int64_t> expected;
  int64_t ind = 0;
  for (size_t v = 0; v < sizes.size(); ++v) {
    if (v == 2) {
      rocksdb::WriteBatch dropped;
      for (int i = 0; i < 500; ++i) ASSERT_OK(t->Stage(Event(-1, filler), &dropped));
      EXPECT_GT(dropped.Count(), 0u);  // full blocks went into the batch already
      t->Aborted();
    }
    std::vector<Row> rows;
    for (int64_t i = 0; i < sizes[v]; ++i) rows.push_back(Event(ind++, filler));
    EXPECT_EQ(CommitRows(t, rows), static_cast<int64_t>(v) + 1);
  }
  auto check = [&] {
    int64_t total = 0;
    for (size_t v = 0; v < sizes.size(); ++v) {
      total += sizes[v];
      auto rows = ScanAll(t, static_cast<int64_t>(v) + 1);
      ASSERT_EQ(static_cast<int64_t>(rows.size()), total);
      for (int64_t i = 0; i < total; ++i) ASSERT_EQ(rows[i], Event(i, filler)) << i;
    }
  };
  check();
  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  EXPECT_EQ(history[2].rows_added, 700);
  EXPECT_EQ(history[4].rows_added, 1300);
  Reopen();
  t = store_->Find("events");
  check();
  EXPECT_EQ(CommitRows(t, {Event(ind, filler)}), 5);
  EXPECT_EQ(ScanAll(t).size(), 2003u);
}

// Blocks written ahead of a commit that never came (a batch run killed midway): invisible, not
// counted as rows on reload, and dropped before the next rows, which reuse their row ids and
// version number -- fewer of them here, so a leftover block would show in the next version.
TEST_F(TableStoreTest, BlocksWrittenAheadOfAMissingCommitAreDropped) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  const std::string filler(150, 'f');
  EXPECT_EQ(CommitRows(t, {Event(0, filler), Event(1, filler)}), 1);
  {
    rocksdb::WriteBatch ahead;
    for (int i = 0; i < 1000; ++i) ASSERT_OK(t->Stage(Event(-1, filler), &ahead));
    ASSERT_GT(ahead.Count(), 2u);  // several full blocks
    ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &ahead).ok());
  }
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{0, 1}));  // before the crash
  Reopen();
  t = store_->Find("events");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->version(), 1);
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{0, 1}));
  auto raw_blocks = [&] {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[2]));
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  };
  EXPECT_GT(raw_blocks(), 2);
  ASSERT_OK(store_->DropUncommittedRows());
  EXPECT_EQ(raw_blocks(), 1);                // the committed version's one block
  ASSERT_OK(store_->DropUncommittedRows());  // nothing left to drop: writes nothing

  // The next version reuses the row ids: 300 rows, fewer than were written ahead.
  std::vector<Row> rows;
  for (int64_t i = 2; i < 302; ++i) rows.push_back(Event(i, filler));
  EXPECT_EQ(CommitRows(t, rows), 2);
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 302; ++i) want.push_back(i);
  EXPECT_EQ(Inds(ScanAll(t)), want);
  Reopen();
  t = store_->Find("events");
  EXPECT_EQ(Inds(ScanAll(t)), want);
  EXPECT_EQ(CommitRows(t, {Event(302, filler)}), 3);
  EXPECT_EQ(ScanAll(t).size(), 303u);
}

TEST_F(TableStoreTest, UpsertTableKeepsTheLatestRowPerKeyInKeyOrder) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(TotalsSpec()));
  EXPECT_TRUE(t->upsert());
  CommitRows(t, {Total("fr", 2020, 1), Total("de", 2021, 2), Total("de", 2019, 3)});
  // The same key twice in one batch: the later row wins.
  CommitRows(t, {Total("fr", 2020, 10), Total("at", -5, 4), Total("fr", 2020, 11)});
  EXPECT_EQ(ScanAll(t, 1),
            (std::vector<Row>{Total("de", 2019, 3), Total("de", 2021, 2), Total("fr", 2020, 1)}));
  EXPECT_EQ(ScanAll(t), (std::vector<Row>{Total("at", -5, 4), Total("de", 2019, 3),
                                          Total("de", 2021, 2), Total("fr", 2020, 11)}));
  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  EXPECT_EQ(history.back().rows_added, 2);  // distinct keys written

  // Many versions of one key: every version reads back its own value.
  for (int i = 0; i < 50; ++i) CommitRows(t, {Total("de", 2019, 100 + i)});
  for (int i = 0; i < 50; ++i) {
    auto rows = ScanAll(t, 3 + i);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1], Total("de", 2019, 100 + i)) << "version " << 3 + i;
  }
  Reopen();
  t = store_->Find("totals");
  EXPECT_EQ(ScanAll(t, 2), (std::vector<Row>{Total("at", -5, 4), Total("de", 2019, 3),
                                             Total("de", 2021, 2), Total("fr", 2020, 11)}));
}

TEST_F(TableStoreTest, RestoreHidesLaterRowsButTimeTravelStillSeesThem) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  CommitRows(t, {Event(1, "a"), Event(2, "b")});  // v1
  CommitRows(t, {Event(3, "c")});                 // v2
  EXPECT_EQ(Restore(t, 1), 3);                    // v3 = v1
  CommitRows(t, {Event(4, "d")});                 // v4 = v1 + d
  EXPECT_EQ(Restore(t, 2), 5);                    // v5 = v2
  CommitRows(t, {Event(5, "e")});                 // v6 = v2 + e
  EXPECT_EQ(Restore(t, 4), 7);                    // v7 = v4 = v1 + d
  EXPECT_EQ(Restore(t, 0), 8);                    // v8 = empty
  CommitRows(t, {Event(6, "f")});                 // v9 = f

  const std::vector<std::vector<int64_t>> expected = {
      {}, {1, 2}, {1, 2, 3}, {1, 2}, {1, 2, 4}, {1, 2, 3}, {1, 2, 3, 5}, {1, 2, 4}, {}, {6}};
  auto check = [&] {
    for (size_t v = 0; v < expected.size(); ++v) {
      EXPECT_EQ(Inds(ScanAll(t, static_cast<int64_t>(v))), expected[v]) << "version " << v;
    }
  };
  check();
  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  ASSERT_EQ(history.size(), 10u);
  EXPECT_EQ(history[3].operation, "RESTORE");
  EXPECT_EQ(history[3].restored_version, 1);
  EXPECT_EQ(history[3].ToJson()["restored_version"], 1);
  EXPECT_FALSE(history[4].ToJson().contains("restored_version"));

  Reopen();  // restores are rebuilt from the commit log
  t = store_->Find("events");
  check();

  // Refused: a version that does not exist, or rows already staged.
  rocksdb::WriteBatch batch;
  EXPECT_FALSE(t->StageRestore(10, {}, &batch).ok());
  ASSERT_OK(t->Stage(Event(7, "g"), &batch));
  EXPECT_FALSE(t->StageRestore(1, {}, &batch).ok());
  t->Aborted();
}

TEST_F(TableStoreTest, RestoreOfAnUpsertTable) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(TotalsSpec()));
  CommitRows(t, {Total("fr", 2020, 1)});                        // v1
  CommitRows(t, {Total("fr", 2020, 2), Total("de", 2020, 5)});  // v2
  Restore(t, 1);                                                // v3 = v1
  CommitRows(t, {Total("at", 2020, 7)});                        // v4
  EXPECT_EQ(ScanAll(t, 3), (std::vector<Row>{Total("fr", 2020, 1)}));
  EXPECT_EQ(ScanAll(t), (std::vector<Row>{Total("at", 2020, 7), Total("fr", 2020, 1)}));
  EXPECT_EQ(ScanAll(t, 2), (std::vector<Row>{Total("de", 2020, 5), Total("fr", 2020, 2)}));
}

TEST_F(TableStoreTest, RowsThatBreakTheSchemaAreRefusedAndNothingIsStaged) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  rocksdb::WriteBatch batch;
  const std::vector<Row> bad = {
      {Value::String("1"), Value(), Value(), Value()},  // wrong type
      {Value(), Value::String("x"), Value(), Value()},  // null in a not-null column
      {Value::Int(1), Value::String("x"), Value()},     // too few columns
      {Value::Int(1), Value(), Value(), Value::MakeArray({Value::String("x")})},  // element type
      {Value::Int(1), Value(), Value::Int(5), Value()},  // int is not a timestamp
  };
  for (const auto& row : bad) {
    Status s = t->Stage(row, &batch);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("events"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(t->staged_rows(), 0);
  EXPECT_EQ(batch.Count(), 0u);
  ASSERT_OK(t->Stage({Value::Int(1), Value(), Value(), Value::MakeArray({Value()})}, &batch));
  EXPECT_EQ(t->staged_rows(), 1);
}

TEST_F(TableStoreTest, DeclareWithAChangedSchemaNamesTheDifference) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(TotalsSpec()));
  ASSERT_OK_AND_ASSIGN(Table * again, store_->Declare(TotalsSpec()));
  EXPECT_EQ(t, again);

  auto expect_refused = [&](const TableSpec& spec, const std::string& needle) {
    auto r = store_->Declare(spec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  };
  TableSpec retyped = TotalsSpec();
  retyped.schema = Schema({Col("country", Type::kString, false), Col("year", Type::kString, false),
                           Col("count", Type::kInt)});
  expect_refused(retyped, "'year' string not null in the declaration");
  TableSpec added = TotalsSpec();
  added.schema.Add(Col("extra", Type::kDouble));
  expect_refused(added, "adds column 'extra'");
  TableSpec removed = TotalsSpec();
  removed.schema = Schema({Col("country", Type::kString, false), Col("year", Type::kInt, false)});
  expect_refused(removed, "has column 'count'");
  TableSpec rekeyed = TotalsSpec();
  rekeyed.key_columns = {"country"};
  expect_refused(rekeyed, "key (country, year) but the declaration has key (country)");
  TableSpec nullable = TotalsSpec();
  nullable.schema = Schema({Col("country", Type::kString, true), Col("year", Type::kInt, false),
                            Col("count", Type::kInt)});
  expect_refused(nullable, "'country'");

  // Specs that cannot be tables at all.
  TableSpec bad_key = TotalsSpec();
  bad_key.name = "other";
  bad_key.key_columns = {"nope"};
  EXPECT_FALSE(store_->Declare(bad_key).ok());
  TableSpec twice = EventsSpec();
  twice.name = "other";
  twice.schema.Add(Col("ind", Type::kInt));
  EXPECT_FALSE(store_->Declare(twice).ok());
  EXPECT_EQ(store_->Find("other"), nullptr);

  // The declared spec survives a reopen exactly.
  Reopen();
  ASSERT_NE(store_->Find("totals"), nullptr);
  EXPECT_EQ(store_->Find("totals")->spec(), TotalsSpec());
  expect_refused(rekeyed, "key (country, year)");
}

TEST_F(TableStoreTest, AddedColumnsReadAsNullInOlderRows) {
  ASSERT_OK_AND_ASSIGN(Table * events, store_->Declare(EventsSpec()));
  ASSERT_OK_AND_ASSIGN(Table * totals, store_->Declare(TotalsSpec()));
  CommitRows(events, {Event(1, "a")});
  CommitRows(totals, {Total("fr", 2020, 1), Total("de", 2020, 2)});

  EXPECT_EQ(store_->AddColumns("events", {Col("source", Type::kString, false)}).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->AddColumns("nope", {Col("source", Type::kString)}).code(),
            Status::Code::kResourceNotFound);
  ASSERT_OK(store_->AddColumns("events", {Col("source", Type::kString)}));
  ASSERT_OK(store_->AddColumns("totals", {Col("note", Type::kString)}));
  Row with_source = Event(2, "b");
  with_source.push_back(Value::String("s"));
  CommitRows(events, {with_source});
  Row newer = Total("fr", 2020, 3);
  newer.push_back(Value::String("n"));
  CommitRows(totals, {newer});

  Row old_event = Event(1, "a");
  old_event.push_back(Value());
  Row old_total = Total("de", 2020, 2);
  old_total.push_back(Value());
  const std::vector<Row> want_events = {old_event, with_source};
  const std::vector<Row> want_totals = {old_total, newer};
  EXPECT_EQ(ScanAll(events), want_events);
  EXPECT_EQ(ScanAll(totals), want_totals);
  // The schema is the catalog's: a reopen and a Declare of the grown spec agree.
  Reopen();
  TableSpec grown = EventsSpec();
  grown.schema.Add(Col("source", Type::kString));
  ASSERT_OK_AND_ASSIGN(events, store_->Declare(grown));
  EXPECT_EQ(ScanAll(events), want_events);
  EXPECT_EQ(ScanAll(store_->Find("totals")), want_totals);
}

// A projection decodes the wanted columns only and reads the rest as null, over every encoding
// it must step over (strings, timestamps, arrays, nulls) and rows shorter than the schema.
TEST_F(TableStoreTest, ScanWithAProjectionReadsTheWantedColumnsOnly) {
  ASSERT_OK_AND_ASSIGN(Table * events, store_->Declare(EventsSpec()));
  ASSERT_OK_AND_ASSIGN(Table * totals, store_->Declare(TotalsSpec()));
  Row with_nulls = Event(2, "b");
  with_nulls[1] = Value();
  with_nulls[3] = Value();
  CommitRows(events, {Event(1, "a"), with_nulls, Event(3, "c")});
  CommitRows(totals, {Total("fr", 2020, 1), Total("de", 2021, 2)});
  ASSERT_OK(store_->AddColumns("events", {Col("source", Type::kString)}));
  Row with_source = Event(4, "d");
  with_source.push_back(Value::String("s"));
  CommitRows(events, {with_source});

  auto project = [](const Table* t, const std::vector<bool>& wanted) {
    std::vector<Row> rows;
    EXPECT_OK(t->Scan(std::nullopt, wanted, [&](const Row& r) {
      rows.push_back(r);
      return Status::OK();
    }));
    return rows;
  };
  auto keep = [](const std::vector<Row>& rows, const std::vector<bool>& wanted) {
    std::vector<Row> out = rows;
    for (Row& r : out) {
      for (size_t i = 0; i < r.size(); ++i) {
        if (i >= wanted.size() || !wanted[i]) r[i] = Value();
      }
    }
    return out;
  };
  const std::vector<Row> all_events = ScanAll(events);
  ASSERT_EQ(all_events.size(), 4u);
  for (const std::vector<bool>& wanted :
       std::vector<std::vector<bool>>{{true, false, false, true, false},
                                      {false, true, false, false, true},
                                      {false, false, true},
                                      {},
                                      {true, true, true, true, true}}) {
    EXPECT_EQ(project(events, wanted), keep(all_events, wanted));
  }
  const std::vector<Row> all_totals = ScanAll(totals);
  for (const std::vector<bool>& wanted :
       std::vector<std::vector<bool>>{{false, false, true}, {true, false, false}}) {
    EXPECT_EQ(project(totals, wanted), keep(all_totals, wanted));
  }
}

TEST_F(TableStoreTest, AbortedRollsBackRowIdsAndVersions) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  {
    rocksdb::WriteBatch dropped;
    ASSERT_OK(t->Stage(Event(1, "dropped"), &dropped));
    ASSERT_OK(t->Stage(Event(2, "dropped"), &dropped));
    ASSERT_OK_AND_ASSIGN(auto v, t->StageCommit({}, &dropped));
    EXPECT_EQ(v, 1);
    t->Aborted();  // the batch is never written
  }
  EXPECT_EQ(t->version(), 0);
  EXPECT_EQ(t->staged_rows(), 0);
  EXPECT_EQ(CommitRows(t, {Event(3, "kept")}), 1);
  Reopen();
  t = store_->Find("events");
  EXPECT_EQ(CommitRows(t, {Event(4, "kept")}), 2);
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{3, 4}));
  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  EXPECT_EQ(history.size(), 3u);

  // Nothing staged: no version unless forced.
  rocksdb::WriteBatch batch;
  ASSERT_OK_AND_ASSIGN(auto none, t->StageCommit({}, &batch));
  EXPECT_FALSE(none.has_value());
  TableCommit rewind;
  rewind.operation = "REWIND";
  ASSERT_OK_AND_ASSIGN(auto forced, t->StageCommit(rewind, &batch, /*force=*/true));
  EXPECT_EQ(forced, 3);
}

TEST_F(TableStoreTest, ScansSeeCommittedVersionsOnly) {
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(EventsSpec()));
  ASSERT_OK_AND_ASSIGN(Table * u, store_->Declare(TotalsSpec()));
  CommitRows(t, {Event(1, "a")});
  CommitRows(u, {Total("fr", 1, 1)});
  // The batch reached the DB, but Committed() was not called yet: readers keep the old version.
  rocksdb::WriteBatch batch;
  ASSERT_OK(t->Stage(Event(2, "b"), &batch));
  ASSERT_OK(u->Stage(Total("fr", 1, 2), &batch));
  ASSERT_OK(t->StageCommit({}, &batch).status());
  ASSERT_OK(u->StageCommit({}, &batch).status());
  ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &batch).ok());
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{1}));
  EXPECT_EQ(ScanAll(u), (std::vector<Row>{Total("fr", 1, 1)}));
  ASSERT_OK_AND_ASSIGN(auto history, t->History());
  EXPECT_EQ(history.size(), 2u);
  t->Committed();
  u->Committed();
  EXPECT_EQ(Inds(ScanAll(t)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ScanAll(u), (std::vector<Row>{Total("fr", 1, 2)}));
}

TEST_F(TableStoreTest, ListIsByName) {
  ASSERT_OK(store_->Declare(TotalsSpec()).status());
  ASSERT_OK(store_->Declare(EventsSpec()).status());
  auto list = store_->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]->spec().name, "events");
  EXPECT_EQ(list[1]->spec().name, "totals");
  Reopen();
  EXPECT_EQ(store_->List().size(), 2u);
  // Ids keep growing after a reopen: a new table does not share the old tables' keys.
  TableSpec third = EventsSpec();
  third.name = "third";
  ASSERT_OK_AND_ASSIGN(Table * t, store_->Declare(third));
  EXPECT_TRUE(ScanAll(t).empty());
  CommitRows(t, {Event(9, "z")});
  EXPECT_TRUE(ScanAll(store_->Find("events")).empty());
}

}  // namespace
}  // namespace pinstream
