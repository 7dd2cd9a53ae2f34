#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/value.h"

namespace pinstream {

// One column of a table held in memory for SQLite, typed: integers and booleans as int64,
// doubles as double, strings, timestamps and arrays (as their SQL text) in one byte arena. Compact
// and flat, so that loading a million rows appends to a few vectors instead of allocating a
// Value per cell, and freeing it is a few frees. Append-only; not thread-safe (the loading
// thread fills it, then SQLite's thread reads it).
class ColumnCells {
 public:
  explicit ColumnCells(const Column& column) : column_(column) {}

  // Appends `v`, which must be null or of the column's type (an int is accepted in a double
  // column); Corruption otherwise.
  Status Append(const Value& v);

  size_t size() const { return null_.size(); }
  // Reads no flag when the column has no null: a probe's random row is one cache miss less.
  bool is_null(size_t row) const { return nulls_ != 0 && null_[row] != 0; }
  // Integer and boolean columns; 0 for null.
  int64_t int_at(size_t row) const { return ints_[row]; }
  // String, timestamp and array columns, as SQL sees them; empty for null.
  std::string_view text_at(size_t row) const {
    return std::string_view(arena_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
  }

  // Sets `ctx`'s result to the cell, as sql/sql_types.h maps types. Text is passed without a
  // copy: the cells must outlive the statement's use of the row (the module keeps them). Inline:
  // SQLite asks for a cell at a time, tens of millions of times in a question over 1M posts.
  void Result(sqlite3_context* ctx, size_t row) const {
    if (is_null(row)) {
      sqlite3_result_null(ctx);
      return;
    }
    switch (column_.type) {
      case Type::kInt:
      case Type::kBool:
        sqlite3_result_int64(ctx, ints_[row]);
        return;
      case Type::kDouble:
        sqlite3_result_double(ctx, doubles_[row]);
        return;
      case Type::kTimestamp:
      case Type::kString:
      case Type::kArray: {
        const std::string_view s = text_at(row);
        sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
        return;
      }
      case Type::kNull:
        break;
    }
    sqlite3_result_null(ctx);
  }

 private:
  const Column column_;
  std::vector<uint8_t> null_;
  size_t nulls_ = 0;
  std::vector<int64_t> ints_;    // int, bool, timestamp
  std::vector<double> doubles_;  // double
  std::vector<uint64_t> offsets_{
      0};  // string, timestamp, array: row i is [offsets_[i], offsets_[i + 1])
  std::string arena_;
};

}  // namespace pinstream
