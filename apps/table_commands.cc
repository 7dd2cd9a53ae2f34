// `pinstream table list|describe|history|scan|export`: reads a processor's tables (SPEC §7)
// through a read-only ProcessorStore, so it works while the processor runs. `table vacuum`
// applies retention by hand (sinks/retention.h): it opens the store for writing, so it refuses
// to run beside a processor (RocksDB's lock); with --dry-run it reads only, and runs anywhere.
// `scan` and `export` read a table over several data directories (the instances of one
// topology, `run --instances N`) as one table (sinks/partitioned_table.h).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/csv_field.h"
#include "common/json_dump.h"
#include "common/time_format.h"
#include "sinks/partitioned_table.h"
#include "sinks/processor_store.h"

namespace pinstream::cli {

namespace {

using ojson = nlohmann::ordered_json;

struct TableFlags {
  std::vector<std::string> data;  // directories or patterns (ExpandDataDirs)
  std::string name;
  int64_t version = -1;   // -1: the newest
  std::string timestamp;  // time travel by time (ISO-8601); empty: by --version
  int64_t limit = -1;     // -1: no limit
  std::string format = "jsonl";
  // vacuum
  std::vector<std::string> tables;
  std::string retain;
  bool dry_run = false;
};

// Writes output lines through one buffer: scans print millions of rows.
class LineWriter {
 public:
  ~LineWriter() { Flush(); }
  std::string& buffer() { return buf_; }
  void EndLine() {
    buf_.push_back('\n');
    if (buf_.size() >= (1 << 16)) Flush();
  }
  void Flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    std::fflush(stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

void Print(const ojson& j) {
  std::cout << DumpJson(j) << "\n";
  std::cout.flush();
}

const char* Kind(const Table& t) { return t.upsert() ? "upsert" : "append"; }

// The one directory of a command that reads one.
Result<std::string> OneDataDir(const TableFlags& f) {
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, ExpandDataDirs(f.data));
  if (dirs.size() != 1) {
    return Status::InvalidArgument(
        "this command reads one --data directory (`table scan` and `table export` read "
        "several as one table)");
  }
  return dirs.front();
}

Result<std::unique_ptr<ProcessorStore>> OpenStore(const TableFlags& f) {
  ASSIGN_OR_RETURN(std::string dir, OneDataDir(f));
  return ProcessorStore::Open(dir, /*read_only=*/true);
}

Result<Table*> FindTable(ProcessorStore* store, const std::string& name) {
  Table* table = store->tables()->Find(name);
  if (!table) return Status::ResourceNotFound("table '" + name + "' not found");
  return table;
}

// The versions --version or --timestamp name; neither: the newest.
Result<PartitionedTable::At> VersionFlags(const TableFlags& f) {
  PartitionedTable::At at;
  if (!f.timestamp.empty()) {
    ASSIGN_OR_RETURN(at.time_ms, ParseTimestampMillis(f.timestamp));
  } else if (f.version >= 0) {
    at.version = f.version;
  }
  return at;
}

Status List(const TableFlags& f) {
  ASSIGN_OR_RETURN(auto store, OpenStore(f));
  ojson tables = ojson::array();
  for (const Table* t : store->tables()->List()) {
    tables.push_back({{"name", t->spec().name},
                      {"version", t->version()},
                      {"kind", Kind(*t)},
                      {"key", t->spec().key_columns}});
  }
  Print(ojson{{"tables", std::move(tables)}});
  return Status::OK();
}

Status Describe(const TableFlags& f) {
  ASSIGN_OR_RETURN(auto store, OpenStore(f));
  ASSIGN_OR_RETURN(Table * t, FindTable(store.get(), f.name));
  Print(ojson{{"name", t->spec().name},
              {"kind", Kind(*t)},
              {"key", t->spec().key_columns},
              {"version", t->version()},
              {"schema", t->spec().schema.ToJson()}});
  return Status::OK();
}

Status History(const TableFlags& f) {
  ASSIGN_OR_RETURN(auto store, OpenStore(f));
  ASSIGN_OR_RETURN(Table * t, FindTable(store.get(), f.name));
  ASSIGN_OR_RETURN(std::vector<TableCommit> history, t->History());
  LineWriter out;
  int64_t printed = 0;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {  // newest first, as Delta's
    if (f.limit >= 0 && printed++ >= f.limit) break;
    out.buffer() += DumpJson(it->ToJson());
    out.EndLine();
  }
  return Status::OK();
}

void AppendCsvValue(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull:
      return;
    case Type::kString:
      AppendCsvField(v.as_string(), /*quote_if_empty=*/true, out);
      return;
    case Type::kTimestamp:
      out->append(FormatIso8601(v.as_timestamp_ms()));
      return;
    default:  // numbers and booleans as JSON writes them; arrays as JSON text
      AppendCsvField(DumpJson(v.ToJson()), false, out);
      return;
  }
}

Status Scan(const TableFlags& f, bool csv) {
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, ExpandDataDirs(f.data));
  ASSIGN_OR_RETURN(auto stores, PartitionedStores::Open(dirs));
  ASSIGN_OR_RETURN(PartitionedTable t, PartitionedTable::Find(stores.get(), f.name));
  const Schema& schema = t.spec().schema;
  LineWriter out;
  if (csv) {
    for (size_t i = 0; i < schema.size(); ++i) {
      if (i > 0) out.buffer().push_back(',');
      AppendCsvField(schema.column(i).name, true, &out.buffer());
    }
    out.buffer().push_back('\r');
    out.EndLine();
  }
  int64_t printed = 0;
  Status limit_reached = Status::ResourceInUse("limit");  // a sentinel that ends the scan early
  ASSIGN_OR_RETURN(PartitionedTable::At at, VersionFlags(f));
  Status s = t.Scan(at, nullptr, [&](const Row& row) -> Status {
    if (f.limit >= 0 && printed >= f.limit) return limit_reached;
    ++printed;
    if (csv) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out.buffer().push_back(',');
        AppendCsvValue(row[i], &out.buffer());
      }
      out.buffer().push_back('\r');
    } else {
      out.buffer() += DumpJson(RowToJson(schema, row));
    }
    out.EndLine();
    return Status::OK();
  });
  if (s == limit_reached) return Status::OK();
  return s;
}

// One JSON line per table and per topology vacuumed, then a summary with the store's size.
Status Vacuum(const TableFlags& f) {
  VacuumOptions options;
  options.tables = f.tables;
  options.dry_run = f.dry_run;
  if (!f.retain.empty()) {
    ASSIGN_OR_RETURN(int64_t ms, ParseDurationMillis(f.retain));
    if (ms < 0) return Status::InvalidArgument("--retain must not be negative");
    options.retain_ms = ms;
  }
  ASSIGN_OR_RETURN(std::string dir, OneDataDir(f));
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return Status::ResourceNotFound("no processor store at '" + dir + "'");
  }
  ProcessorStore::Options store_options;
  store_options.path = dir;
  store_options.read_only = f.dry_run;
  store_options.sync = true;
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(store_options));
  ASSIGN_OR_RETURN(VacuumReport report, store->Vacuum(options));
  for (const auto& t : report.tables) {
    ojson j = t.ToJson();
    j["dry_run"] = f.dry_run;
    Print(j);
  }
  for (const auto& b : report.topologies) {
    ojson j = b.ToJson();
    j["dry_run"] = f.dry_run;
    Print(j);
  }
  Print(report.SummaryJson(f.dry_run));
  return Status::OK();
}

}  // namespace

void AddTableCommands(CLI::App& app, Action* action) {
  auto f = std::make_shared<TableFlags>();
  auto* table = app.add_subcommand("table", "inspect a processor's delta tables");
  table->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool named, bool several = false) {
    auto* cmd = table->add_subcommand(name, help);
    if (named) cmd->add_option("name", f->name, "table name")->required();
    cmd->add_option("--data", f->data,
                    several ? "the processor's data directory; given several times (or as a "
                              "pattern, e.g. 'out/instance-*'), the data directories of the "
                              "instances of one topology, read as one table: the union of "
                              "their rows (a key of an upsert table in two of them is an error)"
                            : "the processor's data directory")
        ->required()
        ->allow_extra_args(false);
    return cmd;
  };
  auto add_version = [&](CLI::App* cmd) {
    auto* version =
        cmd->add_option("--version", f->version,
                        "read the table as of this version (time travel; one --data only: "
                        "each directory numbers its own versions)")
            ->check(CLI::NonNegativeNumber);
    cmd->add_option("--timestamp", f->timestamp,
                    "read the table as it was at this time (ISO-8601 UTC, time travel; with "
                    "several --data, each directory as it was then)")
        ->excludes(version);
  };
  auto add_limit = [&](CLI::App* cmd, const char* help) {
    cmd->add_option("--limit", f->limit, help)->check(CLI::NonNegativeNumber);
  };

  auto* list = add("list", "the tables with their newest version, kind and key", false);
  list->callback([=] { *action = [f] { return List(*f); }; });

  auto* describe = add("describe", "a table's schema, kind, key and newest version", true);
  describe->callback([=] { *action = [f] { return Describe(*f); }; });

  auto* history =
      add("history", "a table's versions, one JSON line each, newest first (as Delta's)", true);
  add_limit(history, "print only the newest N versions");
  history->callback([=] { *action = [f] { return History(*f); }; });

  auto* scan = add("scan", "a table's rows as JSON Lines, columns in schema order", true, true);
  add_version(scan);
  add_limit(scan, "print at most N rows");
  scan->callback([=] { *action = [f] { return Scan(*f, false); }; });

  auto* exp =
      add("export", "a table's rows as JSON Lines or CSV (RFC 4180, with a header)", true, true);
  add_version(exp);
  add_limit(exp, "export at most N rows");
  exp->add_option("--format", f->format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  exp->callback([=] { *action = [f] { return Scan(*f, f->format == "csv"); }; });

  auto* vacuum = add("vacuum",
                     "apply retention by hand (Delta's VACUUM): drop table versions older than "
                     "the retention and the rows only they need, and every topology's batch "
                     "records and undo logs older than its rewind_retention; prints what goes as "
                     "JSON lines. Stop the processor first (or use --dry-run)",
                     false);
  vacuum->add_option("tables", f->tables,
                     "only these tables (then no batch records are trimmed); default: all");
  vacuum->add_option("--retain", f->retain,
                     "keep this much table history (e.g. 168h, 7d, 0s); default: the "
                     "history_retention of the topology writing the table, else 7d");
  vacuum->add_flag("--dry-run", f->dry_run, "print what would go, remove nothing");
  vacuum->callback([=] { *action = [f] { return Vacuum(*f); }; });
}

}  // namespace pinstream::cli
