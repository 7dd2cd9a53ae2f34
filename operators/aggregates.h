#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/value.h"
#include "operators/operator.h"

namespace pinstream {

// The total order of values that min/max and the tie rules use: null first, then by type,
// then by value (numbers numerically, strings bytewise, i.e. by Unicode code point for UTF-8,
// arrays element by element). Negative: a < b; 0: equal; positive: a > b.
int CompareValues(const Value& a, const Value& b);

class AggregateState;

// One aggregate of an `aggregate` or `window` step, configured: the input columns it reads,
// its parameters and its output columns (one, or two for `mode` with `count_as` and
// `arg_max`/`arg_min` with `by_as`). Immutable; outlives the states it creates.
class AggregateFunction {
 public:
  virtual ~AggregateFunction() = default;
  virtual std::unique_ptr<AggregateState> NewState() const = 0;
  const std::vector<Column>& outputs() const { return outputs_; }
  // Whether its states keep entries (value -> count), stored one state key each (below).
  virtual bool has_entries() const { return false; }

 protected:
  std::vector<Column> outputs_;
};

// The accumulator of one aggregate for one group (and window). Nulls are ignored by every
// aggregate but `count` of rows. Nothing is ever retracted (streams append), which is what lets
// min, max, mode and the percentile cursor update in O(1) or O(log n) per row.
//
// State at rest has two parts: a fixed-size part (EncodeFixed, stored with the group's record)
// and, for has_entries() aggregates, entries: one (encoded value -> count) pair per distinct
// value, each its own state key, so that a large multiset (an exact median's) is written
// incrementally: only the entries a batch changed.
class AggregateState {
 public:
  virtual ~AggregateState() = default;

  virtual void Add(const Row& row) = 0;
  // Adds everything `other` (a state of the same function) holds (merging session windows).
  virtual void Merge(const AggregateState& other) = 0;
  // Appends the result: one value per output column.
  virtual void AppendResult(Row* out) const = 0;

  virtual void EncodeFixed(std::string* /*out*/) const {}
  virtual bool DecodeFixed(Decoder* /*in*/) { return true; }

  // An entry read back from the state; false when `value` is malformed.
  virtual bool LoadEntry(std::string_view /*value*/, int64_t /*count*/) { return true; }
  // Calls `visit(value, count, persisted_count)` for each entry (only those changed since the
  // last MarkPersisted when `changed_only`); persisted_count is 0 for an entry never written.
  using EntryVisitor =
      std::function<void(std::string_view value, int64_t count, int64_t persisted_count)>;
  virtual void ForEachEntry(bool /*changed_only*/, const EntryVisitor& /*visit*/) const {}
  // After the changed entries were written: they are now persisted with their counts.
  virtual void MarkPersisted() {}

  // Memory held, roughly (for the cache budget).
  virtual size_t ApproxBytes() const = 0;
};

// Reads a step's aggregates, an object of output column -> function:
//   "n": "count"                                  rows
//   "n": {"count": "col"}                         non-null values of col
//   "s": {"sum" | "min" | "max" | "avg" | "median" | "count_distinct": "col"}
//   "p90": {"percentile": "col", "p": 0.9}
//   "category": {"mode": "col", "count_as": "category_count"}
//   "top": {"top_k": "col", "k": 3}
//   "poster_name": {"arg_max": "poster_name", "by": "follower_count", "by_as": "followers"}
// checking columns and types against args.input. Problems go to args.errors at
// "<field>/<output column>"; nullopt then. The output columns are appended to `columns`.
std::optional<std::vector<std::unique_ptr<AggregateFunction>>> ParseAggregates(
    const OperatorArgs& args, const char* field, std::vector<Column>* columns);

}  // namespace pinstream
