#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/string_hash.h"
#include "operators/commit_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace pinstream {

// The processor store's operator state between the operators and the DB's state family: one
// namespace per operator (StateStore), and per key what the store knows of it: its committed
// value, once read or written, and the value the current batch staged. One entry serves the
// read (staged first, then committed: read-your-writes), the batch (the staged value) and the
// undo log (the committed value is the before-image, at no extra read) alike; a key written
// many times in one batch reaches the DB once. Committed values stay cached across batches,
// about `cache_bytes` of them.
//
// A batch's state goes to the DB in two steps: Seal, on the processor's thread as the batch
// commits (its staged values become the committed ones the next batch reads), then Stage, which
// may run on another thread while the next batch is staged: it reads only what the processor's
// thread leaves alone until Written is called (the sealed entries' keys and committed values,
// and the DB).
//
// Thread-safety: everything but Stage is for the processor's thread. Borrows the DB and family,
// which must outlive the cache.
class StateCache {
 public:
  // What the cache needs of the store it serves.
  struct Hooks {
    std::function<Status()> check_writable;  // before a write is staged
    std::function<Status()> await_writes;    // the DB holds every sealed batch (before a scan)
  };

  StateCache(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state, size_t cache_bytes, Hooks hooks);
  ~StateCache();

  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  // The state of one operator (prefix-isolated: [varint length][operator id][key] in the
  // family), created on first use, valid for the cache's lifetime.
  StateStore* State(std::string_view op_id);

  // Keys the current batch staged.
  size_t staged_keys() const { return dirty_.size(); }

  // What the cache knows of one key.
  struct Entry {
    std::optional<std::string> committed;  // when committed_known; nullopt: absent
    std::optional<std::string> staged;     // when is_staged; nullopt: deleted
    bool committed_known = false;
    bool is_staged = false;
    bool read = false;  // read from the cache since its batch was sealed
  };
  // Full state key -> entry, one map per namespace (each operator's lookups stay among its own
  // keys).
  using Map = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;
  // An entry of a sealed batch, with the committed value its staged one replaced.
  struct SealedEntry {
    Map::value_type* entry;
    std::optional<std::string> before;
    bool before_known;
  };
  using Sealed = std::vector<SealedEntry>;

  // Seals the current batch: its staged values become the committed ones; what they replace
  // moves into the result, with the entries, for Stage.
  Sealed Seal();

  // Puts `sealed` into `batch` (the state family), in key order, and returns its undo log
  // (sinks/undo_log.h; empty when no value changes): what each changed key held before,
  // read from the DB for keys written without being read first. Keys whose value does not
  // change are left out of both.
  Result<std::string> Stage(Sealed* sealed, rocksdb::WriteBatch* batch) const;

  // The last sealed batch is in the DB: the keys it created leave the cache unless read or
  // staged again since, and a cache past its budget starts afresh.
  void Written();

  // Forgets the staged state, and the cache with it (it is only a cache).
  void Clear();

 private:
  class Namespace;
  using EntryRef = std::pair<Map*, Map::value_type*>;
  static void SortByKey(Sealed* sealed);
  void DropColdState();
  void EvictCommitted();

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* state_;
  size_t cache_bytes_;
  Hooks hooks_;
  std::map<std::string, std::unique_ptr<Namespace>, std::less<>> namespaces_;
  size_t bytes_ = 0;             // of the committed values cached
  std::vector<EntryRef> dirty_;  // the entries staged in the current batch
  // The keys the last sealed batch created: they leave the cache once written unless read or
  // staged again meanwhile (see DropColdState).
  std::vector<EntryRef> created_;
};

}  // namespace pinstream
