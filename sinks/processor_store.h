#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/serial_worker.h"
#include "operators/commit_store.h"
#include "operators/outbox_store.h"
#include "sinks/batch_log.h"
#include "sinks/retention.h"
#include "sinks/state_cache.h"
#include "sinks/table_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class WriteBatch;
}  // namespace rocksdb

namespace pinstream {

inline constexpr char kDeadLettersTable[] = "dead_letters";

// The fixed spec of the `dead_letters` table (append): stream, shard_id, sequence_number,
// arrival (timestamp), partition_key, data, operator, error, topology. Every topology run
// over one data directory writes it; `topology` says whose letter a row is.
TableSpec DeadLettersSpec();

// A processor's durable store: one RocksDB at a directory holding the tables (TableStore), the
// operators' state and the topologies' offsets, committed together one micro-batch at a time.
//
// Column families: `meta` (table catalog and commit logs, batch records, offsets), `rows`
// (table rows), `state` (operator state). Meta keys besides the tables': the batch log's
// (sinks/batch_log.h: batch records, offsets, undo logs), "retention/<topology>" (the
// policy SetRetention recorded, JSON) and "outbox/<key>" (OutboxStore's entries).
// State keys: [varint length][operator id][key], so one operator's keys are one prefix range.
//
// The current batch is a plain rocksdb::WriteBatch for rows (appended without any per-row
// index), beside the operator state staged in a StateCache (read-your-writes, a cache of
// committed values; each key reaches the batch once, at Commit, with its before-image for the
// undo log, sinks/undo_log.h). Commit writes it all in one DB::Write; a failed write makes the
// store refuse every later write and commit (sticky error) until it is reopened. With pipelined
// commits (Options) the write of a batch runs on a background thread while the next batch is
// staged.
//
// Thread-safety: the CommitStore methods and the writers and state stores they return are for
// one thread (the processor's). tables() may be read from other threads once the topology's
// tables are opened; they see written versions only.
//
// A read-only store (for the CLI) may be opened while another process holds the same directory
// open for writing: it sees the batches committed before it opened, and refuses writes.
class ProcessorStore final : public CommitStore, public OutboxStore {
 public:
  struct Options {
    std::string path;              // the RocksDB directory; created when missing (unless read_only)
    bool read_only = false;        // NotFound when there is no store at `path`
    bool sync = false;             // fsync the WAL on every commit (power loss, not only kill -9)
    Clock* clock = Clock::Real();  // borrowed; must outlive the store
    rocksdb::Env* env = nullptr;   // borrowed when set (tests inject faults); default: the OS
    size_t write_buffer_bytes = size_t{64} << 20;  // of the rows family (state: half)
    // Committed operator state kept in memory for reads (a dedup's hot keys), about this many
    // bytes. Larger is not faster when most keys are new: lookups into a map far beyond the CPU
    // caches cost more than RocksDB's memtable and Bloom filters save (docs/profile.md).
    size_t state_cache_bytes = size_t{16} << 20;
    // Commit returns once the batch is sealed and writes it on a background thread, so that
    // the write overlaps the next batch's processing (see Commit).
    bool pipeline_commits = false;
    // For a batch run, whose one commit holds everything it read: the batch is written as it
    // grows, on background threads, instead of all in the commit's write, so that the WAL and
    // memtable writes (and the memtables' flushes) overlap processing instead of following it,
    // and the staged state stays small.
    // - Append tables' full row blocks, in writes of about rows_ahead_bytes. They stay
    //   invisible until their commit; those of a commit that never comes are deleted by Abort,
    //   or by the next Open after a crash (TableStore::DropUncommittedRows).
    // - Operator state, once the batch staged state_ahead_keys keys (MaybeWriteAhead), with
    //   its undo log (one part per write, BatchLog). Abort, or the next Open after a crash,
    //   applies the parts of a batch that never committed, newest first (UndoWrittenAhead).
    bool write_ahead = false;
    size_t rows_ahead_bytes = size_t{4} << 20;
    size_t state_ahead_keys = size_t{1} << 14;
    // A rewind (Reset) writes the restored operator state in writes of about this many bytes
    // (whole undo logs), so that its memory stays bounded however far back it goes.
    size_t rewind_write_bytes = size_t{8} << 20;
  };

  // What the store did, for tests and tools.
  struct Stats {
    int64_t batch_records_read = 0;   // batch records parsed (offsets reset must not read all)
    int64_t rewind_writes = 0;        // writes of restored state made by rewinds
    size_t largest_rewind_write = 0;  // bytes of the largest of them
    int64_t retention_passes = 0;     // automatic retention passes run (see SetRetention)
  };

  static Result<std::unique_ptr<ProcessorStore>> Open(const Options& options);
  static Result<std::unique_ptr<ProcessorStore>> Open(const std::string& path, bool read_only);
  ~ProcessorStore() override;

  ProcessorStore(const ProcessorStore&) = delete;
  ProcessorStore& operator=(const ProcessorStore&) = delete;

  // CommitStore.
  Result<TableWriter*> OpenTable(const TableDef& def) override;
  StateStore* State(std::string_view op_id) override;
  Result<Checkpoint> LoadCheckpoint(std::string_view topology) override;
  Status WriteDeadLetter(const DeadLetter& letter) override;
  // Besides CommitStore's contract, records the before-image of every state key the batch
  // changes (an undo log), so that Reset can take state back to any earlier batch.
  //
  // With Options::pipeline_commits, returns once the batch is sealed; the next Commit,
  // AwaitCommits, Abort, Reset, a state Scan, and the destructor wait for its write. Until then
  // its tables keep their previous versions for readers (tables(), ListOffsets, ListBatches);
  // operator state reads see it at once. Without, returns once the batch is written.
  Result<int64_t> Commit(std::string_view topology, const Checkpoint& checkpoint) override;
  Status AwaitCommits() override;
  void Abort() override;
  void SetCommitInfo(const CommitInfo& info) override;
  // With Options::write_ahead, writes the state the batch staged so far once it holds
  // Options::state_ahead_keys keys: sealed as a commit seals it, written on the commit thread.
  Status MaybeWriteAhead(std::string_view topology) override;

  // OutboxStore. DeleteOutbox writes at once (it does not wait for a pipelined commit: the
  // entries it deletes were written before they could be sent).
  Status StageOutbox(std::string_view key, std::string_view value) override;
  Status ScanOutbox(std::string_view prefix, const Visitor& visit) override;
  Status DeleteOutbox(std::span<const std::string> keys) override;
  Result<int64_t> NextBatchId(std::string_view topology) override;

  // Starts writing the memtables to table files, without waiting: after a large commit (a batch
  // run's, all in the memtables at once), so that the flush the destructor waits for overlaps
  // what the caller does meanwhile. With pipelined commits, call it after AwaitCommits.
  void StartFlush();

  // Moves `topology` to `checkpoint`, as `offsets reset` does, recorded as a new batch. With
  // `rewind_to` (a batch id of the topology; 0 = before its first batch), its tables and
  // operator state first go back to what they were after that batch: each table whose version
  // differs gets a REWIND version with that batch's contents, state is restored from the undo
  // logs, and the batches after it leave the topology's history (their table versions stay
  // readable by time travel). Returns the new batch id. Nothing may be staged.
  //
  // The undo logs are streamed newest first, never all in memory. When the restored state
  // outgrows Options::rewind_write_bytes it is written in several writes, the first recording
  // the rewind as in progress; tables, offsets and batch records change in the last one only.
  // Until that last write, LoadCheckpoint refuses the topology (the processor cannot run on a
  // half-rewound state) and a Reset again finishes the rewind (to the same batch or an older).
  // A rewind to a batch that retention trimmed is refused (RewindFloor).
  Result<int64_t> Reset(std::string_view topology, const Checkpoint& checkpoint,
                        std::optional<int64_t> rewind_to);

  // Automatic retention (CommitStore): records `policy` (for `table vacuum` by hand) and, from
  // the next Commit on, applies it to `topology`'s tables (those its batches record) and batch
  // log as part of the commits' writes, on the thread that writes them (with pipelined commits,
  // the background one): at most every min(check_interval_ms, the shorter retention / 10, and
  // not under a second) of clock time. The pass is a DB write of range deletes, its cost one
  // pass over the keys of each upsert table whose oldest version moved; the emptied key ranges
  // are then compacted on a thread of the store's (one compaction at a time; the destructor
  // cancels it). Call on the processor's thread, before the topology's first Commit.
  Status SetRetention(std::string_view topology, const RetentionPolicy& policy) override;

  // Retention by hand (`pinstream table vacuum`): see VacuumOptions. A dry run works on a
  // read-only store; otherwise the store must be writable and no Commit may run meanwhile.
  Result<VacuumReport> Vacuum(const VacuumOptions& options);

  // The oldest batch `topology` can rewind to, once retention trimmed older ones (nullopt:
  // back to before its first batch).
  Result<std::optional<int64_t>> RewindFloor(std::string_view topology) const {
    return batch_log_->RewindFloor(topology);
  }
  // The topology's batches, newest first, one at a time, until `visit` returns false.
  Status VisitBatchesNewestFirst(std::string_view topology,
                                 const std::function<bool(BatchRecord&&)>& visit) const {
    return batch_log_->VisitNewestFirst(topology, visit);
  }
  // A topology's recorded retention policy, if SetRetention recorded one.
  Result<std::optional<RetentionPolicy>> RecordedRetention(std::string_view topology) const;

  Stats stats() const;
  // The store's SST files' bytes on disk, and RocksDB's estimate of the live data in them (what
  // a full compaction would leave). Safe from any thread, while commits run.
  void StoreSizes(uint64_t* sst, uint64_t* live) const;

  // The tables, for reading (scans, history) and for tools that stage their own versions.
  TableStore* tables() { return tables_.get(); }
  const TableStore* tables() const { return tables_.get(); }

  // The newest batch of every topology that committed, by topology name.
  Result<std::vector<BatchRecord>> ListOffsets() const;
  // Every batch of `topology` still recorded, oldest first.
  Result<std::vector<BatchRecord>> ListBatches(std::string_view topology) const;

  // OK, or the error of the write that failed (then every write is refused).
  const Status& error() const { return error_; }
  bool read_only() const { return options_.read_only; }

 private:
  class Writer;

  explicit ProcessorStore(const Options& options);
  Status CheckWritable() const;
  Result<Table*> DeadLetters();
  Result<int64_t> LastBatchId(std::string_view topology);
  Result<Checkpoint> ReadCheckpoint(std::string_view topology);
  Status StageState(StateCache::Sealed* sealed, const std::string& undo_key,
                    rocksdb::WriteBatch* batch);
  void FailWrite(const Status& st);
  Status StageStateRewind(std::string_view topology, int64_t rewind_to, int64_t state_at);
  Status StageUndo(std::string_view topology, std::string_view undo, rocksdb::WriteBatch* batch);
  Status UndoWrittenAhead(std::string_view topology, int64_t batch_id);
  Result<BatchRecord> NextBatch(std::string_view topology, const Checkpoint& checkpoint);
  Result<BatchRecord> ReadBatch(std::string_view topology, int64_t batch_id) const;
  // A key range of one column family, [begin, end); empty means unbounded.
  struct KeyRange {
    rocksdb::ColumnFamilyHandle* cf;
    std::string begin;
    std::string end;
  };
  Status MaybeApplyRetention(std::string_view topology, const RetentionPolicy& policy,
                             const std::vector<std::string>& tables, int64_t now);
  void ScheduleCompaction();
  Status CompactRanges(const std::vector<KeyRange>& ranges);
  Status StageBatchRecord(const BatchRecord& record);
  Status Write(std::string_view what, rocksdb::WriteBatch* batch);
  // Where rows are staged: rows_ahead_ with Options::write_ahead, else batch_.
  rocksdb::WriteBatch* RowBatch() { return rows_ahead_ ? rows_ahead_.get() : batch_.get(); }
  Status MaybeWriteRowsAhead();
  Status AwaitRowsAhead();

  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // owned by db_
  rocksdb::ColumnFamilyHandle* rows_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // all of them, destroyed before db_

  std::unique_ptr<rocksdb::WriteBatch> batch_;    // the batch being staged
  std::unique_ptr<rocksdb::WriteBatch> writing_;  // the sealed batch being written, and its write
  SerialWorker commit_worker_{"commit"};
  // Options::write_ahead: the blocks being staged, and those being written by
  // rows_worker_; whether any were written since the last commit (Abort must drop them).
  std::unique_ptr<rocksdb::WriteBatch> rows_ahead_;
  std::unique_ptr<rocksdb::WriteBatch> rows_ahead_writing_;
  SerialWorker rows_worker_{"rows-ahead"};
  bool rows_written_ahead_ = false;
  // The batch whose operator state is being written ahead (MaybeWriteAhead), and how many
  // parts of its undo log were handed to commit_worker_.
  struct StateAhead {
    std::string topology;
    int64_t batch_id = 0;
    int64_t parts = 0;
  };
  std::optional<StateAhead> state_ahead_;

  std::unique_ptr<StateCache> state_cache_;
  std::unique_ptr<TableStore> tables_;
  std::unique_ptr<BatchLog> batch_log_;
  // The retention of each topology that SetRetention named (processor's thread), and when its
  // last automatic pass ran (the write's thread; writes never overlap).
  std::map<std::string, RetentionPolicy, std::less<>> retention_;
  std::string commit_operation_ = "STREAMING UPDATE";  // SetCommitInfo
  nlohmann::json commit_parameters_;
  std::map<std::string, int64_t, std::less<>> retention_ran_ms_;
  // What the automatic passes emptied since the last compaction (the write's thread): per
  // family the span of the ranges, and the bytes removed.
  std::map<rocksdb::ColumnFamilyHandle*, std::pair<std::string, std::string>> uncompacted_;
  int64_t uncompacted_bytes_ = 0;
  // The compaction of the ranges the automatic passes emptied, while it runs.
  std::future<void> compaction_;
  std::atomic<bool> cancel_compaction_{false};
  std::atomic<int64_t> retention_passes_{0};
  int64_t rewind_writes_ = 0;
  size_t largest_rewind_write_ = 0;
  std::map<std::string, std::unique_ptr<Writer>, std::less<>> writers_;
  std::map<std::string, int64_t, std::less<>> last_batch_ids_;
  Table* dead_letters_ = nullptr;
  Row dead_letter_row_;  // reused
  Status error_;
};

}  // namespace pinstream
