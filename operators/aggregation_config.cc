#include "operators/aggregation_config.h"

#include <algorithm>

#include "operators/operator_config.h"

namespace pinstream {

namespace {
constexpr int64_t kDefaultCacheMb = 64;
}  // namespace

std::optional<AggregationConfig> ParseAggregation(const OperatorArgs& a,
                                                  std::vector<Column>* columns) {
  AggregationConfig config;
  bool ok = true;
  if (a.config.contains("group_by")) {
    auto group = InputColumns(a, "group_by");
    if (!group) {
      ok = false;
    } else {
      for (size_t k = 0; k < group->size(); ++k) {
        const Column& c = a.input.column((*group)[k]);
        if (std::any_of(columns->begin(), columns->end(),
                        [&](const Column& o) { return o.name == c.name; })) {
          a.Error("group_by/" + std::to_string(k), "column '" + c.name + "' appears twice");
          ok = false;
        }
        columns->push_back(c);
      }
      config.group_columns = std::move(*group);
    }
  }
  auto functions = ParseAggregates(a, "aggregates", columns);
  if (!functions) {
    ok = false;
  } else {
    config.functions = std::move(*functions);
  }
  int64_t cache_mb = kDefaultCacheMb;
  if (auto it = a.config.find("cache_mb"); it != a.config.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > (1 << 20)) {
      a.Error("cache_mb", "must be a whole number of MiB, at least 1");
      ok = false;
    } else {
      cache_mb = it->get<int64_t>();
    }
  }
  config.cache_bytes = static_cast<size_t>(cache_mb) << 20;
  if (!ok) return std::nullopt;
  return config;
}

void AppendAggregateRow(const GroupTable::Group& group, const GroupTable::Window& window,
                        Row* out) {
  out->insert(out->end(), group.values.begin(), group.values.end());
  for (const auto& a : window.aggs) a->AppendResult(out);
}

}  // namespace pinstream
