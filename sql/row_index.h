#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sql/column_cells.h"

namespace pinstream {

// The rows of a loaded table equal on one INTEGER or TEXT column, for the equality lookups of
// a join (SQLite builds no automatic index on a virtual table). Rows are numbered across the
// column's chunks, each `chunk_rows` rows but the last; nulls equal nothing and are left out.
// A key's rows chain in row order: Find gives the first, next() the ones after.
//
// Integers sit in an open-addressing table (one probe is one cache line, where a node-based map
// costs two or three misses), strings in a map. Before either, Find tries the row the caller
// names as `near`: the tables a processor writes together (a post's pin, geo and user rows)
// come in nearly the same order, so a join's probes mostly walk the inner table row after row,
// and that guess costs no cache miss where the hash table costs one per probe. The guess is
// only taken when every key is unique, so that the row found is all the key has.
//
// Borrows the chunks, which must outlive the index. Immutable once built: safe to read from
// any thread.
class RowIndex {
 public:
  static constexpr uint32_t kNoRow = UINT32_MAX;

  RowIndex(const std::vector<const ColumnCells*>& chunks, size_t chunk_rows, bool ints);

  RowIndex(const RowIndex&) = delete;
  RowIndex& operator=(const RowIndex&) = delete;

  // The first row holding `key`, or kNoRow. Sets *single when the key has that row alone (its
  // chain needs no next()). `near` is the row to try first (any value, kNoRow for none).
  uint32_t FindInt(int64_t key, uint32_t near, bool* single) const;
  uint32_t FindString(std::string_view key, uint32_t near, bool* single) const;

  // The row after `row` with the same key, or kNoRow.
  uint32_t next(uint32_t row) const { return next_[row]; }

 private:
  struct Slot {
    int64_t key;
    uint32_t head;  // kNoRow: empty
    uint32_t rows;  // 1, or 2 for two or more
  };
  size_t Hash(int64_t key) const {
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  Slot& InsertInt(int64_t key);
  // The cells of `row` and its offset in them, if `row` is a row of the table.
  const ColumnCells* CellsOf(uint32_t row, size_t* offset) const;

  const std::vector<const ColumnCells*> chunks_;
  const size_t chunk_rows_;
  std::vector<uint32_t> next_;
  bool unique_ = true;  // no key on two rows
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  std::unordered_map<std::string_view, uint32_t> strings_;
};

}  // namespace pinstream
