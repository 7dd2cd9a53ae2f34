// RowIndex: equal-key lookups over a column's chunks, with the guess of the next row.
#include "sql/row_index.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/sql/sql_test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;

// A column of `values` (nullopt: null) in chunks of `chunk_rows`.
struct Cells {
  Cells(const std::vector<std::optional<int64_t>>& values, size_t chunk_rows, Type type) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (i % chunk_rows == 0) owned.push_back(std::make_unique<ColumnCells>(SqlCol("c", type)));
      Value v;
      if (values[i]) {
        v = type == Type::kInt ? Value::Int(*values[i]) : Value::String(std::to_string(*values[i]));
      }
      EXPECT_TRUE(owned.back()->Append(v).ok());
    }
    for (const auto& c : owned) chunks.push_back(c.get());
  }
  std::vector<std::unique_ptr<ColumnCells>> owned;
  std::vector<const ColumnCells*> chunks;
};

// Every row holding `key`, following the chain.
std::vector<uint32_t> Rows(const RowIndex& index, int64_t key, bool ints, uint32_t near) {
  bool single = false;
  uint32_t r = ints ? index.FindInt(key, near, &single)
                    : index.FindString(std::to_string(key), near, &single);
  std::vector<uint32_t> out;
  while (r != RowIndex::kNoRow) {
    out.push_back(r);
    r = single ? RowIndex::kNoRow : index.next(r);
  }
  return out;
}

TEST(RowIndexTest, AnyGuessGivesEveryRowOfTheKeyInRowOrder) {
  // Unique keys, then the same with a repeat (no guess is taken then), across chunks of 3.
  const std::vector<std::optional<int64_t>> unique = {5, 7, std::nullopt, 9, 11, 4, 8};
  std::vector<std::optional<int64_t>> repeated = unique;
  repeated.push_back(7);
  const std::vector<const std::vector<std::optional<int64_t>>*> cases = {&unique, &repeated};
  for (bool ints : {true, false}) {
    for (const auto* values : cases) {
      Cells cells(*values, 3, ints ? Type::kInt : Type::kString);
      RowIndex index(cells.chunks, 3, ints);
      for (int64_t key : {4, 5, 7, 8, 9, 11, 6, 100}) {
        std::vector<uint32_t> want;
        for (size_t r = 0; r < values->size(); ++r) {
          if ((*values)[r] == key) want.push_back(static_cast<uint32_t>(r));
        }
        for (uint32_t near = 0; near < values->size() + 2; ++near) {
          EXPECT_EQ(Rows(index, key, ints, near), want) << key << " near " << near;
        }
        EXPECT_EQ(Rows(index, key, ints, RowIndex::kNoRow), want) << key;
      }
    }
  }
}

}  // namespace
}  // namespace pinstream
