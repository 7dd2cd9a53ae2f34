// filter: keeps the rows that meet every condition of `where` (Spark's where), e.g.
//   {"op": "filter", "where": {"post_year": {"min": 2018, "max": 2022},
//                              "age_group": {"not_null": true},
//                              "country": {"in": ["France", "Peru"]}}}
// Conditions per column: bounds (min/max inclusive, above/below exclusive) on a number, `in` a
// list of values, `not_null`. A null meets none of them (SQL's unknown is not true). The other
// rows leave the pipeline: a query's choice, not an error, so no dead letter.
#include <algorithm>

#include "operators/operator.h"
#include "operators/operator_config.h"

namespace pinstream {

namespace {

struct Condition {
  int column = -1;
  bool has_range = false;
  Range range;
  bool has_in = false;
  std::vector<Value> in;

  bool Holds(const Value& v) const {
    if (v.is_null()) return false;
    if (has_range) {
      const double d = v.type() == Type::kInt ? static_cast<double>(v.as_int()) : v.as_double();
      if (!range.Holds(d)) return false;
    }
    return !has_in || std::find(in.begin(), in.end(), v) != in.end();
  }
};

class Filter final : public Operator {
 public:
  explicit Filter(std::vector<Condition> conditions) : conditions_(std::move(conditions)) {}

  Status Apply(Row& row, bool* keep) override {
    for (const Condition& c : conditions_) {
      if (!c.Holds(row[c.column])) {
        *keep = false;
        return Status::OK();
      }
    }
    return Status::OK();
  }

 private:
  std::vector<Condition> conditions_;
};

// A JSON value as a value of column `c`, for "in"; nullopt when it cannot be one.
std::optional<Value> ValueOf(const Column& c, const nlohmann::ordered_json& j) {
  switch (c.type) {
    case Type::kString:
      if (j.is_string()) return Value::String(j.get<std::string>());
      break;
    case Type::kInt:
      if (j.is_number_integer()) return Value::Int(j.get<int64_t>());
      break;
    case Type::kDouble:
      if (j.is_number()) return Value::Double(j.get<double>());
      break;
    case Type::kBool:
      if (j.is_boolean()) return Value::Bool(j.get<bool>());
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::unique_ptr<Operator> MakeFilter(const OperatorArgs& a) {
  CheckKnownFields(a, {"where"});
  auto where = a.config.find("where");
  if (where == a.config.end() || !where->is_object() || where->empty()) {
    a.Error(where == a.config.end() ? "" : "where",
            "filter needs \"where\": {\"column\": {\"min\": 1, \"max\": 9}, ...} (conditions: "
            "min, max, above, below, in, not_null)");
    return nullptr;
  }
  bool ok = true;
  std::vector<Condition> conditions;
  for (const auto& [name, spec] : where->items()) {
    const std::string p = "where/" + name;
    Condition cond;
    cond.column = a.input.Find(name);
    if (cond.column < 0) {
      a.Error(p, "unknown column '" + name + "'");
      ok = false;
      continue;
    }
    const Column& col = a.input.column(cond.column);
    if (!spec.is_object() || spec.empty()) {
      a.Error(p, "a condition is an object: min, max, above, below, in, not_null");
      ok = false;
      continue;
    }
    for (const auto& [key, arg] : spec.items()) {
      const std::string kp = p + "/" + key;
      if (Range::IsBound(key)) {
        if (col.type != Type::kInt && col.type != Type::kDouble) {
          a.Error(kp, "'" + name + "' is " + ColumnTypeName(col) + "; bounds need a number");
          ok = false;
          continue;
        }
        cond.has_range = true;
        ok &= cond.range.AddBound(a, kp, key, arg);
      } else if (key == "in") {
        cond.has_in = true;
        if (!arg.is_array()) {
          a.Error(kp, "must be a list of values");
          ok = false;
          continue;
        }
        for (size_t i = 0; i < arg.size(); ++i) {
          auto v = ValueOf(col, arg[i]);
          if (!v) {
            a.Error(kp + "/" + std::to_string(i),
                    "is not a value of '" + name + "', which is " + ColumnTypeName(col));
            ok = false;
          } else {
            cond.in.push_back(std::move(*v));
          }
        }
      } else if (key == "not_null") {
        // Every condition already refuses null; not_null alone says only that.
        if (!arg.is_boolean() || !arg.get<bool>()) {
          a.Error(kp, "must be true (a null meets no condition)");
          ok = false;
        }
      } else {
        a.Error(kp, "unknown condition '" + key +
                        "' (conditions: min, max, above, below, in, not_null)");
        ok = false;
      }
    }
    conditions.push_back(std::move(cond));
  }
  if (!ok) return nullptr;
  *a.output = a.input;
  return std::make_unique<Filter>(std::move(conditions));
}

}  // namespace

void RegisterFilterOperator(OperatorRegistry* r) { r->Register("filter", MakeFilter); }

}  // namespace pinstream
