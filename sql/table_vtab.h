#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "sinks/partitioned_table.h"
#include "sql/sql_tables.h"

namespace pinstream {

// Which version of each table a session reads (Delta's time travel, applied to every table a
// query names).
struct TimeTravel {
  // VERSION AS OF: this version of each table, exactly, as `table scan --version` reads it. A
  // table's versions are its own (Delta's are per table too), so a table that never had it is
  // an error naming the table, never a silent substitute. One data directory only: each
  // directory numbers its own versions.
  std::optional<int64_t> version;
  // TIMESTAMP AS OF: each table's version current at this time (Table::VersionAt), which reads
  // every table as of one instant: the consistent choice across tables, and across the data
  // directories of a table read as one (each part as of its version current then).
  std::optional<int64_t> as_of_ms;
};

// The versions of each table's parts that `travel` names (PartitionedTable::Scan's `at`).
PartitionedTable::At VersionsOf(const TimeTravel& travel);

// The SQLite virtual table module "pinstream_table": `CREATE VIRTUAL TABLE main."pin" USING
// pinstream_table` exposes the table `pin` of `tables`, read-only, with the types of
// sql/sql_types.h: over several data directories, the union of its parts (sql/sql_tables.h).
//
// A table is read when a statement opens it, and only the columns the statement uses (SQLite's
// colUsed), on a thread of its own, so the tables of a join load in parallel. Rows are kept in
// memory for the connection, typed and flat (sql/column_cells.h), in chunks of 65,536 rows that
// a full scan follows as they are published: the outer loop of a join starts while its table is
// still loading. An equality constraint (`geo.ind = pin.ind`, on an INTEGER or TEXT column,
// binary collation) is answered from an index (sql/row_index.h) over the loaded table: SQLite
// builds no automatic index on a virtual table, and without one a join would loop over the
// inner table once per outer row. The loading thread builds the indexes the plans probe once it
// has read the table, unless a cursor scans that table in full (the outer loop of the join).
//
// Borrows `tables`, which must outlive every connection the module is registered on. A
// connection and its statements belong to one thread (SQLite's rules); the loading threads
// read the tables only (PartitionedTable::Scan is safe from any thread).
class TableModule {
 public:
  TableModule(const SqlTables* tables, TimeTravel travel) : tables_(tables), travel_(travel) {}

  TableModule(const TableModule&) = delete;
  TableModule& operator=(const TableModule&) = delete;

  // Registers the module on `db`; the module must outlive `db`.
  Status Register(sqlite3* db);

  // The first error a table's read hit, with its type (SQLite carries only its text): the
  // caller reports it instead of SQLite's message. OK when there was none.
  Status error() const;

  // Internals for the module's callbacks.
  const SqlTables* tables() const { return tables_; }
  const TimeTravel& travel() const { return travel_; }
  void RecordError(const Status& s);

 private:
  const SqlTables* tables_;
  const TimeTravel travel_;
  mutable std::mutex mu_;
  Status error_;  // GUARDED_BY(mu_)
};

}  // namespace pinstream
