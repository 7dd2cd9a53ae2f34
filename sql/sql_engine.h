#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sinks/table_store.h"
#include "sql/result_writer.h"
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
// Borrows `tables`, which must outlive the engine. Single-threaded, like its connection.
class SqlEngine {
 public:
  struct Options {
    TimeTravel travel;
    bool load_tables = false;
  };

  static Result<std::unique_ptr<SqlEngine>> Open(const TableStore* tables, const Options& options);
  ~SqlEngine();

  SqlEngine(const SqlEngine&) = delete;
  SqlEngine& operator=(const SqlEngine&) = delete;

  // Runs every statement of `sql` in order, each one's rows to `writer`. The first failure
  // stops it: a table's read error as that error (e.g. ResourceNotFound for a vacuumed
  // version), anything SQLite refuses as InvalidArgument with SQLite's message ("no such table:
  // foo"). An empty `sql` is an InvalidArgument.
  Status Run(std::string_view sql, ResultWriter* writer);

 private:
  SqlEngine(const TableStore* tables, const Options& options);
  Status Init();
  Status Exec(const std::string& sql);
  Status SqliteError(int rc, std::string_view context = {});
  // load_tables: copies the store tables `statement` reads into temp tables of the same name,
  // which then hide the virtual ones (the statement is prepared again after).
  Status LoadTablesOf(std::string_view statement);

  const TableStore* tables_;
  Options options_;
  TableModule module_;
  sqlite3* db_ = nullptr;
  std::vector<std::string> loaded_;  // load_tables: the tables copied so far
};

}  // namespace pinstream
