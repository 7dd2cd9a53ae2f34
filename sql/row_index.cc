#include "sql/row_index.h"

#include <bit>

namespace pinstream {

RowIndex::RowIndex(const std::vector<const ColumnCells*>& chunks, size_t chunk_rows, bool ints)
    : chunks_(chunks), chunk_rows_(chunk_rows) {
  size_t n = 0;
  for (const ColumnCells* c : chunks_) n += c->size();
  next_.assign(n, kNoRow);
  if (ints) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity <<= 1;
    slots_.assign(capacity, Slot{0, kNoRow, 0});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<int>(std::countr_zero(capacity));
  } else {
    strings_.reserve(n);
  }
  for (size_t c = chunks_.size(); c-- > 0;) {  // backwards, so that each chain is in row order
    const ColumnCells& cells = *chunks_[c];
    for (size_t i = cells.size(); i-- > 0;) {
      if (cells.is_null(i)) continue;
      const size_t r = c * chunk_rows_ + i;
      uint32_t* head;
      if (ints) {
        Slot& slot = InsertInt(cells.int_at(i));
        unique_ = unique_ && slot.rows == 0;
        if (slot.rows < 2) ++slot.rows;
        head = &slot.head;
      } else {
        auto [it, fresh] = strings_.try_emplace(cells.text_at(i), kNoRow);
        unique_ = unique_ && fresh;
        head = &it->second;
      }
      next_[r] = *head;
      *head = static_cast<uint32_t>(r);
    }
  }
}

RowIndex::Slot& RowIndex::InsertInt(int64_t key) {
  for (size_t i = Hash(key);; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.head == kNoRow) {
      s.key = key;
      return s;  // head still kNoRow: the caller links the row in
    }
    if (s.key == key) return s;
  }
}

const ColumnCells* RowIndex::CellsOf(uint32_t row, size_t* offset) const {
  if (!unique_ || row >= next_.size()) return nullptr;
  const ColumnCells* cells = chunks_[row / chunk_rows_];
  *offset = row % chunk_rows_;
  return cells->is_null(*offset) ? nullptr : cells;
}

uint32_t RowIndex::FindInt(int64_t key, uint32_t near, bool* single) const {
  size_t offset;
  if (const ColumnCells* cells = CellsOf(near, &offset); cells && cells->int_at(offset) == key) {
    *single = true;
    return near;
  }
  *single = false;
  if (slots_.empty()) return kNoRow;
  for (size_t i = Hash(key);; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.head == kNoRow) return kNoRow;
    if (s.key == key) {
      *single = s.rows == 1;
      return s.head;
    }
  }
}

uint32_t RowIndex::FindString(std::string_view key, uint32_t near, bool* single) const {
  size_t offset;
  *single = unique_;
  if (const ColumnCells* cells = CellsOf(near, &offset); cells && cells->text_at(offset) == key) {
    return near;
  }
  auto it = strings_.find(key);
  return it == strings_.end() ? kNoRow : it->second;
}

}  // namespace pinstream
