#include "sql/column_cells.h"

#include "sql/sql_types.h"

namespace pinstream {

Status ColumnCells::Append(const Value& v) {
  const bool null = v.is_null();
  Type type = column_.type;
  if (!null && v.type() != type && !(type == Type::kDouble && v.type() == Type::kInt)) {
    return Status::Corruption("column '" + column_.name + "' of type " +
                              std::string(TypeName(type)) + " holds a value of type " +
                              std::string(TypeName(v.type())));
  }
  null_.push_back(null ? 1 : 0);
  nulls_ += null ? 1 : 0;
  switch (type) {
    case Type::kInt:
      ints_.push_back(null ? 0 : v.as_int());
      break;
    case Type::kBool:
      ints_.push_back(null ? 0 : (v.as_bool() ? 1 : 0));
      break;
    case Type::kTimestamp:  // formatted once here, on the loading thread, not per use
      if (!null) AppendSqlTimestamp(v.as_timestamp_ms(), &arena_);
      offsets_.push_back(arena_.size());
      break;
    case Type::kDouble:
      doubles_.push_back(
          null ? 0.0 : (v.type() == Type::kInt ? static_cast<double>(v.as_int()) : v.as_double()));
      break;
    case Type::kString:
      if (!null) arena_.append(v.as_string());
      offsets_.push_back(arena_.size());
      break;
    case Type::kArray:
      if (!null) AppendSqlJson(v, &arena_);
      offsets_.push_back(arena_.size());
      break;
    case Type::kNull:
      break;
  }
  return Status::OK();
}

}  // namespace pinstream
