// Column-wise operators: each rewrites, renames, combines or removes columns of a row.
#include <charconv>
#include <cmath>
#include <map>

#include "common/time_format.h"
#include "operators/operator.h"
#include "operators/operator_config.h"

namespace pinstream {

namespace {

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

// nullify: {"values": {"col": ["placeholder", ...]}, "blank": true}
// Replaces placeholder strings with null; with "blank", also every empty or whitespace-only
// string in any column.
class Nullify final : public Operator {
 public:
  Nullify(std::vector<std::pair<int, std::vector<std::string>>> values,
          std::vector<int> blank_columns)
      : values_(std::move(values)), blank_columns_(std::move(blank_columns)) {}

  Status Apply(Row& row, bool*) override {
    for (const auto& [col, placeholders] : values_) {
      Value& v = row[col];
      if (v.type() != Type::kString) continue;
      for (const auto& p : placeholders) {
        if (v.as_string() == p) {
          v = Value();
          break;
        }
      }
    }
    for (int col : blank_columns_) {
      Value& v = row[col];
      if (v.type() == Type::kString && IsBlank(v.as_string())) v = Value();
    }
    return Status::OK();
  }

 private:
  std::vector<std::pair<int, std::vector<std::string>>> values_;
  std::vector<int> blank_columns_;
};

std::unique_ptr<Operator> MakeNullify(const OperatorArgs& a) {
  CheckKnownFields(a, {"values", "blank"});
  std::vector<std::pair<int, std::vector<std::string>>> values;
  if (auto it = a.config.find("values"); it != a.config.end()) {
    if (!it->is_object()) {
      a.Error("values", "must map column names to lists of placeholder strings");
    } else {
      for (const auto& [name, list] : it->items()) {
        int col = a.input.Find(name);
        if (col < 0) {
          a.Error("values/" + name, "unknown column '" + name + "'");
          continue;
        }
        std::vector<std::string> strings;
        if (list.is_string()) {
          strings.push_back(list.get<std::string>());
        } else if (list.is_array() &&
                   std::all_of(list.begin(), list.end(), [](auto& x) { return x.is_string(); })) {
          for (const auto& s : list) strings.push_back(s.get<std::string>());
        } else {
          a.Error("values/" + name, "must be a string or a list of strings");
          continue;
        }
        values.emplace_back(col, std::move(strings));
      }
    }
  }
  bool blank = false;
  if (auto it = a.config.find("blank"); it != a.config.end()) {
    if (!it->is_boolean())
      a.Error("blank", "must be true or false");
    else
      blank = it->get<bool>();
  }
  if (!a.config.contains("values") && !blank)
    a.Error("", "nullify needs 'values' or \"blank\": true");
  std::vector<int> blank_columns;
  *a.output = a.input;
  for (size_t i = 0; i < a.input.size(); ++i) {
    if (blank && a.input.column(i).type == Type::kString)
      blank_columns.push_back(static_cast<int>(i));
  }
  return std::make_unique<Nullify>(std::move(values), std::move(blank_columns));
}

// parse_count: {"column": "follower_count"} turns "457", "12k", "1.5M", "2B" into integers.
class ParseCount final : public Operator {
 public:
  explicit ParseCount(int col, std::string name) : col_(col), name_(std::move(name)) {}

  Status Apply(Row& row, bool*) override {
    Value& v = row[col_];
    if (v.type() == Type::kInt || v.is_null()) return Status::OK();
    std::string_view s = v.as_string();
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    double scale = 1;
    if (!s.empty()) {
      switch (s.back()) {
        case 'k':
        case 'K':
          scale = 1e3;
          break;
        case 'm':
        case 'M':
          scale = 1e6;
          break;
        case 'b':
        case 'B':
          scale = 1e9;
          break;
        default:
          break;
      }
      if (scale != 1) s.remove_suffix(1);
    }
    double n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n < 0 || !std::isfinite(n) ||
        n * scale > 9e18) {
      return Status::InvalidArgument("column '" + name_ + "': '" + v.as_string() +
                                     "' is not a count");
    }
    v = Value::Int(static_cast<int64_t>(std::llround(n * scale)));
    return Status::OK();
  }

 private:
  int col_;
  std::string name_;
};

std::unique_ptr<Operator> MakeParseCount(const OperatorArgs& a) {
  CheckKnownFields(a, {"column"});
  auto col = InputColumn(a, "column");
  if (!col) return nullptr;
  const Column& c = a.input.column(*col);
  if (c.type != Type::kString && c.type != Type::kInt)
    a.Error("column", "'" + c.name + "' must be a string column");
  *a.output = a.input;
  std::vector<Column> cols = a.output->columns();
  cols[*col].type = Type::kInt;
  *a.output = Schema(std::move(cols));
  return std::make_unique<ParseCount>(*col, c.name);
}

// strip_prefix: {"column": "save_location", "prefix": "Local save in "}
class StripPrefix final : public Operator {
 public:
  StripPrefix(int col, std::string prefix) : col_(col), prefix_(std::move(prefix)) {}
  Status Apply(Row& row, bool*) override {
    Value& v = row[col_];
    if (v.type() == Type::kString && v.as_string().starts_with(prefix_)) {
      v.as_string().erase(0, prefix_.size());
    }
    return Status::OK();
  }

 private:
  int col_;
  std::string prefix_;
};

std::unique_ptr<Operator> MakeStripPrefix(const OperatorArgs& a) {
  CheckKnownFields(a, {"column", "prefix"});
  auto col = InputColumn(a, "column");
  auto prefix = StringField(a, "prefix");
  if (!col || !prefix) return nullptr;
  if (a.input.column(*col).type != Type::kString) a.Error("column", "must name a string column");
  *a.output = a.input;
  return std::make_unique<StripPrefix>(*col, *prefix);
}

// Operators that only change the schema (rename) need no per-row work.
class Identity final : public Operator {
 public:
  Status Apply(Row&, bool*) override { return Status::OK(); }
};

// rename: {"columns": {"index": "ind"}}
std::unique_ptr<Operator> MakeRename(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns"});
  auto it = a.config.find("columns");
  if (it == a.config.end() || !it->is_object()) {
    a.Error(it == a.config.end() ? "" : "columns", "rename needs \"columns\": {\"old\": \"new\"}");
    return nullptr;
  }
  std::vector<Column> cols = a.input.columns();
  std::vector<std::string> new_names;
  for (const auto& [from, to] : it->items()) {
    if (to.is_string()) {
      if (std::find(new_names.begin(), new_names.end(), to.get<std::string>()) != new_names.end()) {
        a.Error("columns/" + from, "column '" + to.get<std::string>() + "' already exists");
        continue;
      }
      new_names.push_back(to.get<std::string>());
    }
    int i = a.input.Find(from);
    if (i < 0) {
      a.Error("columns/" + from, "unknown column '" + from + "'");
    } else if (!to.is_string()) {
      a.Error("columns/" + from, "the new name must be a string");
    } else if (a.input.Find(to.get<std::string>()) >= 0 && to.get<std::string>() != from) {
      a.Error("columns/" + from, "column '" + to.get<std::string>() + "' already exists");
    } else {
      cols[i].name = to.get<std::string>();
    }
  }
  *a.output = Schema(std::move(cols));
  return std::make_unique<Identity>();
}

// Converts a value to `type`; InvalidArgument when it cannot hold.
Result<Value> CastValue(const Value& v, Type type, const std::string& column) {
  if (v.is_null() || v.type() == type) return v;
  auto fail = [&] {
    return Status::InvalidArgument("column '" + column + "': cannot cast " + v.ToJson().dump() +
                                   " to " + std::string(TypeName(type)));
  };
  switch (type) {
    case Type::kInt:
      if (v.type() == Type::kDouble) {
        double d = v.as_double();
        if (!std::isfinite(d) || std::trunc(d) != d || std::abs(d) > 9e18) return fail();
        return Value::Int(static_cast<int64_t>(d));
      }
      if (v.type() == Type::kBool) return Value::Int(v.as_bool() ? 1 : 0);
      if (v.type() == Type::kString) {
        int64_t n;
        const std::string& s = v.as_string();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return fail();
        return Value::Int(n);
      }
      return fail();
    case Type::kDouble:
      if (v.type() == Type::kInt) return Value::Double(static_cast<double>(v.as_int()));
      if (v.type() == Type::kString) {
        double d;
        const std::string& s = v.as_string();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return fail();
        return Value::Double(d);
      }
      return fail();
    case Type::kString:
      if (v.type() == Type::kArray) return fail();
      if (v.type() == Type::kTimestamp) return Value::String(v.ToJson().get<std::string>());
      return Value::String(v.ToJson().dump());
    case Type::kBool:
      if (v.type() == Type::kInt) return Value::Bool(v.as_int() != 0);
      if (v.type() == Type::kString && (v.as_string() == "true" || v.as_string() == "false")) {
        return Value::Bool(v.as_string() == "true");
      }
      return fail();
    case Type::kTimestamp: {
      if (v.type() == Type::kString) {
        auto ms = ParseTimestampMillis(v.as_string());
        if (!ms.ok())
          return Status::InvalidArgument("column '" + column + "': " + ms.status().message());
        return Value::TimestampMs(*ms);
      }
      // Numbers are epoch seconds; beyond year 5000 either way is a mistake (and would overflow).
      constexpr double kMaxSeconds = 1e11;
      double secs = v.type() == Type::kInt      ? static_cast<double>(v.as_int())
                    : v.type() == Type::kDouble ? v.as_double()
                                                : std::nan("");
      if (!std::isfinite(secs) || std::abs(secs) > kMaxSeconds) return fail();
      if (v.type() == Type::kInt) return Value::TimestampMs(v.as_int() * 1000);
      return Value::TimestampMs(std::llround(secs * 1000));
    }
    default:
      return fail();
  }
}

// cast: {"columns": {"age": "int"}}; to_timestamp: {"column": "timestamp"} is cast to timestamp.
class Cast final : public Operator {
 public:
  explicit Cast(std::vector<std::tuple<int, Type, std::string>> casts) : casts_(std::move(casts)) {}
  Status Apply(Row& row, bool*) override {
    for (const auto& [col, type, name] : casts_) {
      ASSIGN_OR_RETURN(row[col], CastValue(row[col], type, name));
    }
    return Status::OK();
  }

 private:
  std::vector<std::tuple<int, Type, std::string>> casts_;
};

std::unique_ptr<Operator> MakeCast(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns"});
  auto it = a.config.find("columns");
  if (it == a.config.end() || !it->is_object()) {
    a.Error(it == a.config.end() ? "" : "columns", "cast needs \"columns\": {\"name\": \"type\"}");
    return nullptr;
  }
  std::vector<Column> cols = a.input.columns();
  std::vector<std::tuple<int, Type, std::string>> casts;
  for (const auto& [name, type] : it->items()) {
    int i = a.input.Find(name);
    if (i < 0) {
      a.Error("columns/" + name, "unknown column '" + name + "'");
      continue;
    }
    auto t = type.is_string() ? ParseType(type.get<std::string>())
                              : Result<Type>(Status::InvalidArgument("a type name"));
    if (!t.ok() || *t == Type::kArray || *t == Type::kNull) {
      a.Error("columns/" + name, "must be one of int, double, string, bool, timestamp");
      continue;
    }
    cols[i].type = *t;
    casts.emplace_back(i, *t, name);
  }
  *a.output = Schema(std::move(cols));
  return std::make_unique<Cast>(std::move(casts));
}

std::unique_ptr<Operator> MakeToTimestamp(const OperatorArgs& a) {
  CheckKnownFields(a, {"column"});
  auto col = InputColumn(a, "column");
  if (!col) return nullptr;
  std::vector<Column> cols = a.input.columns();
  Type from = cols[*col].type;
  if (from != Type::kString && from != Type::kInt && from != Type::kDouble &&
      from != Type::kTimestamp) {
    a.Error("column", "must name a string or numeric column");
  }
  cols[*col].type = Type::kTimestamp;
  *a.output = Schema(std::move(cols));
  return std::make_unique<Cast>(std::vector<std::tuple<int, Type, std::string>>{
      {*col, Type::kTimestamp, a.input.column(*col).name}});
}

// make_array: {"columns": ["latitude", "longitude"], "into": "coordinates"}, appended last.
class MakeArrayOp final : public Operator {
 public:
  explicit MakeArrayOp(std::vector<int> cols) : cols_(std::move(cols)) {}
  Status Apply(Row& row, bool*) override {
    Value::Array a;
    a.reserve(cols_.size());
    for (int c : cols_) a.push_back(row[c]);
    row.push_back(Value::MakeArray(std::move(a)));
    return Status::OK();
  }

 private:
  std::vector<int> cols_;
};

std::unique_ptr<Operator> MakeMakeArray(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns", "into"});
  auto cols = InputColumns(a, "columns");
  auto into = StringField(a, "into");
  if (!cols || !into) return nullptr;
  if (cols->empty()) {
    a.Error("columns", "make_array needs at least one column");
    return nullptr;
  }
  if (a.input.Find(*into) >= 0) a.Error("into", "column '" + *into + "' already exists");
  Type element = a.input.column((*cols)[0]).type;
  for (size_t k = 1; k < cols->size(); ++k) {
    if (a.input.column((*cols)[k]).type != element) {
      a.Error("columns/" + std::to_string(k), "array elements must all have one type");
    }
  }
  *a.output = a.input;
  a.output->Add(Column{*into, Type::kArray, element, true});
  return std::make_unique<MakeArrayOp>(std::move(*cols));
}

// concat: {"columns": ["first_name", "last_name"], "separator": " ", "into": "user_name"},
// appended last. Null parts are skipped (Spark's concat_ws); all null gives null.
class Concat final : public Operator {
 public:
  Concat(std::vector<int> cols, std::string sep) : cols_(std::move(cols)), sep_(std::move(sep)) {}
  Status Apply(Row& row, bool*) override {
    std::string out;
    bool any = false;
    for (int c : cols_) {
      const Value& v = row[c];
      if (v.is_null()) continue;
      if (any) out += sep_;
      out += v.type() == Type::kString ? v.as_string() : v.ToJson().dump();
      any = true;
    }
    row.push_back(any ? Value::String(std::move(out)) : Value());
    return Status::OK();
  }

 private:
  std::vector<int> cols_;
  std::string sep_;
};

std::unique_ptr<Operator> MakeConcat(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns", "separator", "into"});
  auto cols = InputColumns(a, "columns");
  auto into = StringField(a, "into");
  auto sep = OptionalStringField(a, "separator", "");
  if (!cols || !into || !sep) return nullptr;
  if (a.input.Find(*into) >= 0) a.Error("into", "column '" + *into + "' already exists");
  *a.output = a.input;
  a.output->Add(Column{*into, Type::kString, Type::kNull, true});
  return std::make_unique<Concat>(std::move(*cols), std::move(*sep));
}

// select / drop: keep the listed columns in the listed order, or all but the listed ones.
class Project final : public Operator {
 public:
  explicit Project(std::vector<int> keep) : keep_(std::move(keep)) {}
  Status Apply(Row& row, bool*) override {
    for (int c : keep_) scratch_.push_back(std::move(row[c]));
    row.swap(scratch_);
    scratch_.clear();  // the dropped columns go at once (their memory is the next row's)
    return Status::OK();
  }

 private:
  std::vector<int> keep_;
  Row scratch_;  // swapped with each row, so that projecting allocates no row once warm
};

std::unique_ptr<Operator> MakeSelect(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns"});
  auto cols = InputColumns(a, "columns");
  if (!cols) return nullptr;
  std::vector<Column> out;
  for (size_t k = 0; k < cols->size(); ++k) {
    if (std::find(cols->begin(), cols->begin() + k, (*cols)[k]) != cols->begin() + k) {
      a.Error("columns/" + std::to_string(k),
              "column '" + a.input.column((*cols)[k]).name + "' is selected twice");
    }
    out.push_back(a.input.column((*cols)[k]));
  }
  *a.output = Schema(std::move(out));
  return std::make_unique<Project>(std::move(*cols));
}

std::unique_ptr<Operator> MakeDrop(const OperatorArgs& a) {
  CheckKnownFields(a, {"columns"});
  auto cols = InputColumns(a, "columns");
  if (!cols) return nullptr;
  std::vector<int> keep;
  std::vector<Column> out;
  for (size_t i = 0; i < a.input.size(); ++i) {
    if (std::find(cols->begin(), cols->end(), static_cast<int>(i)) == cols->end()) {
      keep.push_back(static_cast<int>(i));
      out.push_back(a.input.column(i));
    }
  }
  *a.output = Schema(std::move(out));
  return std::make_unique<Project>(std::move(keep));
}

}  // namespace

void RegisterColumnOperators(OperatorRegistry* r) {
  r->Register("nullify", MakeNullify);
  r->Register("parse_count", MakeParseCount);
  r->Register("strip_prefix", MakeStripPrefix);
  r->Register("rename", MakeRename);
  r->Register("cast", MakeCast);
  r->Register("to_timestamp", MakeToTimestamp);
  r->Register("make_array", MakeMakeArray);
  r->Register("concat", MakeConcat);
  r->Register("select", MakeSelect);
  r->Register("drop", MakeDrop);
}

}  // namespace pinstream
