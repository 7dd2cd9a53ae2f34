#pragma once

// A processor store with tables written through the CommitStore interface, as the processor
// writes them, and the SQL engine run over it with its output captured.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sinks/processor_store.h"
#include "sql/sql_engine.h"
#include "tests/test_util.h"

namespace pinstream::testing {

inline Column SqlCol(std::string name, Type type, Type element = Type::kNull) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.element_type = element;
  return c;
}

class SqlStore {
 public:
  SqlStore() : clock_(1'600'000'000'000) {
    ProcessorStore::Options options;
    path_ = dir_.Sub("store");
    options.path = path_;
    options.clock = &clock_;
    auto s = ProcessorStore::Open(options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) store_ = std::move(s).value();
  }

  ProcessorStore* store() { return store_.get(); }
  ManualClock* clock() { return &clock_; }

  // Writes `rows` into table `name` (declared with `columns` and `key` on first use) and
  // commits them as one batch: one new version of the table.
  Status Write(const std::string& name, const std::vector<Column>& columns,
               const std::vector<Row>& rows, const std::vector<std::string>& key = {}) {
    ASSIGN_OR_RETURN(TableWriter * writer, store_->OpenTable({name, Schema(columns), key}));
    for (const Row& row : rows) RETURN_IF_ERROR(writer->Write(row));
    auto batch = store_->Commit("test", Checkpoint{});
    return batch.status();
  }

  // Runs `sql` and returns what it printed in `format`, or its error.
  Result<std::string> Query(const std::string& sql, SqlFormat format = SqlFormat::kJsonLines,
                            SqlEngine::Options options = {}) {
    return QueryTables(SqlTables(store_->tables()), sql, format, options);
  }

  // This store as one data directory of several (SqlTables's sources).
  SqlTables::Source source() const { return {path_, store_->tables()}; }

  // Runs `sql` over `tables` and returns what it printed in `format`, or its error.
  static Result<std::string> QueryTables(SqlTables tables, const std::string& sql,
                                         SqlFormat format = SqlFormat::kJsonLines,
                                         SqlEngine::Options options = {}) {
    ASSIGN_OR_RETURN(auto engine, SqlEngine::Open(std::move(tables), options));
    char* buf = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buf, &size);
    if (out == nullptr) return Status::IOError("open_memstream");
    Status s;
    {
      auto writer = ResultWriter::Make(format, out);
      s = engine->Run(sql, writer.get());
    }
    std::fclose(out);
    std::string text(buf, size);
    std::free(buf);
    if (!s.ok()) return s;
    return text;
  }

 private:
  TempDir dir_;
  std::string path_;
  ManualClock clock_;
  std::unique_ptr<ProcessorStore> store_;
};

}  // namespace pinstream::testing
