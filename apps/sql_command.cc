// `pinstream sql QUERY --data DIR`: SQL over a processor's tables (SPEC §9) through a read-only
// ProcessorStore, so it works while the processor runs. The engine is sql/sql_engine.h. Several
// --data (or a pattern) read the instances of one topology as one: each table the union of its
// parts (sinks/partitioned_table.h).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "common/time_format.h"
#include "sinks/partitioned_table.h"
#include "sql/sql_engine.h"

namespace pinstream::cli {

namespace {

struct SqlFlags {
  std::string query;
  std::vector<std::string> data;  // directories or patterns (ExpandDataDirs)
  int64_t version = -1;           // -1: the newest
  std::string as_of;              // ISO-8601; empty: by --version
  std::string format = "jsonl";
};

Status RunSql(const SqlFlags& f) {
  ASSIGN_OR_RETURN(SqlFormat format, ParseSqlFormat(f.format));
  SqlEngine::Options options;
  if (f.version >= 0) options.travel.version = f.version;
  if (!f.as_of.empty()) {
    ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMillis(f.as_of));
    options.travel.as_of_ms = ms;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, ExpandDataDirs(f.data));
  if (options.travel.version && dirs.size() > 1) {
    return Status::InvalidArgument(
        "--version reads one --data directory (each numbers its own versions); with several, "
        "read by --as-of or the newest");
  }
  ASSIGN_OR_RETURN(auto stores, PartitionedStores::Open(dirs));
  ASSIGN_OR_RETURN(auto engine, SqlEngine::Open(SqlTables::Of(stores.get()), options));
  auto writer = ResultWriter::Make(format, stdout);
  return engine->Run(f.query, writer.get());
}

}  // namespace

void AddSqlCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<SqlFlags>();
  auto* cmd = app.add_subcommand(
      "sql",
      "SQL (SQLite) over a processor's tables, each by its name; JSON Lines out by default. "
      "Timestamps are ISO-8601 text (strftime works), arrays JSON text (json_each works); "
      "median(x), percentile_cont(x, p), percentile(x, p), percentile_disc(x, p), max_by(x, y), "
      "min_by(x, y) as Spark's");
  cmd->add_option("query", f->query, "one or more SQL statements")->required();
  cmd->add_option("--data", f->data,
                  "the processor's data directory; several (or a pattern, 'out/instance-*') "
                  "read the instances of one topology as one, each table the union of its parts")
      ->required();
  auto* version =
      cmd->add_option("--version", f->version,
                      "read every table the query names as of this version of it (Delta's "
                      "VERSION AS OF, per table; a table without it is an error; one --data "
                      "only)")
          ->check(CLI::NonNegativeNumber);
  cmd->add_option("--as-of", f->as_of,
                  "read every table as it was at this time (ISO-8601 UTC): one instant for all")
      ->excludes(version);
  cmd->add_option("--format", f->format, "jsonl, csv (RFC 4180, a header) or table (aligned)")
      ->check(CLI::IsMember({"jsonl", "csv", "table"}))
      ->capture_default_str();
  cmd->callback([=] { *action = [f] { return RunSql(*f); }; });
}

}  // namespace pinstream::cli
