#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch_base.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/value.h"

namespace pinstream {

// What a table is: its name, schema, and key columns. No key columns: an append table (every
// row is new). Key columns: an upsert table (a row replaces the row with the same key).
struct TableSpec {
  std::string name;
  Schema schema;
  std::vector<std::string> key_columns;

  bool operator==(const TableSpec&) const = default;
};

// One entry of a table's commit log: a version, as `table history` prints it.
struct TableCommit {
  int64_t version = 0;
  int64_t time_ms = 0;
  std::string operation;   // "CREATE TABLE", "STREAMING UPDATE" (append/upsert), "BATCH", "REWIND"
  int64_t rows_added = 0;  // rows written by this version
  nlohmann::json offsets;  // the source offsets this version covers (opaque to tables)
  int64_t batch_id = -1;   // the processor's micro-batch that wrote it
  int64_t restored_version = -1;  // RESTORE only: the version whose contents this one has
  nlohmann::json parameters;      // Delta's operationParameters: an object, or null for none

  // {"version","timestamp" (ISO-8601 UTC),"operation","rows_added","batch_id","offsets"},
  // "operation_parameters" when there are any, and for a RESTORE "restored_version"; in that
  // order.
  nlohmann::ordered_json ToJson() const;
  static Result<TableCommit> FromJson(const nlohmann::json& j);
};

// What a vacuum of one table removed (or, dry, would remove).
struct VacuumStats {
  std::string table;
  std::string kind;  // "append" or "upsert"
  int64_t oldest_version_before = 0;
  int64_t oldest_version = 0;    // the oldest version time travel can still read
  int64_t versions_removed = 0;  // commit log entries
  int64_t rows_removed = 0;      // row versions (upsert) or rows (append) no kept version sees
  int64_t bytes_removed = 0;     // their keys and values, uncompressed: an estimate
  // The row key ranges holding removed rows, [begin, end), for a compaction to reclaim.
  std::vector<std::pair<std::string, std::string>> row_ranges;

  // {"table","kind","oldest_version_before","oldest_version","versions_removed","rows_removed",
  //  "bytes_removed"}
  nlohmann::ordered_json ToJson() const;
};

class TableStore;

// A Delta-style table: rows plus a versioned commit log, readable as of any version.
// Writes are staged into a caller's WriteBatch, so rows, operator state and source offsets
// commit in one atomic RocksDB write; the caller then calls Committed() (or Aborted()).
//
// A batch holds: rows (Stage), then the version that makes them visible (StageCommit) or a
// RESTORE (StageRestore, before any row of the batch); several versions may be staged into one
// batch. Stage buffers rows (an append table puts each full block into the batch, an upsert
// table keeps the last row per key) and StageCommit puts the rest. Staged rows belong to the
// next version, so a batch holding rows without their StageCommit must not be written -- with
// one exception: an append table's full blocks may go into batches of their own, written
// ahead of StageCommit's (a long batch run then writes its rows as it goes). They stay
// invisible until the commit log entry is written, and if it never is, TableStore's
// DropUncommittedRows must delete them before anything else is staged.
//
// Owned by its TableStore. Staging is single-threaded (the processor's thread), Committed may
// overlap it (see there); spec(), version(), Scan and History may run concurrently with both,
// from any thread, and see committed versions only.
class Table {
 public:
  const TableSpec& spec() const;
  bool upsert() const { return !spec().key_columns.empty(); }
  // The newest committed version; 0 right after creation.
  int64_t version() const;
  // The oldest version still readable (its log entry and rows kept); 0 until a vacuum.
  int64_t oldest_version() const;

  // Checks `row` against the schema (CheckValue per column) and stages it for the next version.
  // A row that breaks the schema is refused with InvalidArgument and nothing is staged.
  Status Stage(const Row& row, rocksdb::WriteBatchBase* batch);

  // Rows staged (Stage calls) since the last StageCommit/Committed/Aborted.
  int64_t staged_rows() const;

  // Puts the staged rows and the commit log entry of the next version holding `commit` into
  // `batch` (its version and rows_added are set here: the rows staged, for an upsert table the
  // distinct keys), if any rows were staged or `force` is set. Returns the new version, or
  // nullopt.
  Result<std::optional<int64_t>> StageCommit(TableCommit commit, rocksdb::WriteBatchBase* batch,
                                             bool force = false);
  // Stages a version whose contents equal those of `to_version` (Delta's RESTORE): rows written
  // after `to_version` are not visible from the new version on, while time travel to the
  // versions in between still sees them. `commit.operation` defaults to "RESTORE". Refused
  // (InvalidArgument) while rows are staged or when `to_version` is not a committed version.
  Result<int64_t> StageRestore(int64_t to_version, TableCommit commit,
                               rocksdb::WriteBatchBase* batch);

  // After the batch that the newest StageCommit or StageRestore went into was written: the
  // versions staged up to there become visible. Rows staged since stay staged (they belong to
  // the next version), so Committed may run on another thread while the next batch is staged,
  // as long as no StageCommit, StageRestore or Aborted runs at the same time.
  void Committed();
  // After the batch was dropped: forget what was staged (row ids and versions are reused).
  void Aborted();

  // Reads the table as of `version` (default: the newest), calling `visit` per row: append
  // tables in insertion order, upsert tables the latest row per key in key order. A version
  // that was never committed is an InvalidArgument; one that a vacuum removed is a
  // ResourceNotFound naming the oldest version left. Stops at the first error of `visit`.
  Status Scan(std::optional<int64_t> version, const std::function<Status(const Row&)>& visit) const;
  // As Scan, decoding only the columns i with `wanted[i]` set (a query's projection; columns
  // past the end of `wanted` are not wanted): the others read as null, their bytes skipped
  // without building a value. Rows still have every column of the schema.
  Status Scan(std::optional<int64_t> version, const std::vector<bool>& wanted,
              const std::function<Status(const Row&)>& visit) const;

  // The version current at `time_ms` (the newest committed at or before it), for time travel
  // by timestamp; ResourceNotFound when that is before the oldest version left.
  Result<int64_t> VersionAt(int64_t time_ms) const;

  // Delta's VACUUM with log cleanup: the version current at `cutoff_ms` (the newest committed at
  // or before it) becomes the oldest version; the commit log entries before it, and the rows
  // that no version from it on can see (an upsert table's superseded row versions, rows a
  // REWIND hid), are deleted through `batch` (range deletes where the keys are contiguous).
  // With `dry_run` nothing is staged and nothing changes. Otherwise scans and time travel refuse
  // the removed versions at once (a scan of one already running may miss rows). Runs on the
  // thread that calls Committed (it reads committed versions only), or with no writer at all.
  Result<VacuumStats> StageVacuum(int64_t cutoff_ms, bool dry_run, rocksdb::WriteBatchBase* batch);

  // The commit log, oldest first, up to the newest committed version.
  Result<std::vector<TableCommit>> History() const;

  ~Table();

 private:
  friend class TableStore;
  struct Impl;
  Status Scan(std::optional<int64_t> version, const std::vector<bool>* wanted,
              const std::function<Status(const Row&)>& visit) const;
  explicit Table(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The catalog of tables in a processor's RocksDB. Borrows the DB and its column families
// (`meta` for catalog and commit logs, `rows` for rows) and the clock, which must outlive the
// store. Declare is single-threaded (the processor's thread); Find and List may be called from
// any thread once Load and the Declare calls are done.
//
// Keys (ids and integers big-endian, so that bytewise order is numeric order):
//   meta  "table/<name>"                     -> {"id","schema","key"} (JSON)
//   meta  [id:4] 'v' [version:8]             -> TableCommit (JSON)
//   meta  [id:4] 'r' [version:8]             -> [restored version:8] (an index of the RESTOREs)
//   rows  [id:4] 'a' [first row id:8]        -> [version:8][row count:4] EncodeRow...
//                                               (append tables: blocks of ~32 KiB of rows)
//   rows  [id:4] 'k' [key columns] [~version:8] -> EncodeRow                (upsert tables)
// Row ids count an append table's rows from 0; a block never spans two versions. Blocks of a
// version above the table's newest (written ahead of a commit that never came) can only sit at
// the tail, past the committed rows: scans stop at them, and DropUncommittedRows deletes them. Key
// columns use the order-preserving encoding of sinks/key_encoding.h, so one key's versions are
// adjacent, newest first, and keys scan in key order.
class TableStore {
 public:
  TableStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, rocksdb::ColumnFamilyHandle* rows,
             Clock* clock = Clock::Real());
  ~TableStore();

  TableStore(const TableStore&) = delete;
  TableStore& operator=(const TableStore&) = delete;

  // Loads the catalog of existing tables. An append table's next row id follows its last
  // committed block: blocks past it (rows written ahead of a commit that never came, see
  // DropUncommittedRows) are not counted, and stay invisible to scans.
  Status Load();

  // Deletes every append table's blocks past its committed rows: those of a version whose
  // commit never came, which a store writing rows ahead of their commit (ProcessorStore's
  // Options::write_ahead) leaves after a crash, a failed write or an abort. Their row ids
  // are reused by the next rows staged, and their version number by the next commit, so they
  // must be gone before the next block is written. Writes at once, only when there are any;
  // not while rows are staged or a commit is being written.
  Status DropUncommittedRows();

  // Returns the table `spec.name`, creating it (a committed "CREATE TABLE" version 0, written
  // at once) when missing. An existing table with a different schema or key is an
  // InvalidArgument naming the difference.
  Result<Table*> Declare(const TableSpec& spec);

  // Adds `columns` to the end of table `name`'s schema, as Delta's ALTER TABLE ADD COLUMNS: the
  // rows written before read them as null. The processor store's own tables evolve this way
  // when a release adds a column; topologies' tables keep the schema they were declared with.
  // Single-threaded, as Declare.
  Status AddColumns(std::string_view name, const std::vector<Column>& columns);

  // nullptr when there is no such table.
  Table* Find(std::string_view name) const;
  std::vector<Table*> List() const;  // by name

 private:
  Result<uint64_t> CommittedRowEnd(const Table::Impl& t, int64_t version) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* meta_;
  rocksdb::ColumnFamilyHandle* rows_;
  Clock* clock_;
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_;
  uint32_t next_table_id_ = 1;
};

}  // namespace pinstream
