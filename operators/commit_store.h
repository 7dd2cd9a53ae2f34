#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/value.h"
#include "stream/stream_types.h"

namespace pinstream {

// The narrow interface through which the processor persists a micro-batch. The sinks library
// implements it over RocksDB; everything staged since the last Commit (or Abort) lands in one
// atomic write: table rows, dead letters, operator state and source offsets together, or none of
// them. A batch begins implicitly with the first write after a Commit.

// Source positions: stream -> shard id -> where the topology stands in that shard. Normally
// the last sequence number processed (reading resumes after it); after `offsets reset`, an
// iterator position as ParseIteratorPosition reads it ("TRIM_HORIZON", "LATEST",
// "AT_SEQUENCE_NUMBER:<seq>", "AT_TIMESTAMP:<ISO-8601>"), where reading resumes.
using Offsets = std::map<std::string, std::map<std::string, std::string>>;

// stream -> shard id -> ApproximateArrivalTimestamp (ms) of the record at that shard's offset,
// so that a reset to a time knows which batches processed records that arrived after it.
using ArrivalTimes = std::map<std::string, std::map<std::string, int64_t>>;

// stream -> the incarnation of the stream the offsets belong to (the broker's stream id, which
// a stream deleted and created again under the same name does not share).
using Incarnations = std::map<std::string, std::string>;

// A topology's position in its sources, as each micro-batch commits it.
struct Checkpoint {
  Offsets offsets;
  ArrivalTimes arrivals;      // where known
  Incarnations incarnations;  // where known (checkpoints before stream ids have none)
};

// The offset of a shard read to its end after a reshard closed it (the KCL's SHARD_END
// checkpoint): it is not read again, and its children may be read.
inline constexpr std::string_view kShardEndOffset = "SHARD_END";

// Where to resume reading a shard whose offset is `offset` (not kShardEndOffset).
inline Result<IteratorPosition> ResumePosition(std::string_view offset) {
  if (!offset.empty() && offset.front() >= '0' && offset.front() <= '9') {
    if (!IsSequenceNumberText(offset)) {
      return Status::InvalidArgument("invalid sequence number '" + std::string(offset) + "'");
    }
    return IteratorPosition{IteratorType::kAfterSequenceNumber, std::string(offset), 0};
  }
  return ParseIteratorPosition(offset);
}

// How long a topology's history stays (topologies/README.md, "Retention"), as Delta Lake's
// delta.logRetentionDuration and VACUUM's retention do.
struct RetentionPolicy {
  // Table versions committed longer ago than this leave the history (time travel to them is
  // refused), and so do the rows only they need; the version current at the cutoff stays.
  int64_t history_ms = int64_t{7} * 24 * 3600 * 1000;
  // The batch records and undo logs of older batches are dropped: `offsets reset
  // --rewind-tables` can go back to the batch current at the cutoff, no further.
  int64_t rewind_ms = int64_t{24} * 3600 * 1000;
  // A store applies the policy itself, at most this often (commit time), not at every batch.
  int64_t check_interval_ms = int64_t{60} * 1000;
};

// A table a topology writes: no key columns means append; key columns mean upsert by key.
struct TableDef {
  std::string name;
  Schema schema;
  std::vector<std::string> key_columns;
};

// Operator state: byte keys and values in the operator's own namespace. Reads see the writes
// staged in the current batch (read-your-writes), then the committed state.
class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;

  // Calls `visit` for every key in [begin, end) of this namespace, in bytewise key order, with
  // its value: the committed state merged with this batch's staged writes (deleted keys are
  // skipped). An empty `end` means to the end of the namespace. Stops early when `visit`
  // returns false. The views are valid during the call only; `visit` must not write to this
  // store.
  using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status Scan(std::string_view begin, std::string_view end, const ScanVisitor& visit) = 0;
};

class TableWriter {
 public:
  virtual ~TableWriter() = default;
  // Stages `row` for the current batch. A row that breaks the table's schema is refused
  // (InvalidArgument) and not staged; the caller sends its record to the dead letters.
  virtual Status Write(const Row& row) = 0;
};

// A dead letter: a record that could not be processed, with where it came from and why.
struct DeadLetter {
  std::string stream;
  std::string shard_id;
  std::string sequence_number;
  int64_t arrival_ms = 0;
  std::string partition_key;
  std::string data;   // the raw record data
  std::string op;     // the operator (or sink) that refused it, e.g. "pin/parse_json"
  std::string error;  // Status::ToString()
  std::string topology;
};

// How the commits of a run name themselves in the tables' history, as Delta's operation and
// operationParameters do: "STREAMING UPDATE" for the processor, "BATCH" for a batch job run.
struct CommitInfo {
  std::string operation = "STREAMING UPDATE";
  std::string parameters_json;  // a JSON object, e.g. {"date":..,"objects":[..]}; empty: none
};

// Threads: a store, its table writers and its state stores are driven by one thread (the
// processor's); an implementation may write a committed batch on a thread of its own (see
// Commit), which callers never see except through Commit's and AwaitCommits' errors.
class CommitStore {
 public:
  virtual ~CommitStore() = default;

  // Declares the topology's tables (creating missing ones) and returns their writers, valid
  // for the store's lifetime. An existing table with another schema is an InvalidArgument.
  virtual Result<TableWriter*> OpenTable(const TableDef& def) = 0;

  // The state namespace of one operator (prefix-isolated), valid for the store's lifetime.
  virtual StateStore* State(std::string_view op_id) = 0;

  // The checkpoint of the newest committed batch of `topology`, empty when it never committed.
  virtual Result<Checkpoint> LoadCheckpoint(std::string_view topology) = 0;

  // Stages a dead letter (into the `dead_letters` table) for the current batch.
  virtual Status WriteDeadLetter(const DeadLetter& letter) = 0;

  // Atomically writes everything staged since the last Commit/Abort, a new version of every
  // table that received rows, and `checkpoint` as the topology's position. Returns the batch
  // id. On failure nothing was written and the store refuses further commits (sticky error).
  // A store may return before the write is done (its reads see the batch already); the write
  // then completes before the next Commit's, and its failure is that Commit's or
  // AwaitCommits' error.
  virtual Result<int64_t> Commit(std::string_view topology, const Checkpoint& checkpoint) = 0;

  // Names the commits from the next one on (see CommitInfo). A store that keeps no history
  // ignores it.
  virtual void SetCommitInfo(const CommitInfo& /*info*/) {}

  // Waits until every committed batch is written; the error of a write that failed.
  virtual Status AwaitCommits() = 0;

  // Drops everything staged since the last Commit.
  virtual void Abort() = 0;

  // A point between records of `topology`'s batch where no operator holds a state value: a
  // store may write what the batch staged so far ahead of its commit, so that a batch too large
  // to hold (a batch run's, one commit of everything it read) is not all written at its end.
  // Whatever it writes stays invisible unless the batch commits: Abort, or the next open after
  // a crash, takes it back. A store that writes everything at Commit (the default) ignores it.
  virtual Status MaybeWriteAhead(std::string_view /*topology*/) { return Status::OK(); }

  // Applies `policy` to `topology` (its tables, batch records and undo logs) from now on: the
  // store trims them itself as part of the commits' writes, at most every
  // policy.check_interval_ms, the first time with the first Commit after this call. Call once
  // after the topology's tables are opened, before its first Commit. A store that keeps
  // everything (the default) ignores it.
  virtual Status SetRetention(std::string_view /*topology*/, const RetentionPolicy& /*policy*/) {
    return Status::OK();
  }
};

}  // namespace pinstream
