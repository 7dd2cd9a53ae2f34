#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/coding.h"
#include "common/result.h"

namespace pinstream {

// The column types of rows and tables (Spark's: bigint, double, string, boolean, timestamp,
// array). Timestamps are milliseconds since the Unix epoch, UTC.
enum class Type : uint8_t { kNull = 0, kBool, kInt, kDouble, kString, kTimestamp, kArray };

std::string_view TypeName(Type type);  // "int", "double", "string", "bool", "timestamp", ...
Result<Type> ParseType(std::string_view name);

// One cell: null or a value of one of the types above. Arrays hold Values.
class Value {
 public:
  struct Timestamp {
    int64_t ms = 0;
    bool operator==(const Timestamp&) const = default;
  };
  using Array = std::vector<Value>;

  Value() = default;  // null
  static Value Bool(bool v) { return Value(Storage(std::in_place_index<1>, v)); }
  static Value Int(int64_t v) { return Value(Storage(std::in_place_index<2>, v)); }
  static Value Double(double v) { return Value(Storage(std::in_place_index<3>, v)); }
  static Value String(std::string v) {
    return Value(Storage(std::in_place_index<4>, std::move(v)));
  }
  static Value TimestampMs(int64_t ms) {
    return Value(Storage(std::in_place_index<5>, Timestamp{ms}));
  }
  static Value MakeArray(Array v) { return Value(Storage(std::in_place_index<6>, std::move(v))); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return v_.index() == 0; }

  bool as_bool() const { return std::get<1>(v_); }
  int64_t as_int() const { return std::get<2>(v_); }
  double as_double() const { return std::get<3>(v_); }
  const std::string& as_string() const { return std::get<4>(v_); }
  std::string& as_string() { return std::get<4>(v_); }
  int64_t as_timestamp_ms() const { return std::get<5>(v_).ms; }
  const Array& as_array() const { return std::get<6>(v_); }

  bool operator==(const Value& other) const = default;

  // JSON as scans print it: null, numbers, strings, timestamps as ISO-8601 UTC strings.
  nlohmann::json ToJson() const;

  // A compact binary encoding (type tag, then the value) for rows at rest.
  void EncodeTo(std::string* out) const;
  static bool DecodeFrom(Decoder* in, Value* out);

 private:
  using Storage =
      std::variant<std::monostate, bool, int64_t, double, std::string, Timestamp, Array>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// A row is positional: cell i belongs to column i of the schema it travels with.
using Row = std::vector<Value>;

struct Column {
  std::string name;
  Type type = Type::kString;
  Type element_type = Type::kNull;  // arrays only
  bool nullable = true;

  bool operator==(const Column&) const = default;
};

// Column names and types, in order. Fixed when a topology is built, so operators resolve
// column names to positions once, not per record.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Column> columns) : columns_(std::move(columns)) {}

  const std::vector<Column>& columns() const { return columns_; }
  size_t size() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  // The position of `name`, or -1.
  int Find(std::string_view name) const;

  void Add(Column c) { columns_.push_back(std::move(c)); }

  // [{"name": "ind", "type": "int", "nullable": true}, ...]; arrays as "array<double>".
  nlohmann::json ToJson() const;
  static Result<Schema> FromJson(const nlohmann::json& j);

  bool operator==(const Schema&) const = default;

 private:
  std::vector<Column> columns_;
};

// "array<double>" for arrays, TypeName otherwise.
std::string ColumnTypeName(const Column& c);

// Whether `v` may be stored in column `c` (null only if nullable; arrays check elements).
Status CheckValue(const Column& c, const Value& v);

// A row as a JSON object in schema order, as `table scan` prints it.
nlohmann::ordered_json RowToJson(const Schema& schema, const Row& row);

void EncodeRow(const Row& row, std::string* out);
Status DecodeRow(std::string_view in, Row* row);

}  // namespace pinstream
