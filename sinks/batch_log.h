#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "operators/commit_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatchBase;
}  // namespace rocksdb

namespace pinstream {

// Offsets as JSON: {"stream": {"shardId-000000000000": "<sequence number>"}}.
nlohmann::json OffsetsToJson(const Offsets& offsets);
Result<Offsets> OffsetsFromJson(const nlohmann::json& j);

// One committed micro-batch of a topology, as `offsets show` prints it.
struct BatchRecord {
  std::string topology;
  int64_t batch_id = 0;
  int64_t time_ms = 0;
  Offsets offsets;
  ArrivalTimes arrivals;
  Incarnations incarnations;
  std::map<std::string, int64_t> tables;  // the topology's tables -> their versions after it

  Checkpoint checkpoint() const { return Checkpoint{offsets, arrivals, incarnations}; }

  // {"batch_id","time" (ISO-8601 UTC),"offsets":{stream:{shard:seq}},
  //  "arrivals":{stream:{shard:ISO-8601}},"incarnations":{stream:id},"tables":{name:version}}
  nlohmann::ordered_json ToJson() const;
  static Result<BatchRecord> FromJson(std::string_view topology, const nlohmann::json& j);
};

// What trimming a topology's batch records and undo logs removed (or, dry, would remove).
struct BatchTrimStats {
  std::string topology;
  int64_t oldest_batch_before = 0;  // the oldest batch a rewind could reach before
  int64_t oldest_batch = 0;         // ... and after (0: before the first batch)
  int64_t batches_removed = 0;
  int64_t undo_logs_removed = 0;
  int64_t bytes_removed = 0;  // keys and values, uncompressed: an estimate
  std::string skipped;        // why nothing was trimmed, when something stopped it

  // {"topology","oldest_batch_before","oldest_batch","batches_removed","undo_logs_removed",
  //  "bytes_removed"} and "skipped" when set.
  nlohmann::ordered_json ToJson() const;
};

// A rewind that wrote part of the state's undo and was interrupted (see ProcessorStore::Reset).
struct RewindInProgress {
  int64_t to = 0;        // the batch it rewinds to
  int64_t state_at = 0;  // operator state is as it was after this batch
};

// The per-batch records of the processor store's `meta` family (one idea: the topologies'
// batch history, what `offsets show` and `offsets reset` read):
//   "batch/<topology>/" [batch id:8]  -> BatchRecord JSON   (one per committed batch)
//   "offsets/<topology>"              -> BatchRecord JSON   (the newest batch)
//   "undo/<topology>/" [batch id:8]   -> the state the batch overwrote (ProcessorStore::Commit)
//   "undo/<topology>/" [batch id:8] [part:8]
//                                     -> the same of a batch whose state was written ahead of
//                                        its commit in parts (ProcessorStore::MaybeWriteAhead),
//                                        one log per part, the commit's last
//   "writing_ahead/<topology>"        -> [batch id:8] while that batch's state is being written
//                                        ahead: should it never commit, its parts are undone
//   "rewind_floor/<topology>"         -> [batch id:8] the oldest batch a rewind can reach, once
//                                        retention trimmed older batches
//   "rewinding/<topology>"            -> {"to","state_at"} while a rewind is half written
// Batch ids are big-endian, so a topology's batches are one contiguous, ordered key range
// (another topology's name may extend this one's, "a" and "a/b": its keys are longer).
//
// Borrows the DB and the family, which must outlive it. Reads may run on any thread; the
// counter of records read is for tests (a rewind must not read every batch).
class BatchLog {
 public:
  BatchLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) : db_(db), meta_(meta) {}

  static std::string OffsetsKey(std::string_view topology);
  static std::string BatchKey(std::string_view topology, int64_t batch_id);
  static std::string UndoKey(std::string_view topology, int64_t batch_id);
  static std::string UndoPartKey(std::string_view topology, int64_t batch_id, int64_t part);
  static std::string WritingAheadKey(std::string_view topology);
  static std::string RewindingKey(std::string_view topology);

  // InvalidArgument when the topology has no such batch (any more).
  Result<BatchRecord> Read(std::string_view topology, int64_t batch_id) const;
  static Result<BatchRecord> Parse(std::string_view topology, std::string_view value);

  // Calls `visit` with the topology's batches, newest first, one at a time, until it returns
  // false.
  Status VisitNewestFirst(std::string_view topology,
                          const std::function<bool(BatchRecord&&)>& visit) const;

  // Calls `visit` with the undo logs of batches (after, upto], newest first (a batch's parts
  // from its last), one at a time: (batch id, key, the log). The views are valid during the
  // call only.
  Status VisitUndoNewestFirst(std::string_view topology, int64_t after, int64_t upto,
                              const std::function<Status(int64_t batch_id, std::string_view key,
                                                         std::string_view log)>& visit) const;

  // Stages the removal of the batches (after, upto] (a rewind's): one range delete.
  Status StageDeleteBatchesAfter(std::string_view topology, int64_t after, int64_t upto,
                                 rocksdb::WriteBatchBase* batch) const;

  // The oldest batch a rewind can reach, when retention trimmed older ones; nullopt when
  // nothing was trimmed (a rewind can go back to before the first batch).
  Result<std::optional<int64_t>> RewindFloor(std::string_view topology) const;

  // The batches whose state is being written ahead of their commit: (topology, batch id).
  Result<std::vector<std::pair<std::string, int64_t>>> WritingAhead() const;
  Status StageWritingAhead(std::string_view topology, int64_t batch_id,
                           rocksdb::WriteBatchBase* batch) const;

  // A half-written rewind of the topology, if one was interrupted.
  Result<std::optional<RewindInProgress>> Rewinding(std::string_view topology) const;
  Status StageRewinding(std::string_view topology, const RewindInProgress& r,
                        rocksdb::WriteBatchBase* batch) const;

  // Retention: the batch current at `cutoff_ms` (the newest committed at or before it) becomes
  // the oldest a rewind can reach; older batch records and the undo logs up to it are deleted
  // through `batch` (two range deletes) and the floor recorded. The newest batch always stays.
  // With `dry_run` nothing is staged. Nothing is trimmed during a half-written rewind.
  Result<BatchTrimStats> StageTrim(std::string_view topology, int64_t cutoff_ms, bool dry_run,
                                   rocksdb::WriteBatchBase* batch) const;

  int64_t records_read() const { return records_read_.load(std::memory_order_relaxed); }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* meta_;
  mutable std::atomic<int64_t> records_read_{0};
};

}  // namespace pinstream
