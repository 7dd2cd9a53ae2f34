#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sinks/table_store.h"
#include "sql/result_writer.h"
#include "sql/sql_tables.h"
#include "sql/table_vtab.h"

struct sqlite3;

namespace pinstream {

// SQL over a store's tables with SQLite: every table is queryable by its name, read-only, with
// the types of sql/sql_types.h, the aggregates of sql/percentile_aggregates.h and
// sql/by_aggregates.h and the functions of sql/date_functions.h. A query reads only the tables
// (and columns) it names.
//
// Two ways to hand SQLite the rows (Options::load_tables): virtual tables over Table::Scan
// (sql/table_vtab.h, the default), or copies of the tables a statement names into in-memory
// SQLite tables before it runs. The second is kept for the benchmark that compares them
// (bench/sql_bench.cc): over the tables of 1M posts the virtual tables answered each question
// 5 to 10 times faster, since the copy costs a B-tree insert per row of every column and the
// join then runs over SQLite's transient automatic indexes.
//
// The tables are those of one store, or of several data directories read as one
// (sql/sql_tables.h): each table the union of its parts.
//
// Borrows the stores, which must outlive the engine. Single-threaded, like its connection.
class SqlEngine {
 public:
  struct Options {
    TimeTravel travel;
    bool load_tables = false;
  };

  // InvalidArgument for a version (Options::travel.version) over several directories: each
  // numbers its own versions.
  static Result<std::unique_ptr<SqlEngine>> Open(SqlTables tables, const Options& options);
  static Result<std::unique_ptr<SqlEngine>> Open(const TableStore* tables, const Options& options) {
    return Open(SqlTables(tables), options);
  }
  ~SqlEngine();

  SqlEngine(const SqlEngine&) = delete;
  SqlEngine& operator=(const SqlEngine&) = delete;

  // Runs every statement of `sql` in order, each one's rows to `writer`. The first failure
  // stops it: a table's read error as that error (e.g. ResourceNotFound for a vacuumed
  // version), anything SQLite refuses as InvalidArgument with SQLite's message ("no such table:
  // foo"). An empty `sql` is an InvalidArgument.
  Status Run(std::string_view sql, ResultWriter* writer);

 private:
  SqlEngine(SqlTables tables, const Options& options);
  Status Init();
  Status Exec(const std::string& sql);
  Status SqliteError(int rc, std::string_view context = {});
  // load_tables: copies the store tables `statement` reads into temp tables of the same name,
  // which then hide the virtual ones (the statement is prepared again after).
  Status LoadTablesOf(std::string_view statement);

  const SqlTables tables_;
  Options options_;
  TableModule module_;  // borrows tables_
  sqlite3* db_ = nullptr;
  std::vector<std::string> loaded_;  // load_tables: the tables copied so far
};

}  // namespace pinstream
