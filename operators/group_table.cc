#include "operators/group_table.h"

#include <algorithm>

namespace pinstream {

namespace {

constexpr char kRecord = 'g';
constexpr char kEntry = 'm';
constexpr char kIndex = 'e';
constexpr char kStatsKey[] = "s";
constexpr size_t kGroupOverhead = 160;  // map node, Group, vector: roughly
constexpr size_t kWindowOverhead = 96;

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

Status Malformed(std::string_view what) {
  return Status::Corruption("malformed aggregate state: " + std::string(what));
}

}  // namespace

void PutOrderedInt64(std::string* out, int64_t v) {
  PutFixed64BE(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

int64_t DecodeOrderedInt64(const char* p) {
  return static_cast<int64_t>(DecodeFixed64BE(p) ^ (uint64_t{1} << 63));
}

GroupTable::GroupTable(const std::vector<std::unique_ptr<AggregateFunction>>* functions,
                       bool windowed, size_t cache_bytes)
    : functions_(functions), windowed_(windowed), cache_budget_(cache_bytes) {
  for (const auto& f : *functions_) has_entries_ |= f->has_entries();
}

void GroupTable::EncodeGroupKey(const Row& row, const std::vector<int>& columns, std::string* out) {
  for (int c : columns) {
    const Value& v = row[c];
    if (v.type() == Type::kDouble && v.as_double() == 0) {
      Value::Double(0).EncodeTo(out);
    } else {
      v.EncodeTo(out);
    }
  }
}

Status GroupTable::Open() {
  if (opened_) return Status::OK();
  if (!store_) return Status::Internal("an aggregate used without a state store");
  ASSIGN_OR_RETURN(auto stats, store_->Get(kStatsKey));
  keys_ = bytes_ = 0;
  if (stats) {
    Decoder d(*stats);
    if (!d.GetVarint64(&keys_) || !d.GetVarint64(&bytes_)) return Malformed("size record");
  }
  all_cached_ = keys_ == 0;
  opened_ = true;
  return Status::OK();
}

void GroupTable::RecordKey(const Group& g, const Window& w, std::string* out) const {
  out->assign(1, kRecord);
  out->append(g.key);
  PutOrderedInt64(out, w.id);
}

std::string GroupTable::IndexKey(const Group& g, int64_t id, int64_t end) const {
  std::string k(1, kIndex);
  PutOrderedInt64(&k, end);
  k += g.key;
  PutOrderedInt64(&k, id);
  return k;
}

void GroupTable::Touch(Group* group) {
  group->last_used = batch_;
  if (!group->dirty) {
    group->dirty = true;
    dirty_.push_back(group);
  }
}

Result<GroupTable::Group*> GroupTable::Find(std::string_view key) {
  if (auto it = groups_.find(key); it != groups_.end()) {
    it->second->last_used = batch_;
    return it->second.get();
  }
  RETURN_IF_ERROR(Open());
  auto group = std::make_unique<Group>();
  group->key.assign(key);
  Decoder d(key);
  while (!d.empty()) {
    Value v;
    if (!Value::DecodeFrom(&d, &v)) return Malformed("group key");
    group->values.push_back(std::move(v));
  }
  if (!all_cached_) RETURN_IF_ERROR(Load(group.get()));
  group->last_used = batch_;
  group->approx_bytes = GroupBytes(*group);
  group->approx_windows = group->windows.size();
  cached_bytes_ += group->approx_bytes;
  Group* g = group.get();
  groups_.emplace(g->key, std::move(group));
  return g;
}

Status GroupTable::Load(Group* g) {
  const std::string records = std::string(1, kRecord) + g->key;
  Status bad;
  RETURN_IF_ERROR(
      store_->Scan(records, PrefixEnd(records), [&](std::string_view k, std::string_view v) {
        if (k.size() != records.size() + 8 || v.size() < 16) {
          bad = Malformed("window record");
          return false;
        }
        Window w;
        w.id = DecodeOrderedInt64(k.data() + records.size());
        w.start = DecodeOrderedInt64(v.data());
        w.end = DecodeOrderedInt64(v.data() + 8);
        w.stored = true;
        w.stored_end = w.end;
        w.stored_bytes = static_cast<uint32_t>(k.size() + v.size());
        Decoder d(v.substr(16));
        for (const auto& f : *functions_) {
          w.aggs.push_back(f->NewState());
          if (!w.aggs.back()->DecodeFixed(&d)) {
            bad = Malformed("accumulator");
            return false;
          }
        }
        g->windows.push_back(std::move(w));
        return true;
      }));
  RETURN_IF_ERROR(bad);
  if (!has_entries_ || g->windows.empty()) return Status::OK();
  const std::string entries = std::string(1, kEntry) + g->key;
  RETURN_IF_ERROR(
      store_->Scan(entries, PrefixEnd(entries), [&](std::string_view k, std::string_view v) {
        uint64_t count;
        Decoder d(v);
        if (k.size() < entries.size() + 9 || !d.GetVarint64(&count)) {
          bad = Malformed("entry");
          return false;
        }
        const int64_t id = DecodeOrderedInt64(k.data() + entries.size());
        const size_t agg = static_cast<uint8_t>(k[entries.size() + 8]);
        auto w = std::find_if(g->windows.begin(), g->windows.end(),
                              [&](const Window& x) { return x.id == id; });
        if (w == g->windows.end() || agg >= w->aggs.size() ||
            !w->aggs[agg]->LoadEntry(k.substr(entries.size() + 9), static_cast<int64_t>(count))) {
          bad = Malformed("entry of no window");
          return false;
        }
        return true;
      }));
  return bad;
}

size_t GroupTable::AddWindow(Group* group, int64_t id, int64_t start, int64_t end) {
  Window w;
  w.id = id;
  w.start = start;
  w.end = end;
  w.aggs.reserve(functions_->size());
  for (const auto& f : *functions_) w.aggs.push_back(f->NewState());
  group->windows.push_back(std::move(w));
  Touch(group);
  return group->windows.size() - 1;
}

void GroupTable::Add(Group* group, size_t window, const Row& row) {
  Window& w = group->windows[window];
  for (auto& a : w.aggs) a->Add(row);
  w.dirty = w.updated = true;
  Touch(group);
}

Status GroupTable::MergeWindows(Group* group, size_t into, size_t from) {
  Window& a = group->windows[into];
  const Window& b = group->windows[from];
  for (size_t i = 0; i < a.aggs.size(); ++i) a.aggs[i]->Merge(*b.aggs[i]);
  a.dirty = a.updated = true;
  Touch(group);
  return RemoveWindow(group, from);
}

Status GroupTable::DeleteEntries(const Group& g, const Window& w) {
  if (!has_entries_) return Status::OK();
  std::string prefix(1, kEntry);
  prefix += g.key;
  PutOrderedInt64(&prefix, w.id);
  Status st;
  for (size_t i = 0; i < w.aggs.size(); ++i) {
    if (!(*functions_)[i]->has_entries()) continue;
    w.aggs[i]->ForEachEntry(false, [&](std::string_view value, int64_t, int64_t persisted) {
      if (persisted == 0 || !st.ok()) return;
      std::string k = prefix;
      k.push_back(static_cast<char>(i));
      k.append(value);
      st = store_->Delete(k);
      --keys_;
      bytes_ -= k.size() + VarintLength(static_cast<uint64_t>(persisted));
    });
  }
  return st;
}

Status GroupTable::RemoveWindow(Group* group, size_t window) {
  Window& w = group->windows[window];
  if (w.stored) {
    std::string key;
    RecordKey(*group, w, &key);
    RETURN_IF_ERROR(store_->Delete(key));
    --keys_;
    bytes_ -= w.stored_bytes;
    if (windowed_) {
      const std::string index = IndexKey(*group, w.id, w.stored_end);
      RETURN_IF_ERROR(store_->Delete(index));
      --keys_;
      bytes_ -= index.size();
    }
    stats_dirty_ = true;
  }
  RETURN_IF_ERROR(DeleteEntries(*group, w));
  group->windows.erase(group->windows.begin() + static_cast<std::ptrdiff_t>(window));
  return Status::OK();
}

std::vector<std::pair<GroupTable::Group*, GroupTable::Window*>> GroupTable::TakeUpdated() {
  std::vector<std::pair<Group*, Window*>> out;
  for (Group* g : dirty_) {
    for (auto& w : g->windows) {
      if (!w.updated) continue;
      w.updated = false;
      out.emplace_back(g, &w);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.second->start != b.second->start) return a.second->start < b.second->start;
    if (a.first->key != b.first->key) return a.first->key < b.first->key;
    return a.second->id < b.second->id;
  });
  return out;
}

Status GroupTable::WriteBack() {
  std::string key, value;
  for (Group* g : dirty_) {
    g->dirty = false;
    for (auto& w : g->windows) {
      if (!w.dirty) continue;
      w.dirty = false;
      RecordKey(*g, w, &key);
      value.clear();
      PutOrderedInt64(&value, w.start);
      PutOrderedInt64(&value, w.end);
      for (const auto& a : w.aggs) a->EncodeFixed(&value);
      RETURN_IF_ERROR(store_->Put(key, value));
      const auto bytes = static_cast<uint32_t>(key.size() + value.size());
      if (!w.stored) ++keys_;
      bytes_ += bytes;
      bytes_ -= w.stored ? w.stored_bytes : 0;
      if (windowed_ && (!w.stored || w.stored_end != w.end)) {
        if (w.stored) {
          const std::string old = IndexKey(*g, w.id, w.stored_end);
          RETURN_IF_ERROR(store_->Delete(old));
          --keys_;
          bytes_ -= old.size();
        }
        const std::string index = IndexKey(*g, w.id, w.end);
        RETURN_IF_ERROR(store_->Put(index, ""));
        ++keys_;
        bytes_ += index.size();
      }
      w.stored = true;
      w.stored_end = w.end;
      w.stored_bytes = bytes;
      stats_dirty_ = true;
      if (!has_entries_) continue;
      std::string prefix(1, kEntry);
      prefix += g->key;
      PutOrderedInt64(&prefix, w.id);
      Status st;
      std::string count;
      for (size_t i = 0; i < w.aggs.size(); ++i) {
        if (!(*functions_)[i]->has_entries()) continue;
        w.aggs[i]->ForEachEntry(true, [&](std::string_view v, int64_t n, int64_t persisted) {
          if (!st.ok()) return;
          key = prefix;
          key.push_back(static_cast<char>(i));
          key.append(v);
          count.clear();
          PutVarint64(&count, static_cast<uint64_t>(n));
          st = store_->Put(key, count);
          if (persisted == 0) {
            ++keys_;
            bytes_ += key.size() + count.size();
          } else {
            bytes_ += count.size() - VarintLength(static_cast<uint64_t>(persisted));
          }
        });
        RETURN_IF_ERROR(st);
        w.aggs[i]->MarkPersisted();
      }
    }
    // Fixed-size accumulators keep their size: only windows and entries change a group's.
    if (has_entries_ || g->windows.size() != g->approx_windows) {
      const size_t bytes = GroupBytes(*g);
      cached_bytes_ += bytes;
      cached_bytes_ -= g->approx_bytes;
      g->approx_bytes = bytes;
      g->approx_windows = g->windows.size();
    }
  }
  dirty_.clear();
  return StageStats();
}

Status GroupTable::CloseUntil(int64_t limit, const std::function<Status(Group*, Window*)>& close) {
  RETURN_IF_ERROR(Open());
  std::string end(1, kIndex);
  if (limit == INT64_MAX) {
    end = PrefixEnd(end);
  } else {
    PutOrderedInt64(&end, limit + 1);
  }
  // Collected first: the scan must not run while its visitor deletes keys.
  std::vector<std::pair<std::string, int64_t>> closing;  // group key, window id
  Status bad;
  RETURN_IF_ERROR(
      store_->Scan(std::string(1, kIndex), end, [&](std::string_view k, std::string_view) {
        if (k.size() < 17) {
          bad = Malformed("window index");
          return false;
        }
        closing.emplace_back(std::string(k.substr(9, k.size() - 17)),
                             DecodeOrderedInt64(k.data() + k.size() - 8));
        return true;
      }));
  RETURN_IF_ERROR(bad);
  for (const auto& [key, id] : closing) {
    ASSIGN_OR_RETURN(Group * g, Find(key));
    auto w = std::find_if(g->windows.begin(), g->windows.end(),
                          [id = id](const Window& x) { return x.id == id; });
    if (w == g->windows.end()) return Malformed("an indexed window is missing");
    RETURN_IF_ERROR(close(g, &*w));
    RETURN_IF_ERROR(RemoveWindow(g, static_cast<size_t>(w - g->windows.begin())));
    const size_t bytes = GroupBytes(*g);
    cached_bytes_ += bytes;
    cached_bytes_ -= g->approx_bytes;
    g->approx_bytes = bytes;
    g->approx_windows = g->windows.size();
  }
  return StageStats();
}

Status GroupTable::StageStats() {
  if (!stats_dirty_) return Status::OK();
  std::string stats;
  PutVarint64(&stats, keys_);
  PutVarint64(&stats, bytes_);
  RETURN_IF_ERROR(store_->Put(kStatsKey, stats));
  stats_dirty_ = false;
  return Status::OK();
}

size_t GroupTable::GroupBytes(const Group& g) const {
  size_t bytes = kGroupOverhead + 2 * g.key.size();
  for (const auto& w : g.windows) {
    bytes += kWindowOverhead;
    for (const auto& a : w.aggs) bytes += a->ApproxBytes();
  }
  return bytes;
}

void GroupTable::Evict() {
  if (cached_bytes_ <= cache_budget_) return;
  std::vector<Group*> clean;
  for (auto& [k, g] : groups_) {
    if (!g->dirty) clean.push_back(g.get());
  }
  // Least recently used first; empty groups (all windows closed) before others.
  std::sort(clean.begin(), clean.end(), [](const Group* a, const Group* b) {
    if (a->last_used != b->last_used) return a->last_used < b->last_used;
    return a->windows.empty() > b->windows.empty();
  });
  // Down to 3/4 of the budget, so that eviction does not run at every batch.
  const size_t target = cache_budget_ / 4 * 3;
  for (Group* g : clean) {
    if (cached_bytes_ <= target) break;
    cached_bytes_ -= g->approx_bytes;
    all_cached_ = false;
    groups_.erase(groups_.find(g->key));
  }
}

void GroupTable::Discard() {
  groups_.clear();
  dirty_.clear();
  cached_bytes_ = 0;
  opened_ = false;
  stats_dirty_ = false;
}

StateStats GroupTable::stats() const {
  return StateStats{keys_, bytes_, groups_.size(), cached_bytes_};
}

}  // namespace pinstream
