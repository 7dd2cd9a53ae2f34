#include "sinks/state_cache.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "common/coding.h"
#include "common/rocksdb_status.h"
#include "sinks/undo_log.h"

namespace pinstream {

namespace {

// What a state entry costs besides its key and value: the node, hash slot, strings and flags.
constexpr size_t kStateEntryOverhead = 136;

// What a cached state entry (a key and its committed value) counts against the cache budget.
template <typename Entry>
size_t CachedBytes(const Entry& entry) {
  const auto& committed = entry.second.committed;
  return entry.first.size() + (committed ? committed->size() : 0) + kStateEntryOverhead;
}

}  // namespace

// One operator's keys in the state family, behind the prefix [varint length][operator id].
class StateCache::Namespace final : public StateStore {
 public:
  Namespace(StateCache* cache, std::string_view op_id) : cache_(cache) {
    PutLengthPrefixed(&prefix_, op_id);
  }

  Map& entries() { return entries_; }

  Result<std::optional<std::string>> Get(std::string_view key) override {
    const std::string& k = Key(key);
    auto it = entries_.find(std::string_view(k));
    if (it != entries_.end()) {
      Entry& e = it->second;
      if (e.is_staged) return e.staged;
      if (e.committed_known) {
        e.read = true;
        return e.committed;
      }
    }
    std::string value;
    auto s = cache_->db_->Get(rocksdb::ReadOptions(), cache_->state_, k, &value);
    if (!s.IsNotFound()) RETURN_IF_ERROR(FromRocks(s, "reading operator state"));
    if (it == entries_.end()) it = entries_.emplace(k, Entry()).first;
    Entry& e = it->second;
    if (s.ok()) e.committed = std::move(value);
    e.committed_known = true;
    cache_->bytes_ += CachedBytes(*it);
    return e.committed;
  }

  Status Put(std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(cache_->hooks_.check_writable());
    Stage(key).emplace(value);
    return Status::OK();
  }

  Status Delete(std::string_view key) override {
    RETURN_IF_ERROR(cache_->hooks_.check_writable());
    Stage(key).reset();
    return Status::OK();
  }

  // Merges a DB iterator over [begin, end) with this namespace's staged keys in that range,
  // found through staged_keys_ (ordered) rather than a pass over the whole staged map.
  Status Scan(std::string_view begin, std::string_view end, const ScanVisitor& visit) override {
    RETURN_IF_ERROR(cache_->hooks_.await_writes());  // the DB iterator must see the batch before
    IndexStagedKeys();
    const std::string lower = prefix_ + std::string(begin);
    const std::string upper = end.empty() ? PrefixSuccessor(prefix_) : prefix_ + std::string(end);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions read_options;
    if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> db(cache_->db_->NewIterator(read_options, cache_->state_));
    db->Seek(lower);
    auto staged = staged_keys_.lower_bound(begin);
    auto staged_end = end.empty() ? staged_keys_.end() : staged_keys_.lower_bound(end);
    while (true) {
      // The next key of the index that is still staged (the index keeps keys of batches that
      // have committed since; they are dropped as they are met).
      const std::optional<std::string>* staged_value = nullptr;
      while (staged != staged_end) {
        auto found = entries_.find(std::string_view(Key(*staged)));
        if (found != entries_.end() && found->second.is_staged) {
          staged_value = &found->second.staged;
          break;
        }
        staged = staged_keys_.erase(staged);
      }
      const bool db_valid = db->Valid();
      if (!db_valid && staged == staged_end) break;
      std::string_view db_key;
      if (db_valid) db_key = db->key().ToStringView().substr(prefix_.size());
      if (staged != staged_end && (!db_valid || std::string_view(*staged) <= db_key)) {
        if (db_valid && std::string_view(*staged) == db_key) db->Next();  // staged shadows it
        if (staged_value->has_value() && !visit(*staged, **staged_value)) return Status::OK();
        ++staged;
      } else {
        if (!visit(db_key, db->value().ToStringView())) return Status::OK();
        db->Next();
      }
    }
    return FromRocks(db->status(), "scanning operator state");
  }

 private:
  // The staged slot of `key` (its entry is created, copying the key, when it is new).
  std::optional<std::string>& Stage(std::string_view key) {
    const std::string& k = Key(key);
    auto it = entries_.find(std::string_view(k));
    if (it == entries_.end()) it = entries_.emplace(k, Entry()).first;
    Entry& e = it->second;
    if (!e.is_staged) {
      e.is_staged = true;
      cache_->dirty_.emplace_back(&entries_, &*it);
      if (indexing_) staged_keys_.emplace(key);
    }
    return e.staged;
  }

  // Keeps staged_keys_ a superset of this namespace's staged keys, from the first Scan on (a
  // namespace that never scans, such as a dedup's, pays nothing). Keys of committed batches
  // are pruned when the index outgrows the batch, so it stays O(staged keys).
  void IndexStagedKeys() {
    if (!indexing_) {
      indexing_ = true;
      for (const auto& [map, entry] : cache_->dirty_) {
        if (map == &entries_) staged_keys_.emplace(entry->first.substr(prefix_.size()));
      }
    } else if (staged_keys_.size() > cache_->dirty_.size()) {
      for (auto it = staged_keys_.begin(); it != staged_keys_.end();) {
        auto found = entries_.find(std::string_view(Key(*it)));
        if (found != entries_.end() && found->second.is_staged)
          ++it;
        else
          it = staged_keys_.erase(it);
      }
    }
  }

  // The smallest key greater than every key starting with `prefix`; empty when there is none.
  static std::string PrefixSuccessor(std::string prefix) {
    while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
    if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
    return prefix;
  }

  const std::string& Key(std::string_view key) {
    key_.assign(prefix_);
    key_.append(key);
    return key_;
  }

  StateCache* cache_;  // owns this namespace
  Map entries_;
  std::string prefix_;
  std::string key_;  // reused
  bool indexing_ = false;
  std::set<std::string, std::less<>> staged_keys_;  // relative to prefix_; see IndexStagedKeys
};

StateCache::StateCache(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state, size_t cache_bytes,
                       Hooks hooks)
    : db_(db), state_(state), cache_bytes_(cache_bytes), hooks_(std::move(hooks)) {}

StateCache::~StateCache() = default;

StateStore* StateCache::State(std::string_view op_id) {
  auto it = namespaces_.find(op_id);
  if (it == namespaces_.end()) {
    it = namespaces_.emplace(std::string(op_id), std::make_unique<Namespace>(this, op_id)).first;
  }
  return it->second.get();
}

void StateCache::Written() {
  DropColdState();
  if (bytes_ > cache_bytes_) EvictCommitted();
}

void StateCache::Clear() {
  created_.clear();
  for (auto& [id, ns] : namespaces_) ns->entries().clear();
  bytes_ = 0;
  dirty_.clear();
}

// The staged values become the committed ones; what they replace (the before-images) moves
// into the returned list, with the entries, for Stage.
StateCache::Sealed StateCache::Seal() {
  Sealed sealed;
  sealed.reserve(dirty_.size());
  for (const auto& ref : dirty_) {
    auto* entry = ref.second;
    Entry& e = entry->second;
    if (e.committed_known) bytes_ -= CachedBytes(*entry);
    if (!e.committed_known || !e.committed) created_.push_back(ref);
    sealed.push_back({entry, std::move(e.committed), e.committed_known});
    e.committed = std::move(e.staged);
    e.committed_known = true;
    e.staged.reset();
    e.is_staged = false;
    e.read = false;
    bytes_ += CachedBytes(*entry);
  }
  dirty_.clear();
  return sealed;
}

// Most keys a batch creates are never read again (a dedup's new keys when most keys are new):
// once written, they leave the cache, which keeps the keys read again. That keeps the map small
// and its lookups in the CPU caches. Called once the batch that created them is written.
void StateCache::DropColdState() {
  for (const auto& [map, entry] : created_) {
    const Entry& e = entry->second;
    if (e.is_staged || e.read) continue;
    bytes_ -= CachedBytes(*entry);
    map->erase(entry->first);
  }
  created_.clear();
}

// Sorts by key through each key's first bytes, copied beside it: a comparison then reads no key
// (the keys lie all over the heap) unless those bytes tie, which for a batch holding a whole
// run's millions of keys made the sort several times faster.
void StateCache::SortByKey(Sealed* sealed) {
  constexpr size_t kHeadWords = 4;
  struct Order {
    std::array<uint64_t, kHeadWords> head;  // the key's first bytes, big-endian, zero-padded
    const std::string* key;
    size_t index;
  };
  std::vector<Order> order(sealed->size());
  for (size_t i = 0; i < sealed->size(); ++i) {
    const std::string& key = (*sealed)[i].entry->first;
    char bytes[kHeadWords * 8] = {};
    std::memcpy(bytes, key.data(), std::min(key.size(), sizeof(bytes)));
    Order& o = order[i];
    for (size_t w = 0; w < kHeadWords; ++w) o.head[w] = DecodeFixed64BE(bytes + 8 * w);
    o.key = &key;
    o.index = i;
  }
  // Equal heads (keys alike in their first bytes, or one the other's prefix but for zeros)
  // fall back to the keys.
  std::sort(order.begin(), order.end(), [](const Order& a, const Order& b) {
    if (a.head != b.head) return a.head < b.head;
    return *a.key < *b.key;
  });
  Sealed sorted;
  sorted.reserve(sealed->size());
  for (const Order& o : order) sorted.push_back(std::move((*sealed)[o.index]));
  *sealed = std::move(sorted);
}

Result<std::string> StateCache::Stage(Sealed* sealed, rocksdb::WriteBatch* batch) const {
  // In key order: the memtable's skip list inserts a sorted run far faster than random keys,
  // and MultiGet reads a sorted run block by block.
  SortByKey(sealed);
  // The before-images of the keys written without being read first, in one MultiGet.
  std::vector<rocksdb::Slice> keys;
  std::vector<SealedEntry*> unknown;
  for (auto& s : *sealed) {
    if (s.before_known) continue;
    keys.emplace_back(s.entry->first);
    unknown.push_back(&s);
  }
  if (!unknown.empty()) {
    std::vector<rocksdb::PinnableSlice> read(unknown.size());
    std::vector<rocksdb::Status> statuses(unknown.size());
    db_->MultiGet(rocksdb::ReadOptions(), state_, keys.size(), keys.data(), read.data(),
                  statuses.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < unknown.size(); ++i) {
      if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
        return FromRocks(statuses[i], "reading operator state for the undo log");
      }
      if (statuses[i].ok()) unknown[i]->before = read[i].ToString();
    }
  }
  std::string undo;
  for (const auto& s : *sealed) {
    const std::string& key = s.entry->first;
    const std::optional<std::string>& after = s.entry->second.committed;
    if (s.before == after) continue;  // unchanged (or absent before and after)
    AppendUndo(&undo, key, s.before);
    RETURN_IF_ERROR(FromRocks(after ? batch->Put(state_, key, *after) : batch->Delete(state_, key),
                              "staging operator state"));
  }
  return undo;
}

// The cache of committed state starts afresh (the current batch's entries stay): hot keys come
// back with their next read, so it needs no per-read bookkeeping for recency.
void StateCache::EvictCommitted() {
  size_t entries = 0;
  for (const auto& [id, ns] : namespaces_) entries += ns->entries().size();
  // Every entry is staged (a single batch holding a whole run): none may leave, and the pass
  // would only walk them all.
  if (entries == dirty_.size()) return;
  bytes_ = 0;
  for (auto& [id, ns] : namespaces_) {
    Map& entries = ns->entries();
    for (auto it = entries.begin(); it != entries.end();) {
      if (!it->second.is_staged) {
        it = entries.erase(it);
        continue;
      }
      if (it->second.committed_known) bytes_ += CachedBytes(*it);
      ++it;
    }
  }
}

}  // namespace pinstream
