#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "operators/operator.h"

namespace pinstream {

// Readers of a step's configuration fields. Each reports a problem to args.errors (with the
// field's JSON pointer) and returns nullopt when the field is missing or malformed.

std::optional<std::string> StringField(const OperatorArgs& args, const char* field);
std::optional<std::string> OptionalStringField(const OperatorArgs& args, const char* field,
                                               std::string fallback);
std::optional<std::vector<std::string>> StringListField(const OperatorArgs& args,
                                                        const char* field);

// A field naming one column of the input schema; its position.
std::optional<int> InputColumn(const OperatorArgs& args, const char* field);
// A field naming several input columns (a list, or one name); their positions.
std::optional<std::vector<int>> InputColumns(const OperatorArgs& args, const char* field);

// An optional duration ("90s", "1m", "500ms", "2h"; see ParseDurationMillis), in ms.
std::optional<int64_t> DurationField(const OperatorArgs& args, const char* field, int64_t fallback);

// A numeric range with optional bounds: "min"/"max" inclusive, "above"/"below" exclusive, a
// missing bound open. Used by bucket and filter.
struct Range {
  double low = -INFINITY;
  bool low_inclusive = true;
  double high = INFINITY;
  bool high_inclusive = true;

  bool Holds(double v) const {
    return (low_inclusive ? v >= low : v > low) && (high_inclusive ? v <= high : v < high);
  }
  static bool IsBound(std::string_view name) {
    return name == "min" || name == "max" || name == "above" || name == "below";
  }
  // Sets the bound `name` (IsBound) from `bound`, reporting a non-number or a second lower or
  // upper bound at `field` (relative to the step). False when it reported a problem.
  bool AddBound(const OperatorArgs& args, const std::string& field, std::string_view name,
                const nlohmann::ordered_json& bound);
};

// Reports every config key that is not one of `known` (typos must not pass silently).
void CheckKnownFields(const OperatorArgs& args, std::initializer_list<const char*> known);

}  // namespace pinstream
