#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "operators/aggregates.h"
#include "operators/group_table.h"
#include "operators/operator.h"

namespace pinstream {

// What the `aggregate` and `window` steps share: the group-by columns, the aggregates and the
// cache budget of their GroupTable.
struct AggregationConfig {
  std::vector<int> group_columns;  // input positions
  std::vector<std::unique_ptr<AggregateFunction>> functions;
  size_t cache_bytes = 0;
};

// Reads "group_by" (a column or a list; optional: no grouping), "aggregates" (see
// ParseAggregates) and "cache_mb" (the in-memory cache of the step's state, default 64),
// appending the group columns and then the aggregates' output columns to `columns`. Problems
// go to args.errors; nullopt then.
std::optional<AggregationConfig> ParseAggregation(const OperatorArgs& args,
                                                  std::vector<Column>* columns);

// Appends a group's values, then every aggregate's result for `window`.
void AppendAggregateRow(const GroupTable::Group& group, const GroupTable::Window& window, Row* out);

}  // namespace pinstream
