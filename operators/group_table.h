#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/string_hash.h"
#include "common/value.h"
#include "operators/aggregates.h"
#include "operators/commit_store.h"
#include "operators/stream_operator.h"

namespace pinstream {

// The accumulators of an `aggregate` or `window` step: for each group (the values of the
// group-by columns) its open windows, each with one AggregateState per aggregate function. An
// unwindowed aggregate has one window per group, id 0.
//
// Write-back cache in front of the step's StateStore (Flink's heap cache in front of RocksDB):
// Find() loads a group (all its windows and entries) on a miss; rows update the cached states;
// WriteBack() stages only what changed (a window's record, the entries whose counts changed)
// into the store, which commits them with the batch; Evict() then drops clean groups while the
// cache is over its byte budget (least recently used batches first).
//
// State keys, under the step's namespace (integers big-endian, times with the sign bit flipped
// so that bytewise order is numeric order; the group key is the group values' Value::EncodeTo
// encodings, which are self-delimiting, so a group's keys form one prefix range):
//   'g' group id:8                  -> start:8 end:8, then each aggregate's fixed part
//   'm' group id:8 agg:1 value      -> count (varint)            (entry-based aggregates)
//   'e' end:8 group id:8            -> ""                        (windowed: windows by end)
//   's'                             -> keys, bytes (varints)     (the size of all the above)
//
// Borrows the functions and the store, which outlive it. Not thread-safe.
class GroupTable {
 public:
  struct Window {
    int64_t id = 0;  // key part, fixed for the window's life (a session's first event time)
    int64_t start = 0;
    int64_t end = 0;
    std::vector<std::unique_ptr<AggregateState>> aggs;
    bool dirty = false;         // changed since written back
    bool updated = false;       // changed since emitted (update mode)
    bool stored = false;        // its record is in the store
    int64_t stored_end = 0;     // the end its 'e' key was written under
    uint32_t stored_bytes = 0;  // its record's key + value size as stored
  };
  struct Group {
    std::string key;  // the encoded group values
    Row values;       // the group-by values
    std::vector<Window> windows;
    bool dirty = false;
    uint64_t last_used = 0;  // the batch that last touched it
    size_t approx_bytes = 0;
    size_t approx_windows = 0;  // the window count approx_bytes was computed with
  };

  GroupTable(const std::vector<std::unique_ptr<AggregateFunction>>* functions, bool windowed,
             size_t cache_bytes);

  void Bind(StateStore* store) { store_ = store; }
  StateStore* store() const { return store_; }

  // The group of the encoded values `key`: cached, loaded from the store, or new (empty).
  Result<Group*> Find(std::string_view key);

  // A new window in `group`, to be written back. Returns its index in group->windows.
  size_t AddWindow(Group* group, int64_t id, int64_t start, int64_t end);
  // Feeds `row` to every aggregate of the window; marks it dirty and updated.
  void Add(Group* group, size_t window, const Row& row);
  // Merges window `from` into window `into` of the same group (session windows), then removes
  // `from` (the windows after it move down one index). `into` keeps its id; its start and end
  // are the caller's to widen.
  Status MergeWindows(Group* group, size_t into, size_t from);
  // Deletes the window's keys from the store and the window from the group.
  Status RemoveWindow(Group* group, size_t window);

  // The windows changed since they were last emitted, ordered by window start then group key.
  // Clears their `updated` marks.
  std::vector<std::pair<Group*, Window*>> TakeUpdated();

  // Stages every changed window and entry into the store.
  Status WriteBack();

  // Calls `close(group, window)` for every window with end <= `limit`, in end order (then group
  // key), then removes it. Call after WriteBack(), so that new windows are found too.
  Status CloseUntil(int64_t limit, const std::function<Status(Group*, Window*)>& close);

  // Drops clean groups while over the byte budget. Call after WriteBack().
  void Evict();

  // Marks the start of a batch (for the eviction order).
  void NextBatch() { ++batch_; }

  // Forgets the cache (an aborted batch): everything is read from the store again.
  void Discard();

  StateStats stats() const;

  // A group's key: the values' encodings, -0.0 as 0.0 (one group, as in Spark).
  static void EncodeGroupKey(const Row& row, const std::vector<int>& columns, std::string* out);

 private:
  Status Open();
  // Stages the 's' record when keys_ or bytes_ changed since it was last staged.
  Status StageStats();
  Status Load(Group* group);
  void RecordKey(const Group& g, const Window& w, std::string* out) const;
  std::string IndexKey(const Group& g, int64_t id, int64_t end) const;
  void Touch(Group* group);
  Status DeleteEntries(const Group& g, const Window& w);
  size_t GroupBytes(const Group& g) const;

  const std::vector<std::unique_ptr<AggregateFunction>>* functions_;  // borrowed
  bool windowed_;
  bool has_entries_ = false;
  size_t cache_budget_;
  StateStore* store_ = nullptr;  // borrowed
  bool opened_ = false;
  // True while every group in the store is also in the cache (nothing evicted since a start
  // with an empty store): a miss is then a new group, without a store read.
  bool all_cached_ = false;
  std::unordered_map<std::string, std::unique_ptr<Group>, StringHash, std::equal_to<>> groups_;
  std::vector<Group*> dirty_;
  uint64_t batch_ = 1;
  size_t cached_bytes_ = 0;
  uint64_t keys_ = 0;  // in the store, as written through this table
  uint64_t bytes_ = 0;
  bool stats_dirty_ = false;
};

// Big-endian with the sign bit flipped: bytewise order is numeric order.
void PutOrderedInt64(std::string* out, int64_t v);
int64_t DecodeOrderedInt64(const char* p);

}  // namespace pinstream
