#include "sinks/processor_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "common/coding.h"
#include "common/rocksdb_logger.h"
#include "common/rocksdb_status.h"
#include "common/time_format.h"
#include "sinks/undo_log.h"

namespace pinstream {

namespace {

constexpr char kMetaFamily[] = "meta";
constexpr char kRowsFamily[] = "rows";
constexpr char kStateFamily[] = "state";
constexpr char kOffsetsPrefix[] = "offsets/";
constexpr char kOutboxPrefix[] = "outbox/";
// A read-only open can race with the writer deleting a WAL or table file it just listed, or
// with a flush it did not see; the next attempt sees the new file set.
constexpr int kReadOnlyOpenAttempts = 30;

// The memtable insert hint's prefix for operator state: the namespace ([length][operator id])
// and the first byte of the operator's key, its record kind. A commit stages state in key order,
// so within such a prefix each insert lands just after the previous one: with a hint per prefix
// the skip list resumes there instead of searching from its head. (RocksDB shares the hints with
// range tombstones; the state family has none.)
class StateKindPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "pinstream.StateKindPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), PrefixSize(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return PrefixSize(key) != 0; }

 private:
  // 0 when the key has no such prefix (an id of 128 bytes or more: a longer varint).
  static size_t PrefixSize(const rocksdb::Slice& key) {
    if (key.empty()) return 0;
    const auto length = static_cast<uint8_t>(key[0]);
    if (length >= 0x80 || key.size() < size_t{1} + length + 1) return 0;
    return size_t{1} + length + 1;
  }
};

// The write-ahead log files in `path`. RocksDB deletes a WAL only after the MANIFEST records
// that its contents were flushed; a read-only open during which no WAL disappeared therefore
// replayed every WAL that its MANIFEST needs. (One that did not may have read the MANIFEST before
// a flush and listed the WALs after it: the flushed rows would be missing from its view.)
std::set<std::string> WalFiles(const std::string& path) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.path().extension() == ".log") out.insert(entry.path().filename().string());
  }
  return out;
}

bool AnyMissing(const std::set<std::string>& before, const std::set<std::string>& after) {
  return !std::includes(after.begin(), after.end(), before.begin(), before.end());
}

// `type` when this RocksDB build has it, else none.
rocksdb::CompressionType Supported(rocksdb::CompressionType type) {
  auto all = rocksdb::GetSupportedCompressions();
  return std::find(all.begin(), all.end(), type) != all.end() ? type : rocksdb::kNoCompression;
}

// A read-only instance must not rotate the writer's info log (RocksDB's LOG file).
class NullLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

}  // namespace

TableSpec DeadLettersSpec() {
  TableSpec spec;
  spec.name = kDeadLettersTable;
  // `topology` came last, in a later release: stores made before get it by AddColumns.
  for (const char* name : {"stream", "shard_id", "sequence_number", "arrival", "partition_key",
                           "data", "operator", "error", "topology"}) {
    Column c;
    c.name = name;
    c.type = std::string_view(name) == "arrival" ? Type::kTimestamp : Type::kString;
    spec.schema.Add(std::move(c));
  }
  return spec;
}

// Stages rows of one table into the store's current batch.
class ProcessorStore::Writer final : public TableWriter {
 public:
  Writer(ProcessorStore* store, Table* table) : store_(store), table_(table) {}

  Status Write(const Row& row) override {
    RETURN_IF_ERROR(store_->CheckWritable());
    RETURN_IF_ERROR(table_->Stage(row, store_->RowBatch()));
    return store_->MaybeWriteRowsAhead();
  }

  Table* table() const { return table_; }

 private:
  ProcessorStore* store_;  // owns this writer
  Table* table_;           // owned by the store's TableStore
};

ProcessorStore::ProcessorStore(const Options& options) : options_(options) {}

ProcessorStore::~ProcessorStore() {
  if (commit_worker_.pending()) (void)AwaitCommits();  // a failure is logged
  if (rows_worker_.pending()) (void)AwaitRowsAhead();  // its blocks stay uncommitted
  if (compaction_.valid()) {
    cancel_compaction_.store(true);
    compaction_.wait();
  }
  // A clean shutdown leaves no WAL behind: every read-only open (`pinstream sql`, `table
  // scan`) would otherwise replay it into memtables before reading a row, which for a
  // finished `run --once` of a million posts was most of a query's time. Recovery flushes
  // what a crash leaves anyway. The flush starts first, so that freeing the state cache
  // overlaps it.
  const bool flush = db_ && !options_.read_only && error_.ok();
  if (flush) StartFlush();
  writers_.clear();
  state_cache_.reset();
  tables_.reset();
  batch_.reset();
  if (flush) {
    rocksdb::FlushOptions wait;
    wait.allow_write_stall = true;
    if (rocksdb::Status s = db_->Flush(wait, handles_); !s.ok()) {
      spdlog::warn("flushing at shutdown failed path={} error={}", options_.path, s.ToString());
    }
  }
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_.reset();
  }
}

Result<std::unique_ptr<ProcessorStore>> ProcessorStore::Open(const std::string& path,
                                                             bool read_only) {
  Options options;
  options.path = path;
  options.read_only = read_only;
  return Open(options);
}

Result<std::unique_ptr<ProcessorStore>> ProcessorStore::Open(const Options& options) {
  std::error_code ec;
  if (options.read_only) {
    if (!std::filesystem::exists(std::filesystem::path(options.path) / "CURRENT", ec)) {
      return Status::ResourceNotFound("no processor store at '" + options.path + "'");
    }
  } else {
    std::filesystem::create_directories(options.path, ec);
    if (ec) return Status::IOError("creating " + options.path + ": " + ec.message());
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = 2;
  // The meta family takes a few keys a batch: without a cap tied to the write buffers, its
  // unflushed entries pin every WAL file the rows family has long flushed, and the WAL grew to
  // ten times the live data in the soak benchmark (bench/run_soak_bench.sh) before this cap.
  // Not under 64 MiB: tiny write buffers would flush at every WAL switch, and a read-only open
  // could then never see one set of files.
  db_options.max_total_wal_size = std::max(2 * options.write_buffer_bytes, size_t{64} << 20);
  db_options.info_log = NewRocksDbLogger();
  if (options.env) db_options.env = options.env;
  if (options.read_only) {
    // Open every table file up front: the writer may delete files after compactions, and an
    // open descriptor keeps a deleted file readable.
    db_options.max_open_files = -1;
    db_options.info_log = std::make_shared<NullLogger>();
  }

  rocksdb::ColumnFamilyOptions meta_options;
  rocksdb::ColumnFamilyOptions rows_options;
  rows_options.write_buffer_size = options.write_buffer_bytes;
  // Rows are written once and read by scans: spend no CPU compressing the young levels,
  // compress the rest.
  const auto lz4 = Supported(rocksdb::kLZ4Compression);
  rows_options.compression_per_level = {
      rocksdb::kNoCompression,  rocksdb::kNoCompression, lz4, lz4, lz4, lz4,
      Supported(rocksdb::kZSTD)};
  rocksdb::ColumnFamilyOptions state_options;
  state_options.write_buffer_size = options.write_buffer_bytes / 2;
  // Operator state is read by point lookups, most of which miss (a dedup's new keys): Bloom
  // filters answer them, in the memtable as in the table files. 20 bits a key instead of the usual
  // 10 (about 1% false positives) cost 2.5 more bytes a key and make a miss that reads a data
  // block rarer by orders of magnitude.
  state_options.memtable_whole_key_filtering = true;
  state_options.memtable_prefix_bloom_size_ratio = 0.05;
  state_options.memtable_insert_with_hint_prefix_extractor = std::make_shared<StateKindPrefix>();
  rocksdb::BlockBasedTableOptions state_table;
  state_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(20));
  state_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(state_table));

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kMetaFamily, meta_options},
      {kRowsFamily, rows_options},
      {kStateFamily, state_options}};

  std::unique_ptr<ProcessorStore> store(new ProcessorStore(options));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    for (int attempt = 1; attempt <= kReadOnlyOpenAttempts; ++attempt) {
      store->handles_.clear();
      const std::set<std::string> wals = WalFiles(options.path);
      s = rocksdb::DB::OpenForReadOnly(db_options, options.path, families, &store->handles_, &raw);
      if (s.ok() && AnyMissing(wals, WalFiles(options.path))) {
        // The writer flushed meanwhile: this instance may have missed the flushed rows.
        for (auto* h : store->handles_) raw->DestroyColumnFamilyHandle(h);
        store->handles_.clear();
        delete raw;
        raw = nullptr;
        s = rocksdb::Status::Busy("the store changed while it was being opened");
      }
      if (s.ok() || s.IsInvalidArgument() || s.IsNotSupported()) break;
      spdlog::debug("read-only open failed path={} attempt={} error={}", options.path, attempt,
                    s.ToString());
      // Let the writer finish the flush or compaction that moved the files.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 * attempt, 50)));
    }
    if (s.IsInvalidArgument()) {
      return Status::Corruption("'" + options.path + "' is not a processor store: " + s.ToString());
    }
  } else {
    s = rocksdb::DB::Open(db_options, options.path, families, &store->handles_, &raw);
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::ResourceInUse("the processor store at '" + options.path +
                                   "' is open in another process (is `pinstream run` running?)");
    }
  }
  if (!s.ok()) return FromRocks(s, "opening processor store at " + options.path);
  store->db_.reset(raw);
  store->meta_ = store->handles_[1];
  store->rows_ = store->handles_[2];
  store->state_ = store->handles_[3];
  ProcessorStore* self = store.get();
  store->state_cache_ =
      std::make_unique<StateCache>(store->db_.get(), store->state_, options.state_cache_bytes,
                                   StateCache::Hooks{[self] { return self->CheckWritable(); },
                                                     [self] { return self->AwaitCommits(); }});
  if (!options.read_only) {
    store->batch_ = std::make_unique<rocksdb::WriteBatch>();
    if (options.write_ahead) {
      store->rows_ahead_ = std::make_unique<rocksdb::WriteBatch>();
      store->rows_ahead_writing_ = std::make_unique<rocksdb::WriteBatch>();
    }
  }
  store->tables_ =
      std::make_unique<TableStore>(store->db_.get(), store->meta_, store->rows_, options.clock);
  store->batch_log_ = std::make_unique<BatchLog>(store->db_.get(), store->meta_);
  RETURN_IF_ERROR(store->tables_->Load());
  if (!options.read_only) {
    // What a crashed run wrote ahead of a commit that never came (Options::write_ahead).
    RETURN_IF_ERROR(store->tables_->DropUncommittedRows());
    ASSIGN_OR_RETURN(auto ahead, store->batch_log_->WritingAhead());
    for (const auto& [topology, batch_id] : ahead) {
      RETURN_IF_ERROR(store->UndoWrittenAhead(topology, batch_id));
    }
  }
  store->dead_letters_ = store->tables_->Find(kDeadLettersTable);
  if (!options.read_only && store->dead_letters_) {
    const TableSpec want = DeadLettersSpec();
    const auto& have = store->dead_letters_->spec().schema.columns();
    const auto& all = want.schema.columns();
    if (have.size() < all.size()) {
      RETURN_IF_ERROR(store->tables_->AddColumns(
          kDeadLettersTable, std::vector<Column>(all.begin() + have.size(), all.end())));
    }
  }
  if (!options.read_only) {
    // Every processor writes dead letters (SPEC §6): the table exists, empty, from the start.
    ASSIGN_OR_RETURN(store->dead_letters_, store->tables_->Declare(DeadLettersSpec()));
  }
  spdlog::info("processor store opened path={} read_only={} tables={}", options.path,
               options.read_only, store->tables_->List().size());
  return store;
}

Status ProcessorStore::CheckWritable() const {
  if (options_.read_only) [[unlikely]] {
    return Status::InvalidArgument("the processor store at '" + options_.path +
                                   "' is open read-only");
  }
  return error_;
}

Result<TableWriter*> ProcessorStore::OpenTable(const TableDef& def) {
  RETURN_IF_ERROR(CheckWritable());
  ASSIGN_OR_RETURN(Table * table,
                   tables_->Declare(TableSpec{def.name, def.schema, def.key_columns}));
  auto& writer = writers_[def.name];
  if (!writer) writer = std::make_unique<Writer>(this, table);
  return writer.get();
}

StateStore* ProcessorStore::State(std::string_view op_id) { return state_cache_->State(op_id); }

Result<Checkpoint> ProcessorStore::LoadCheckpoint(std::string_view topology) {
  ASSIGN_OR_RETURN(auto rewinding, batch_log_->Rewinding(topology));
  if (rewinding) {
    return Status::InvalidArgument(
        "topology '" + std::string(topology) + "' is halfway through a rewind to batch " +
        std::to_string(rewinding->to) +
        " (offsets reset --rewind-tables was interrupted): run it again to finish it");
  }
  return ReadCheckpoint(topology);
}

// The newest batch's checkpoint, without the check for a half-written rewind (which Reset
// finishes).
Result<Checkpoint> ProcessorStore::ReadCheckpoint(std::string_view topology) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, BatchLog::OffsetsKey(topology), &value);
  if (s.IsNotFound()) return Checkpoint();
  RETURN_IF_ERROR(FromRocks(s, "reading the offsets of topology '" + std::string(topology) + "'"));
  ASSIGN_OR_RETURN(BatchRecord record, BatchLog::Parse(topology, value));
  last_batch_ids_[std::string(topology)] = record.batch_id;
  return Checkpoint{std::move(record.offsets), std::move(record.arrivals),
                    std::move(record.incarnations)};
}

Result<int64_t> ProcessorStore::LastBatchId(std::string_view topology) {
  auto it = last_batch_ids_.find(topology);
  if (it != last_batch_ids_.end()) return it->second;
  RETURN_IF_ERROR(ReadCheckpoint(topology).status());
  it = last_batch_ids_.find(topology);
  return it == last_batch_ids_.end() ? 0 : it->second;
}

Result<Table*> ProcessorStore::DeadLetters() {
  if (!dead_letters_) {
    ASSIGN_OR_RETURN(dead_letters_, tables_->Declare(DeadLettersSpec()));
  }
  return dead_letters_;
}

Status ProcessorStore::WriteDeadLetter(const DeadLetter& letter) {
  RETURN_IF_ERROR(CheckWritable());
  ASSIGN_OR_RETURN(Table * table, DeadLetters());
  Row& row = dead_letter_row_;
  row.clear();
  row.push_back(Value::String(letter.stream));
  row.push_back(Value::String(letter.shard_id));
  row.push_back(Value::String(letter.sequence_number));
  row.push_back(Value::TimestampMs(letter.arrival_ms));
  row.push_back(Value::String(letter.partition_key));
  row.push_back(Value::String(letter.data));
  row.push_back(Value::String(letter.op));
  row.push_back(Value::String(letter.error));
  row.push_back(Value::String(letter.topology));
  RETURN_IF_ERROR(table->Stage(row, RowBatch()));
  return MaybeWriteRowsAhead();
}

// Hands the staged blocks to rows_worker_ once there are enough of them: one write at a time,
// so a writer slower than the staging holds the staging back.
Status ProcessorStore::MaybeWriteRowsAhead() {
  if (!rows_ahead_ || rows_ahead_->GetDataSize() < options_.rows_ahead_bytes) return Status::OK();
  RETURN_IF_ERROR(AwaitRowsAhead());
  std::swap(rows_ahead_, rows_ahead_writing_);
  rows_written_ahead_ = true;
  rows_worker_.Submit([this] {
    Status st = Write("writing rows ahead of their commit", rows_ahead_writing_.get());
    rows_ahead_writing_->Clear();
    return st;
  });
  return Status::OK();
}

Status ProcessorStore::AwaitRowsAhead() {
  if (rows_worker_.pending()) {
    if (Status st = rows_worker_.Await(); !st.ok()) {
      FailWrite(st);
      return st;
    }
  }
  return error_;
}

void ProcessorStore::SetCommitInfo(const CommitInfo& info) {
  commit_operation_ = info.operation;
  commit_parameters_ = info.parameters_json.empty()
                           ? nlohmann::json()
                           : nlohmann::json::parse(info.parameters_json, nullptr, false);
  if (commit_parameters_.is_discarded()) commit_parameters_ = info.parameters_json;
}

Status ProcessorStore::StageOutbox(std::string_view key, std::string_view value) {
  RETURN_IF_ERROR(CheckWritable());
  return FromRocks(batch_->Put(meta_, std::string(kOutboxPrefix).append(key), value),
                   "staging an outbox entry");
}

Status ProcessorStore::ScanOutbox(std::string_view prefix, const Visitor& visit) {
  const std::string start = std::string(kOutboxPrefix).append(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    key.remove_prefix(sizeof(kOutboxPrefix) - 1);
    if (!visit(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return FromRocks(it->status(), "reading the outbox");
}

Status ProcessorStore::DeleteOutbox(std::span<const std::string> keys) {
  // Not CheckWritable: error_ belongs to the processor's thread. A failed delete leaves the
  // entries to be sent again, which their ids make harmless.
  if (options_.read_only) return Status::InvalidArgument("the store is read-only");
  rocksdb::WriteBatch batch;
  for (const auto& key : keys) {
    RETURN_IF_ERROR(FromRocks(batch.Delete(meta_, std::string(kOutboxPrefix).append(key)),
                              "deleting outbox entries"));
  }
  return Write("deleting sent outbox entries", &batch);
}

Result<int64_t> ProcessorStore::NextBatchId(std::string_view topology) {
  ASSIGN_OR_RETURN(const int64_t last, LastBatchId(topology));
  return last + 1;
}

Result<int64_t> ProcessorStore::Commit(std::string_view topology, const Checkpoint& checkpoint) {
  // One write at a time, in batch order; and the previous batch must be in the DB before its
  // state may leave the cache.
  RETURN_IF_ERROR(AwaitCommits());
  RETURN_IF_ERROR(CheckWritable());
  if (rows_ahead_) {
    // The blocks written ahead must be in the DB before the commit that makes them visible.
    RETURN_IF_ERROR(AwaitRowsAhead());
    if (rows_ahead_->Count() > 0) {
      rows_written_ahead_ = true;
      if (Status st = Write("writing rows ahead of their commit", rows_ahead_.get()); !st.ok()) {
        FailWrite(st);
        return st;
      }
      rows_ahead_->Clear();
    }
  }
  state_cache_->Written();
  ASSIGN_OR_RETURN(BatchRecord record, NextBatch(topology, checkpoint));

  TableCommit commit;
  commit.time_ms = record.time_ms;
  commit.operation = commit_operation_;
  commit.parameters = commit_parameters_;
  commit.offsets = OffsetsToJson(checkpoint.offsets);
  commit.batch_id = record.batch_id;
  std::vector<Table*> tables = tables_->List();
  for (Table* table : tables) {
    auto version = table->StageCommit(commit, batch_.get());
    if (!version.ok()) {
      Abort();
      return version.status();
    }
    const bool mine = writers_.contains(table->spec().name) || table == dead_letters_;
    if (mine) record.tables[table->spec().name] = version->value_or(table->version());
  }
  if (Status st = StageBatchRecord(record); !st.ok()) {
    Abort();
    return st;
  }
  std::string undo_key = BatchLog::UndoKey(topology, record.batch_id);
  if (state_ahead_) {
    // The commit writes the last part of the undo log, and ends the write-ahead.
    if (state_ahead_->topology != topology || state_ahead_->batch_id != record.batch_id) {
      Abort();
      return Status::Internal("a commit of topology '" + std::string(topology) +
                              "' while the state of another batch is written ahead");
    }
    undo_key = BatchLog::UndoPartKey(topology, record.batch_id, state_ahead_->parts);
    if (Status st = FromRocks(batch_->Delete(meta_, BatchLog::WritingAheadKey(topology)),
                              "staging the end of the write-ahead");
        !st.ok()) {
      Abort();
      return st;
    }
    state_ahead_.reset();
  }
  // Sealed: the batch's state is what the next batch reads, from the cache, which keeps every
  // key of the batch until it is written. The state's part of the batch (and its undo log) is
  // built by the write, which may run on another thread while the next batch is staged.
  StateCache::Sealed state = state_cache_->Seal();
  last_batch_ids_[std::string(topology)] = record.batch_id;
  std::swap(batch_, writing_);
  if (!batch_) batch_ = std::make_unique<rocksdb::WriteBatch>();
  // The blocks written ahead now belong to the sealed batch: should its write fail, the store
  // stops writing and the next Open drops them.
  rows_written_ahead_ = false;
  // Retention runs after the write, on its thread, with what the processor's thread knows now.
  std::optional<RetentionPolicy> retention;
  std::vector<std::string> topology_tables;
  if (auto r = retention_.find(topology); r != retention_.end()) {
    retention = r->second;
    for (const auto& [name, _] : record.tables) topology_tables.push_back(name);
  }
  auto write = [this, tables = std::move(tables), state = std::move(state),
                retention = std::move(retention), topology_tables = std::move(topology_tables),
                topology = std::string(topology), now_ms = record.time_ms,
                undo_key = std::move(undo_key),
                what = "committing batch " + std::to_string(record.batch_id) + " of topology '" +
                       std::string(topology) + "'"]() mutable {
    Status st = StageState(&state, undo_key, writing_.get());
    if (st.ok()) st = Write(what, writing_.get());
    if (st.ok()) {
      for (Table* table : tables) table->Committed();
    }
    writing_->Clear();
    if (st.ok() && retention) {
      st = MaybeApplyRetention(topology, *retention, topology_tables, now_ms);
    }
    return st;
  };
  if (options_.pipeline_commits) {
    commit_worker_.Submit(std::move(write));
    return record.batch_id;
  }
  if (Status written = write(); !written.ok()) {
    FailWrite(written);
    return written;
  }
  return record.batch_id;
}

Status ProcessorStore::MaybeWriteAhead(std::string_view topology) {
  if (!options_.write_ahead || state_cache_->staged_keys() < options_.state_ahead_keys) {
    return Status::OK();
  }
  // One part at a time, and the previous one must be in the DB before its state may leave the
  // cache (as between commits).
  RETURN_IF_ERROR(AwaitCommits());
  RETURN_IF_ERROR(CheckWritable());
  state_cache_->Written();
  if (!state_ahead_) {
    ASSIGN_OR_RETURN(const int64_t last_batch_id, LastBatchId(topology));
    state_ahead_ = StateAhead{std::string(topology), last_batch_id + 1, 0};
  } else if (state_ahead_->topology != topology) {
    return Status::Internal("topology '" + std::string(topology) +
                            "' writes ahead while another's batch is open");
  }
  const bool first = state_ahead_->parts == 0;
  std::string undo_key =
      BatchLog::UndoPartKey(topology, state_ahead_->batch_id, state_ahead_->parts++);
  // The marker comes with the first part: from then on, a crash leaves parts to undo.
  auto write = [this, first, batch_id = state_ahead_->batch_id, state = state_cache_->Seal(),
                topology = std::string(topology), undo_key = std::move(undo_key)]() mutable {
    rocksdb::WriteBatch batch;
    if (first) RETURN_IF_ERROR(batch_log_->StageWritingAhead(topology, batch_id, &batch));
    RETURN_IF_ERROR(StageState(&state, undo_key, &batch));
    return Write("writing operator state ahead of its commit", &batch);
  };
  commit_worker_.Submit(std::move(write));
  return Status::OK();
}

void ProcessorStore::StartFlush() {
  if (options_.read_only) return;
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  if (rocksdb::Status s = db_->Flush(flush, handles_); !s.ok()) {
    // Only an early start: the destructor's flush, or recovery, writes the memtables anyway.
    spdlog::warn("starting a flush failed path={} error={}", options_.path, s.ToString());
  }
}

Status ProcessorStore::AwaitCommits() {
  if (commit_worker_.pending()) {
    if (Status st = commit_worker_.Await(); !st.ok()) FailWrite(st);
  }
  return error_;
}

// What reached the DB is unknown: stop writing until a reopen recovers the truth.
void ProcessorStore::FailWrite(const Status& st) {
  spdlog::error("write failed: {}", st.ToString());
  error_ = st;
  Abort();
}

// The record of the topology's next batch, at `checkpoint`, stamped now; its tables are the
// caller's to fill.
Result<BatchRecord> ProcessorStore::NextBatch(std::string_view topology,
                                              const Checkpoint& checkpoint) {
  ASSIGN_OR_RETURN(const int64_t last_batch_id, LastBatchId(topology));
  BatchRecord record;
  record.topology = topology;
  record.batch_id = last_batch_id + 1;
  record.time_ms = options_.clock->NowMillis();
  record.offsets = checkpoint.offsets;
  record.arrivals = checkpoint.arrivals;
  record.incarnations = checkpoint.incarnations;
  return record;
}

Result<BatchRecord> ProcessorStore::ReadBatch(std::string_view topology, int64_t batch_id) const {
  return batch_log_->Read(topology, batch_id);
}

Status ProcessorStore::StageBatchRecord(const BatchRecord& record) {
  const std::string json = record.ToJson().dump();
  RETURN_IF_ERROR(
      FromRocks(batch_->Put(meta_, BatchLog::BatchKey(record.topology, record.batch_id), json),
                "staging the batch record"));
  return FromRocks(batch_->Put(meta_, BatchLog::OffsetsKey(record.topology), json),
                   "staging offsets");
}

Status ProcessorStore::Write(std::string_view what, rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  return FromRocks(db_->Write(write_options, batch), what);
}

// Applies the undo logs of the batches (rewind_to, state_at], newest first, so that each key
// ends with the value it had after batch `rewind_to`: a later write of a key in a WriteBatch
// wins, and older batches come later, so the oldest before-image is the one left. One undo log
// is in memory at a time; once batch_ holds Options::rewind_write_bytes it is written, with the
// marker saying how far back the state is, and the next logs go into a fresh one. The last part
// stays staged in batch_ for Reset's final write. Each part deletes the undo logs it applied.
Status ProcessorStore::StageStateRewind(std::string_view topology, int64_t rewind_to,
                                        int64_t state_at) {
  return batch_log_->VisitUndoNewestFirst(
      topology, rewind_to, state_at,
      [&](int64_t batch_id, std::string_view key, std::string_view undo) -> Status {
        RETURN_IF_ERROR(StageUndo(topology, undo, batch_.get()));
        RETURN_IF_ERROR(FromRocks(batch_->Delete(meta_, key), "staging the undo log"));
        if (batch_->GetDataSize() < options_.rewind_write_bytes || batch_id - 1 <= rewind_to) {
          return Status::OK();
        }
        // The state is now as it was after batch `batch_id - 1`.
        RETURN_IF_ERROR(
            batch_log_->StageRewinding(topology, {rewind_to, batch_id - 1}, batch_.get()));
        largest_rewind_write_ = std::max(largest_rewind_write_, batch_->GetDataSize());
        ++rewind_writes_;
        RETURN_IF_ERROR(
            Write("rewinding the state of topology '" + std::string(topology) + "'", batch_.get()));
        batch_->Clear();
        return Status::OK();
      });
}

// Puts a sealed batch's state into `batch`, and its undo log at `undo_key` (when any value
// changes).
Status ProcessorStore::StageState(StateCache::Sealed* sealed, const std::string& undo_key,
                                  rocksdb::WriteBatch* batch) {
  ASSIGN_OR_RETURN(std::string undo, state_cache_->Stage(sealed, batch));
  if (undo.empty()) return Status::OK();
  return FromRocks(batch->Put(meta_, undo_key, undo), "staging the undo log");
}

// Stages into `batch` what `undo` (an undo log) says each key held before.
Status ProcessorStore::StageUndo(std::string_view topology, std::string_view undo,
                                 rocksdb::WriteBatch* batch) {
  Status st = ForEachUndo(undo, [&](std::string_view key, std::optional<std::string_view> before) {
    return FromRocks(before ? batch->Put(state_, key, *before) : batch->Delete(state_, key),
                     "staging operator state");
  });
  return st.WithContext("the undo log of topology '" + std::string(topology) + "'");
}

// Takes back the state a batch wrote ahead of a commit that never came: its parts newest first,
// each in a write of its own that also deletes it, so that an interruption leaves the older
// parts, which are still right to apply; then the marker.
Status ProcessorStore::UndoWrittenAhead(std::string_view topology, int64_t batch_id) {
  const std::string what = "undoing the state batch " + std::to_string(batch_id) +
                           " of topology '" + std::string(topology) + "' wrote ahead";
  int64_t parts = 0;
  RETURN_IF_ERROR(batch_log_->VisitUndoNewestFirst(
      topology, batch_id - 1, batch_id,
      [&](int64_t, std::string_view key, std::string_view undo) -> Status {
        rocksdb::WriteBatch batch;
        RETURN_IF_ERROR(StageUndo(topology, undo, &batch));
        RETURN_IF_ERROR(FromRocks(batch.Delete(meta_, key), "staging the undo log"));
        ++parts;
        return Write(what, &batch);
      }));
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Delete(meta_, BatchLog::WritingAheadKey(topology)), what));
  RETURN_IF_ERROR(Write(what, &batch));
  spdlog::info("undid state written ahead topology={} batch={} parts={}", topology, batch_id,
               parts);
  return Status::OK();
}

Result<int64_t> ProcessorStore::Reset(std::string_view topology, const Checkpoint& checkpoint,
                                      std::optional<int64_t> rewind_to) {
  RETURN_IF_ERROR(AwaitCommits());
  RETURN_IF_ERROR(CheckWritable());
  if (batch_->Count() > 0 || state_cache_->staged_keys() > 0 || state_ahead_) {
    return Status::InvalidArgument("a reset cannot share a batch with staged writes");
  }
  ASSIGN_OR_RETURN(BatchRecord record, NextBatch(topology, checkpoint));
  const int64_t last_batch_id = record.batch_id - 1;
  BatchRecord current;
  if (last_batch_id > 0) {
    ASSIGN_OR_RETURN(current, ReadBatch(topology, last_batch_id));
  }
  record.tables = current.tables;
  const bool rewind = rewind_to && *rewind_to < last_batch_id;
  ASSIGN_OR_RETURN(std::optional<RewindInProgress> rewinding, batch_log_->Rewinding(topology));
  if (rewinding && (!rewind || *rewind_to > rewinding->state_at)) {
    return Status::InvalidArgument(
        "topology '" + std::string(topology) + "' is halfway through a rewind to batch " +
        std::to_string(rewinding->to) + " (its operator state is as after batch " +
        std::to_string(rewinding->state_at) + "): only a reset with --rewind-tables to batch " +
        std::to_string(rewinding->state_at) + " or before can finish it");
  }

  // What the tables go back to, checked before anything is written.
  std::vector<std::pair<Table*, int64_t>> restores;
  if (rewind) {
    ASSIGN_OR_RETURN(std::optional<int64_t> floor, batch_log_->RewindFloor(topology));
    if (floor && *rewind_to < *floor) {
      return Status::ResourceNotFound("topology '" + std::string(topology) +
                                      "' cannot rewind to batch " + std::to_string(*rewind_to) +
                                      ": rewind_retention trimmed the batches before batch " +
                                      std::to_string(*floor) + ", the oldest it can rewind to");
    }
    std::map<std::string, int64_t> target;  // table -> version after batch `rewind_to`
    if (*rewind_to > 0) {
      ASSIGN_OR_RETURN(BatchRecord batch, ReadBatch(topology, *rewind_to));
      target = std::move(batch.tables);
    }
    for (const auto& [name, version] : current.tables) {
      Table* table = tables_->Find(name);
      if (!table) continue;
      const int64_t to = target.contains(name) ? target[name] : 0;
      if (table->version() == to) continue;
      if (to < table->oldest_version()) {
        return Status::ResourceNotFound(
            "topology '" + std::string(topology) + "' cannot rewind to batch " +
            std::to_string(*rewind_to) + ": table '" + name + "' no longer has its version " +
            std::to_string(to) + " (history_retention vacuumed it; the oldest left is " +
            std::to_string(table->oldest_version()) + ")");
      }
      restores.emplace_back(table, to);
    }
  }

  std::vector<Table*> restored;
  Status st;
  if (rewind) {
    // State first: it may take several writes; tables, batches and offsets go in the last.
    st = StageStateRewind(topology, *rewind_to, rewinding ? rewinding->state_at : last_batch_id);
    TableCommit commit;
    commit.time_ms = record.time_ms;
    commit.operation = "REWIND";
    commit.offsets = OffsetsToJson(checkpoint.offsets);
    commit.batch_id = record.batch_id;
    for (const auto& [table, to] : restores) {
      if (!st.ok()) break;
      auto v = table->StageRestore(to, commit, batch_.get());
      st = v.status();
      if (!v.ok()) break;
      record.tables[table->spec().name] = *v;
      restored.push_back(table);
    }
    if (st.ok()) {
      st = batch_log_->StageDeleteBatchesAfter(topology, *rewind_to, last_batch_id, batch_.get());
    }
    if (st.ok()) {
      st = FromRocks(batch_->Delete(meta_, BatchLog::RewindingKey(topology)), "staging the rewind");
    }
    if (st.ok()) {
      largest_rewind_write_ = std::max(largest_rewind_write_, batch_->GetDataSize());
      ++rewind_writes_;
    }
  }
  if (st.ok()) st = StageBatchRecord(record);
  if (!st.ok()) {
    if (st.code() == Status::Code::kIOError) {
      FailWrite(st);  // a part of the rewind may have been written
    } else {
      Abort();
    }
    return st;
  }
  st = Write("resetting the offsets of topology '" + std::string(topology) + "'", batch_.get());
  if (!st.ok()) {
    FailWrite(st);
    return st;
  }
  for (Table* table : restored) table->Committed();
  batch_->Clear();
  state_cache_->Clear();  // the state went back: cached values may be newer than it
  last_batch_ids_[std::string(topology)] = record.batch_id;
  return record.batch_id;
}

void ProcessorStore::Abort() {
  if (commit_worker_.pending()) {
    // Abort drops the staged batch, not the one being written.
    if (Status st = commit_worker_.Await(); !st.ok() && error_.ok()) {
      spdlog::error("write failed: {}", st.ToString());
      error_ = st;
    }
  }
  if (rows_worker_.pending()) {
    if (Status st = rows_worker_.Await(); !st.ok() && error_.ok()) {
      spdlog::error("write failed: {}", st.ToString());
      error_ = st;
    }
  }
  if (rows_ahead_) rows_ahead_->Clear();
  if (batch_) batch_->Clear();
  for (Table* table : tables_->List()) table->Aborted();
  state_cache_->Clear();
  if (state_ahead_ && error_.ok()) {
    // After a failed write the store writes nothing more: the next Open undoes the parts.
    if (Status st = UndoWrittenAhead(state_ahead_->topology, state_ahead_->batch_id); !st.ok()) {
      spdlog::error("write failed: {}", st.ToString());
      error_ = st;
    }
  }
  state_ahead_.reset();
  if (rows_written_ahead_ && error_.ok()) {
    // The next rows reuse the dropped ones' row ids and version: the blocks written ahead go
    // first. After a failed write the store writes nothing more: the next Open drops them.
    if (Status st = tables_->DropUncommittedRows(); !st.ok()) {
      spdlog::error("write failed: {}", st.ToString());
      error_ = st;
    }
  }
  rows_written_ahead_ = false;
}

Result<std::vector<BatchRecord>> ProcessorStore::ListOffsets() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  std::vector<BatchRecord> out;
  for (it->Seek(kOffsetsPrefix); it->Valid() && it->key().starts_with(kOffsetsPrefix); it->Next()) {
    std::string topology = it->key().ToString().substr(sizeof(kOffsetsPrefix) - 1);
    ASSIGN_OR_RETURN(BatchRecord record, BatchLog::Parse(topology, it->value().ToStringView()));
    out.push_back(std::move(record));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading offsets"));
  return out;
}

Result<std::vector<BatchRecord>> ProcessorStore::ListBatches(std::string_view topology) const {
  std::vector<BatchRecord> out;
  RETURN_IF_ERROR(batch_log_->VisitNewestFirst(topology, [&](BatchRecord&& record) {
    out.push_back(std::move(record));
    return true;
  }));
  std::reverse(out.begin(), out.end());
  return out;
}

ProcessorStore::Stats ProcessorStore::stats() const {
  Stats stats;
  stats.batch_records_read = batch_log_->records_read();
  stats.rewind_writes = rewind_writes_;
  stats.largest_rewind_write = largest_rewind_write_;
  stats.retention_passes = retention_passes_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace pinstream
