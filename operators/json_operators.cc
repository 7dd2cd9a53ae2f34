// Operators on the raw record: base64 decoding and JSON parsing into typed columns.
#include <simdjson.h>

#include <cmath>

#include "common/base64.h"
#include "common/time_format.h"
#include "operators/operator.h"
#include "operators/operator_config.h"

namespace pinstream {

namespace {

// decode_base64: {"column": "data"} for producers that base64-encode their payloads.
class DecodeBase64 final : public Operator {
 public:
  explicit DecodeBase64(int col) : col_(col) {}
  Status Apply(Row& row, bool*) override {
    Value& v = row[col_];
    if (v.is_null()) return Status::OK();
    ASSIGN_OR_RETURN(std::string bytes, Base64Decode(v.as_string()));
    v = Value::String(std::move(bytes));
    return Status::OK();
  }

 private:
  int col_;
};

std::unique_ptr<Operator> MakeDecodeBase64(const OperatorArgs& a) {
  CheckKnownFields(a, {"column"});
  auto column = OptionalStringField(a, "column", "data");
  if (!column) return nullptr;
  int col = a.input.Find(*column);
  if (col < 0 || a.input.column(col).type != Type::kString) {
    a.Error(a.config.contains("column") ? "column" : "", "needs a string column (default 'data')");
    return nullptr;
  }
  *a.output = a.input;
  return std::make_unique<DecodeBase64>(col);
}

// parse_json: {"column": "data", "columns": {"index": "int", "title": "string", ...},
//              "keep": ["arrival"]}
// Parses the column as a JSON object into the declared columns, in declared order (Spark's
// from_json with a schema), then the kept input columns. Keys not declared are ignored; a
// declared key that is missing is null; a value of another type than declared is a schema
// violation that sends the record to the dead letters.
class ParseJson final : public Operator {
 public:
  ParseJson(int col, Schema declared, std::vector<int> keep)
      : col_(col), declared_(std::move(declared)), keep_(std::move(keep)) {}

  Status Apply(Row& row, bool*) override {
    Value& in = row[col_];
    if (in.type() != Type::kString) return Status::InvalidArgument("no data to parse as JSON");
    std::string& text = in.as_string();
    if (text.capacity() < text.size() + simdjson::SIMDJSON_PADDING) {
      text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    }
    // The DOM parser picks the fastest kernel for this CPU at run time (On Demand would be
    // fixed at compile time to the portable fallback in a generic build).
    simdjson::dom::element doc;
    if (auto err = parser_.parse(text.data(), text.size(), /*realloc_if_needed=*/false).get(doc)) {
      return Status::InvalidArgument(std::string("not JSON: ") + simdjson::error_message(err));
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return Status::InvalidArgument("not a JSON object");
    Row& out = scratch_;  // swapped with the row, so that parsing allocates no row once warm
    out.clear();          // (not empty after a record that failed half way)
    out.resize(declared_.size() + keep_.size());
    for (auto [key, value] : obj) {
      int idx = declared_.Find(key);
      if (idx < 0) continue;
      RETURN_IF_ERROR(Convert(value, declared_.column(idx), &out[idx]));
    }
    for (size_t k = 0; k < keep_.size(); ++k) out[declared_.size() + k] = std::move(row[keep_[k]]);
    row.swap(out);
    out.clear();  // the raw record goes at once (its memory is the next record's)
    return Status::OK();
  }

 private:
  static Status Mismatch(const Column& c, simdjson::dom::element v) {
    return Status::InvalidArgument("column '" + c.name + "' expects " + ColumnTypeName(c) +
                                   ", got " + std::string(JsonTypeName(v.type())));
  }

  static Status ConvertScalar(simdjson::dom::element v, Type type, const Column& c, Value* out) {
    if (v.is_null()) {
      *out = Value();
      return Status::OK();
    }
    switch (type) {
      case Type::kInt: {
        int64_t i;
        double d;
        if (!v.get_int64().get(i)) {
          *out = Value::Int(i);
        } else if (!v.get_double().get(d) && std::trunc(d) == d && std::abs(d) < 9e18) {
          *out = Value::Int(static_cast<int64_t>(d));
        } else {
          return Mismatch(c, v);
        }
        return Status::OK();
      }
      case Type::kDouble: {
        double d;
        if (v.get_double().get(d)) return Mismatch(c, v);
        *out = Value::Double(d);
        return Status::OK();
      }
      case Type::kBool: {
        bool b;
        if (v.get_bool().get(b)) return Mismatch(c, v);
        *out = Value::Bool(b);
        return Status::OK();
      }
      case Type::kString: {
        std::string_view s;
        if (v.get_string().get(s)) return Mismatch(c, v);
        *out = Value::String(std::string(s));
        return Status::OK();
      }
      case Type::kTimestamp: {
        std::string_view s;
        double secs;
        if (!v.get_string().get(s)) {
          auto ms = ParseTimestampMillis(s);
          if (!ms.ok())
            return Status::InvalidArgument("column '" + c.name + "': " + ms.status().message());
          *out = Value::TimestampMs(*ms);
        } else if (!v.get_double().get(secs)) {
          *out = Value::TimestampMs(std::llround(secs * 1000));
        } else {
          return Mismatch(c, v);
        }
        return Status::OK();
      }
      default:
        return Mismatch(c, v);
    }
  }

  static Status Convert(simdjson::dom::element v, const Column& c, Value* out) {
    if (c.type != Type::kArray) return ConvertScalar(v, c.type, c, out);
    if (v.is_null()) {
      *out = Value();
      return Status::OK();
    }
    simdjson::dom::array arr;
    if (v.get_array().get(arr)) return Mismatch(c, v);
    Value::Array items;
    for (auto element : arr) {
      Value item;
      RETURN_IF_ERROR(ConvertScalar(element, c.element_type, c, &item));
      items.push_back(std::move(item));
    }
    *out = Value::MakeArray(std::move(items));
    return Status::OK();
  }

  static std::string_view JsonTypeName(simdjson::dom::element_type t) {
    switch (t) {
      case simdjson::dom::element_type::ARRAY:
        return "an array";
      case simdjson::dom::element_type::OBJECT:
        return "an object";
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        return "a number";
      case simdjson::dom::element_type::STRING:
        return "a string";
      case simdjson::dom::element_type::BOOL:
        return "a boolean";
      case simdjson::dom::element_type::NULL_VALUE:
        return "null";
    }
    return "a value";
  }

  int col_;
  Schema declared_;
  std::vector<int> keep_;
  simdjson::dom::parser parser_;
  Row scratch_;
};

std::unique_ptr<Operator> MakeParseJson(const OperatorArgs& a) {
  CheckKnownFields(a, {"column", "columns", "keep"});
  auto column = OptionalStringField(a, "column", "data");
  if (!column) return nullptr;
  int col = a.input.Find(*column);
  if (col < 0 || a.input.column(col).type != Type::kString) {
    a.Error(a.config.contains("column") ? "column" : "",
            "needs a string column to parse (default 'data')");
  }
  auto it = a.config.find("columns");
  if (it == a.config.end() || !it->is_object() || it->empty()) {
    a.Error(it == a.config.end() ? "" : "columns",
            "parse_json needs \"columns\": {\"name\": \"type\", ...} (the record's schema)");
    return nullptr;
  }
  Schema declared;
  for (const auto& [name, type] : it->items()) {
    if (!type.is_string()) {
      a.Error("columns/" + name, "must be a type name");
      continue;
    }
    std::string t = type.get<std::string>();
    Column c{name, Type::kString, Type::kNull, true};
    if (t.starts_with("array<") && t.ends_with(">")) {
      auto e = ParseType(t.substr(6, t.size() - 7));
      if (!e.ok() || *e == Type::kArray) {
        a.Error("columns/" + name, "arrays hold int, double, string, bool or timestamp");
        continue;
      }
      c.type = Type::kArray;
      c.element_type = *e;
    } else {
      auto parsed = ParseType(t);
      if (!parsed.ok() || *parsed == Type::kArray) {
        a.Error("columns/" + name, parsed.ok()
                                       ? "an array column needs an element type, e.g. array<double>"
                                       : parsed.status().message());
        continue;
      }
      c.type = *parsed;
    }
    declared.Add(std::move(c));
  }
  std::vector<int> keep;
  if (a.config.contains("keep")) {
    auto k = InputColumns(a, "keep");
    if (k) keep = *k;
  }
  if (col < 0) return nullptr;
  Schema out = declared;
  for (int k : keep) {
    if (out.Find(a.input.column(k).name) >= 0) {
      a.Error("keep", "column '" + a.input.column(k).name + "' is also declared");
    }
    out.Add(a.input.column(k));
  }
  *a.output = std::move(out);
  return std::make_unique<ParseJson>(col, std::move(declared), std::move(keep));
}

}  // namespace

void RegisterJsonOperators(OperatorRegistry* r) {
  r->Register("decode_base64", MakeDecodeBase64);
  r->Register("parse_json", MakeParseJson);
}

}  // namespace pinstream
