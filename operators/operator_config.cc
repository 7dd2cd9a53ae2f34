#include "operators/operator_config.h"

#include <algorithm>

#include "common/time_format.h"

namespace pinstream {

std::optional<std::string> StringField(const OperatorArgs& args, const char* field) {
  auto it = args.config.find(field);
  if (it == args.config.end()) {
    args.Error("", std::string("missing option '") + field + "'");
    return std::nullopt;
  }
  if (!it->is_string()) {
    args.Error(field, "must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<std::string> OptionalStringField(const OperatorArgs& args, const char* field,
                                               std::string fallback) {
  if (!args.config.contains(field)) return fallback;
  return StringField(args, field);
}

std::optional<std::vector<std::string>> StringListField(const OperatorArgs& args,
                                                        const char* field) {
  auto it = args.config.find(field);
  if (it == args.config.end()) {
    args.Error("", std::string("missing option '") + field + "'");
    return std::nullopt;
  }
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array()) {
    args.Error(field, "must be a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) {
      args.Error(std::string(field) + "/" + std::to_string(i), "must be a string");
      return std::nullopt;
    }
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

std::optional<int> InputColumn(const OperatorArgs& args, const char* field) {
  auto name = StringField(args, field);
  if (!name) return std::nullopt;
  int i = args.input.Find(*name);
  if (i < 0) {
    args.Error(field, "unknown column '" + *name + "'");
    return std::nullopt;
  }
  return i;
}

std::optional<std::vector<int>> InputColumns(const OperatorArgs& args, const char* field) {
  auto names = StringListField(args, field);
  if (!names) return std::nullopt;
  std::vector<int> out;
  bool ok = true;
  for (size_t k = 0; k < names->size(); ++k) {
    int i = args.input.Find((*names)[k]);
    if (i < 0) {
      args.Error(std::string(field) + "/" + std::to_string(k),
                 "unknown column '" + (*names)[k] + "'");
      ok = false;
    }
    out.push_back(i);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<int64_t> DurationField(const OperatorArgs& args, const char* field,
                                     int64_t fallback) {
  auto it = args.config.find(field);
  if (it == args.config.end()) return fallback;
  if (!it->is_string()) {
    args.Error(field, "must be a duration such as \"10s\", \"1m\" or \"500ms\"");
    return std::nullopt;
  }
  auto ms = ParseDurationMillis(it->get<std::string>());
  if (!ms.ok()) {
    args.Error(field, ms.status().message());
    return std::nullopt;
  }
  return *ms;
}

bool Range::AddBound(const OperatorArgs& args, const std::string& field, std::string_view name,
                     const nlohmann::ordered_json& bound) {
  if (!bound.is_number()) {
    args.Error(field, "must be a number");
    return false;
  }
  const double d = bound.get<double>();
  if (name == "min" || name == "above") {
    const bool first = low == -INFINITY;
    low = d;
    low_inclusive = name == "min";
    if (!first) args.Error(field, "one lower bound only: min or above");
    return first;
  }
  const bool first = high == INFINITY;
  high = d;
  high_inclusive = name == "max";
  if (!first) args.Error(field, "one upper bound only: max or below");
  return first;
}

void CheckKnownFields(const OperatorArgs& args, std::initializer_list<const char*> known) {
  for (const auto& [key, _] : args.config.items()) {
    if (key == "op") continue;
    if (std::none_of(known.begin(), known.end(),
                     [&key = key](const char* k) { return key == k; })) {
      args.Error(key, "unknown option '" + key + "'");
    }
  }
}

}  // namespace pinstream
