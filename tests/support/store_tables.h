#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sinks/processor_store.h"

namespace pinstream::testing {

// Every table of the processor store at `dir` (opened read-only) as the sorted JSON of its
// rows: a multiset per table, for comparing two runs' tables whatever their row order.
inline std::map<std::string, std::vector<std::string>> AllTables(const std::string& dir) {
  std::map<std::string, std::vector<std::string>> tables;
  auto store = ProcessorStore::Open(dir, /*read_only=*/true);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return tables;
  for (const Table* table : (*store)->tables()->List()) {
    std::vector<std::string>& rows = tables[table->spec().name];
    Status s = table->Scan(std::nullopt, [&](const Row& row) {
      nlohmann::json j = nlohmann::json::array();
      for (const Value& v : row) j.push_back(v.ToJson());
      rows.push_back(j.dump());
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::sort(rows.begin(), rows.end());
  }
  return tables;
}

}  // namespace pinstream::testing
