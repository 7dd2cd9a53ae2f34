#include "sql/sql_engine.h"

#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "sql/by_aggregates.h"
#include "sql/date_functions.h"
#include "sql/percentile_aggregates.h"
#include "sql/sql_types.h"

namespace pinstream {

namespace {

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Finalizes a statement however its scope is left.
struct StmtGuard {
  sqlite3_stmt* stmt = nullptr;
  ~StmtGuard() { sqlite3_finalize(stmt); }
};

}  // namespace

SqlEngine::SqlEngine(SqlTables tables, const Options& options)
    : tables_(std::move(tables)), options_(options), module_(&tables_, options.travel) {}

SqlEngine::~SqlEngine() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<SqlEngine>> SqlEngine::Open(SqlTables tables, const Options& options) {
  if (options.travel.version && tables.parts() > 1) {
    return Status::InvalidArgument(
        "a version names one data directory's tables (each directory numbers its own); with "
        "several directories, read as of a time (--as-of) or the newest");
  }
  std::unique_ptr<SqlEngine> engine(new SqlEngine(std::move(tables), options));
  RETURN_IF_ERROR(engine->Init());
  return engine;
}

Status SqlEngine::SqliteError(int rc, std::string_view context) {
  Status table_error = module_.error();
  if (!table_error.ok()) return table_error;
  std::string msg(context);
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if (rc == SQLITE_NOMEM) return Status::Internal(msg);
  return Status::InvalidArgument(msg);
}

Status SqlEngine::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  Status table_error = module_.error();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (!table_error.ok()) return table_error;
  return Status::InvalidArgument(msg);
}

Status SqlEngine::Init() {
  // SQLite's memory statistics take a global mutex on every allocation (a GROUP BY's sorter
  // makes millions): off, before SQLite initializes. Too late once it has (another user in the
  // process) is harmless: only the statistics stay on.
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // The engine is single-threaded (the loading threads never call SQLite): the connection needs
  // no mutex of its own around every call.
  const int rc = sqlite3_open_v2(
      ":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "opening SQLite: ");
  RETURN_IF_ERROR(module_.Register(db_));
  RETURN_IF_ERROR(RegisterPercentileAggregates(db_));
  RETURN_IF_ERROR(RegisterByAggregates(db_));
  RETURN_IF_ERROR(RegisterDateFunctions(db_));
  // Sorts (GROUP BY, ORDER BY, window partitions) on every core: SQLite's sorter hands each run
  // of main.cache_size bytes to a worker thread to sort while the statement goes on, then merges
  // the runs on workers too. It has no workers when temp_store is MEMORY (vdbesort.c), so temp
  // files it is (the OS's page cache holds them): over 1M posts that took the sort, a third of a
  // question's time, off SQLite's thread. Temp tables keep a cache of their own, large.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  RETURN_IF_ERROR(
      Exec("PRAGMA temp_store = FILE; PRAGMA main.cache_size = -4096; "
           "PRAGMA temp.cache_size = -1048576; PRAGMA threads = " +
           std::to_string(cores)));
  // Declaring a virtual table reads nothing: a table's rows are read when a statement opens it.
  for (const std::string& name : tables_.Names()) {
    RETURN_IF_ERROR(Exec("CREATE VIRTUAL TABLE main." + Quote(name) + " USING pinstream_table"));
  }
  return Status::OK();
}

Status SqlEngine::LoadTablesOf(std::string_view statement) {
  // The tables a statement reads, as SQLite's authorizer reports them while it prepares it.
  std::set<std::string> names;
  auto collect = [](void* arg, int action, const char* table, const char*, const char* db,
                    const char*) {
    if (action == SQLITE_READ && table != nullptr && db != nullptr &&
        std::string_view(db) == "main")
      static_cast<std::set<std::string>*>(arg)->insert(table);
    return SQLITE_OK;
  };
  sqlite3_set_authorizer(db_, collect, &names);
  StmtGuard probe;
  const int rc = sqlite3_prepare_v2(db_, statement.data(), static_cast<int>(statement.size()),
                                    &probe.stmt, nullptr);
  sqlite3_set_authorizer(db_, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc);
  for (const std::string& name : names) {
    const TableSpec* spec = tables_.SpecOf(name);
    if (spec == nullptr || std::find(loaded_.begin(), loaded_.end(), name) != loaded_.end()) {
      continue;
    }
    std::string ddl = "CREATE TEMP TABLE " + Quote(name) + "(";
    const Schema& schema = spec->schema;
    for (size_t i = 0; i < schema.size(); ++i) {
      if (i > 0) ddl += ", ";
      ddl += Quote(schema.column(i).name) + " " + std::string(SqlDeclaredType(schema.column(i)));
    }
    ddl += ")";
    RETURN_IF_ERROR(Exec(ddl));
    RETURN_IF_ERROR(Exec("INSERT INTO temp." + Quote(name) + " SELECT * FROM main." + Quote(name)));
    loaded_.push_back(name);
  }
  return Status::OK();
}

Status SqlEngine::Run(std::string_view sql, ResultWriter* writer) {
  const char* next = sql.data();
  const char* end = sql.data() + sql.size();
  bool ran = false;
  while (next < end) {
    const std::string_view rest(next, static_cast<size_t>(end - next));
    if (options_.load_tables) {
      // Only the first statement of `rest` is prepared (the rest of the text is its tail).
      StmtGuard first;
      const char* tail = nullptr;
      int rc =
          sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &first.stmt, &tail);
      if (rc != SQLITE_OK) return SqliteError(rc);
      if (first.stmt != nullptr) {
        RETURN_IF_ERROR(
            LoadTablesOf(std::string_view(rest.data(), static_cast<size_t>(tail - rest.data()))));
      }
    }
    StmtGuard g;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &g.stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(rc);
    next = tail;
    if (g.stmt == nullptr) continue;  // whitespace or a comment
    ran = true;
    writer->Start(g.stmt);
    while ((rc = sqlite3_step(g.stmt)) == SQLITE_ROW) writer->Row(g.stmt);
    if (rc != SQLITE_DONE) return SqliteError(rc);
    RETURN_IF_ERROR(writer->Finish());
  }
  if (!ran) return Status::InvalidArgument("no SQL statement to run");
  return Status::OK();
}

}  // namespace pinstream
