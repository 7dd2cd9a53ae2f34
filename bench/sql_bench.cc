// SQL over the tables (issue 16): the eight business questions of queries/ over a processor's
// data directory, each timed as `pinstream sql` runs it (open the store read-only, read the
// tables the query names, answer), best of --repeat runs; then the same questions with every
// table a query names first copied into SQLite's own in-memory tables (SqlEngine's
// load_tables), the alternative to the virtual tables. One JSON line per measurement.
//
//   build/bench/sql_bench --data DIR [--queries queries] [--repeat 3] [--no-load]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/processor_store.h"
#include "sql/sql_engine.h"

namespace pinstream {
namespace {

// Counts rows and drops them: the answers are small, and printing is not what is measured.
class CountingWriter final : public ResultWriter {
 public:
  void Start(sqlite3_stmt*) override {}
  void Row(sqlite3_stmt*) override { ++rows; }
  Status Finish() override { return Status::OK(); }
  int64_t rows = 0;
};

struct Timing {
  double seconds = 0;
  int64_t rows = 0;
};

Result<Timing> RunOnce(const std::string& data, const std::string& sql, bool load_tables) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(data, /*read_only=*/true));
  SqlEngine::Options options;
  options.load_tables = load_tables;
  ASSIGN_OR_RETURN(auto engine, SqlEngine::Open(store->tables(), options));
  CountingWriter writer;
  RETURN_IF_ERROR(engine->Run(sql, &writer));
  engine.reset();
  store.reset();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return Timing{took.count(), writer.rows};
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Main(int argc, char** argv) {
  CLI::App app{"the business questions in SQL over a processor's tables"};
  std::string data, queries = "queries";
  int repeat = 3;
  bool no_load = false;
  app.add_option("--data", data, "the processor's data directory")->required();
  app.add_option("--queries", queries, "the folder of the q_*.sql files")->capture_default_str();
  app.add_option("--repeat", repeat, "runs per query (the best is reported)")
      ->capture_default_str();
  app.add_flag("--no-load", no_load, "skip the loaded-tables comparison");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);  // stdout carries the figures only

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(queries)) {
    if (e.path().extension() == ".sql") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "no .sql files in " << queries << "\n";
    return 1;
  }
  // Besides the questions: one table of ~1M rows alone, scanned and grouped.
  std::vector<std::pair<std::string, std::string>> work;
  for (const auto& f : files) work.emplace_back(f.stem().string(), ReadText(f));
  work.emplace_back("pin_group_by_category",
                    "SELECT category, count(*), avg(follower_count) FROM pin GROUP BY category");

  int failures = 0;
  for (bool load : {false, true}) {
    if (load && no_load) break;
    for (const auto& [name, sql] : work) {
      Timing best{1e100, 0};
      for (int i = 0; i < (load ? 1 : repeat); ++i) {  // loading is slow: once is enough
        auto t = RunOnce(data, sql, load);
        if (!t.ok()) {
          std::cerr << name << ": " << t.status().ToString() << "\n";
          ++failures;
          break;
        }
        if (t->seconds < best.seconds) best = *t;
      }
      nlohmann::ordered_json line = {{"benchmark", "sql_question"},
                                     {"query", name},
                                     {"tables", load ? "loaded" : "virtual"},
                                     {"rows", best.rows},
                                     {"seconds", std::round(best.seconds * 1000) / 1000}};
      std::cout << line.dump() << std::endl;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace pinstream

int main(int argc, char** argv) { return pinstream::Main(argc, argv); }
