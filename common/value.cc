#include "common/value.h"

#include <cstring>

#include "common/time_format.h"

namespace pinstream {

namespace {

constexpr std::string_view kTypeNames[] = {"null",   "bool",      "int",  "double",
                                           "string", "timestamp", "array"};

}  // namespace

std::string_view TypeName(Type type) { return kTypeNames[static_cast<size_t>(type)]; }

Result<Type> ParseType(std::string_view name) {
  for (size_t i = 1; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<Type>(i);
  }
  if (name == "bigint" || name == "long" || name == "integer") return Type::kInt;
  if (name == "float") return Type::kDouble;
  if (name == "boolean") return Type::kBool;
  return Status::InvalidArgument("unknown type '" + std::string(name) +
                                 "' (types: int, double, string, bool, timestamp, array<T>)");
}

nlohmann::json Value::ToJson() const {
  switch (type()) {
    case Type::kNull:
      return nullptr;
    case Type::kBool:
      return as_bool();
    case Type::kInt:
      return as_int();
    case Type::kDouble:
      return as_double();
    case Type::kString:
      return as_string();
    case Type::kTimestamp:
      return FormatIso8601(as_timestamp_ms());
    case Type::kArray: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& v : as_array()) a.push_back(v.ToJson());
      return a;
    }
  }
  return nullptr;
}

void Value::EncodeTo(std::string* out) const {
  out->push_back(static_cast<char>(type()));
  switch (type()) {
    case Type::kNull:
      break;
    case Type::kBool:
      out->push_back(as_bool() ? 1 : 0);
      break;
    case Type::kInt:
      PutFixed64BE(out, static_cast<uint64_t>(as_int()));
      break;
    case Type::kDouble: {
      uint64_t bits;
      double d = as_double();
      std::memcpy(&bits, &d, sizeof(bits));
      PutFixed64BE(out, bits);
      break;
    }
    case Type::kString:
      PutLengthPrefixed(out, as_string());
      break;
    case Type::kTimestamp:
      PutFixed64BE(out, static_cast<uint64_t>(as_timestamp_ms()));
      break;
    case Type::kArray:
      PutVarint64(out, as_array().size());
      for (const auto& v : as_array()) v.EncodeTo(out);
      break;
  }
}

bool Value::DecodeFrom(Decoder* in, Value* out) {
  std::string_view text;
  uint8_t t, b;
  if (!in->GetByte(&t)) return false;
  uint64_t u;
  switch (static_cast<Type>(t)) {
    case Type::kNull:
      *out = Value();
      return true;
    case Type::kBool:
      if (!in->GetByte(&b)) return false;
      *out = Bool(b != 0);
      return true;
    case Type::kInt:
      if (!in->GetFixed64BE(&u)) return false;
      *out = Int(static_cast<int64_t>(u));
      return true;
    case Type::kDouble: {
      if (!in->GetFixed64BE(&u)) return false;
      double d;
      std::memcpy(&d, &u, sizeof(d));
      *out = Double(d);
      return true;
    }
    case Type::kString:
      if (!in->GetLengthPrefixed(&text)) return false;
      *out = String(std::string(text));
      return true;
    case Type::kTimestamp:
      if (!in->GetFixed64BE(&u)) return false;
      *out = TimestampMs(static_cast<int64_t>(u));
      return true;
    case Type::kArray: {
      if (!in->GetVarint64(&u) || u > in->rest().size()) return false;
      Array a(u);
      for (auto& v : a) {
        if (!DecodeFrom(in, &v)) return false;
      }
      *out = MakeArray(std::move(a));
      return true;
    }
  }
  return false;
}

int Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ColumnTypeName(const Column& c) {
  if (c.type == Type::kArray) return "array<" + std::string(TypeName(c.element_type)) + ">";
  return std::string(TypeName(c.type));
}

nlohmann::json Schema::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : columns_) {
    out.push_back({{"name", c.name}, {"type", ColumnTypeName(c)}, {"nullable", c.nullable}});
  }
  return out;
}

Result<Schema> Schema::FromJson(const nlohmann::json& j) {
  if (!j.is_array()) return Status::InvalidArgument("a schema is an array of columns");
  Schema s;
  for (const auto& c : j) {
    if (!c.is_object() || !c.contains("name") || !c.contains("type")) {
      return Status::InvalidArgument("a column needs a name and a type");
    }
    Column col;
    col.name = c["name"].get<std::string>();
    std::string type = c["type"].get<std::string>();
    if (type.starts_with("array<") && type.ends_with(">")) {
      col.type = Type::kArray;
      ASSIGN_OR_RETURN(col.element_type, ParseType(type.substr(6, type.size() - 7)));
    } else {
      ASSIGN_OR_RETURN(col.type, ParseType(type));
    }
    col.nullable = c.value("nullable", true);
    s.Add(std::move(col));
  }
  return s;
}

Status CheckValue(const Column& c, const Value& v) {
  if (v.is_null()) {
    if (c.nullable) return Status::OK();
    return Status::InvalidArgument("column '" + c.name + "' is not nullable but got null");
  }
  if (v.type() != c.type) {
    return Status::InvalidArgument("column '" + c.name + "' is " + ColumnTypeName(c) + " but got " +
                                   std::string(TypeName(v.type())));
  }
  if (c.type == Type::kArray) {
    for (const auto& e : v.as_array()) {
      if (!e.is_null() && e.type() != c.element_type) {
        return Status::InvalidArgument("column '" + c.name + "' is " + ColumnTypeName(c) +
                                       " but holds a " + std::string(TypeName(e.type())));
      }
    }
  }
  return Status::OK();
}

nlohmann::ordered_json RowToJson(const Schema& schema, const Row& row) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (size_t i = 0; i < schema.size() && i < row.size(); ++i) {
    out[schema.column(i).name] = row[i].ToJson();
  }
  return out;
}

void EncodeRow(const Row& row, std::string* out) {
  PutVarint64(out, row.size());
  for (const auto& v : row) v.EncodeTo(out);
}

Status DecodeRow(std::string_view in, Row* row) {
  Decoder d(in);
  uint64_t n;
  if (!d.GetVarint64(&n) || n > in.size()) return Status::Corruption("malformed row");
  row->assign(n, Value());
  for (auto& v : *row) {
    if (!Value::DecodeFrom(&d, &v)) return Status::Corruption("malformed row");
  }
  if (!d.empty()) return Status::Corruption("malformed row: trailing bytes");
  return Status::OK();
}

}  // namespace pinstream
