#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "operators/commit_store.h"
#include "operators/stream_operator.h"
#include "operators/watermark.h"

namespace pinstream {

// The meta record of a stateful stream operator whose state is keyed by more than its groups
// (a join, a dedup with "within"): how many keys and bytes the rest of its state holds (kept as
// counters, so that opening the state needs no scan) and its watermark. One state key, staged at
// a batch end only when it changed.
class MetaRecord {
 public:
  explicit MetaRecord(std::string key) : key_(std::move(key)) {}

  uint64_t keys = 0;  // the operator's other state keys, committed and staged
  uint64_t bytes = 0;

  // Reads the record into the counters and `tracker`: false when there is none (the counters
  // are then 0), Corruption (naming `what`) when it is malformed.
  Result<bool> Load(StateStore* state, WatermarkTracker* tracker, std::string_view what);
  // Stages the record when it differs from the one loaded or last staged.
  Status Stage(StateStore* state, const WatermarkTracker& tracker);
  // The state's size, this record included.
  StateStats stats() const;

 private:
  std::string key_;
  std::string stored_;   // the record as loaded or last staged; empty when there is none
  std::string encoded_;  // reused
};

}  // namespace pinstream
