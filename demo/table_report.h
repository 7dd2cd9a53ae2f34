#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sinks/processor_store.h"

namespace pinstream {

// Business-question tables (SPEC section 6) are small keyed tables, named with this prefix: the
// report keeps them whole, up to kMaxAnswerRows.
inline constexpr std::string_view kAnswerPrefix = "q_";
inline constexpr int64_t kMaxAnswerRows = 50;

inline bool IsAnswerTable(std::string_view name) { return name.starts_with(kAnswerPrefix); }

// One table as the demo's report shows it.
struct TableReport {
  std::string name;
  int64_t rows = 0;
  // Answer tables: their first kMaxAnswerRows rows. The others: the row of one post followed
  // through every table (the first post of the first table that has an `ind` column), else the
  // first row.
  std::vector<nlohmann::ordered_json> sample;
};

// Every table in `names` (the topology's, in its order), then the dead letters if `names`
// lacks them. A table the store does not hold reports 0 rows. Reads through `store`, which may
// be written meanwhile (the tables' own thread-safety applies).
Result<std::vector<TableReport>> ReadTables(const ProcessorStore& store,
                                            const std::vector<std::string>& names);

}  // namespace pinstream
