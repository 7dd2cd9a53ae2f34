#pragma once

// Helpers the store tests share: column definitions and whole-table scans.
#include <optional>
#include <string>
#include <vector>

#include "common/value.h"
#include "sinks/table_store.h"
#include "tests/test_util.h"

namespace pinstream::testing {

inline Column Col(std::string name, Type type, bool nullable = true, Type element = Type::kNull) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.element_type = element;
  c.nullable = nullable;
  return c;
}

// Every row of `t` as of `version` (the newest when absent); a failed scan fails the test.
inline std::vector<Row> ScanAll(const Table* t, std::optional<int64_t> version = {}) {
  std::vector<Row> rows;
  EXPECT_OK(t->Scan(version, [&](const Row& r) {
    rows.push_back(r);
    return Status::OK();
  }));
  return rows;
}

}  // namespace pinstream::testing
