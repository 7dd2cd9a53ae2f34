#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "operators/commit_store.h"
#include "operators/topology.h"
#include "stream/stream_store.h"

namespace pinstream {

// What "caught up" means in the demo: per shard of every source, the record counter the
// processor must commit. Counters are dense within a shard, so differences count records.
struct ShardGoal {
  std::string stream;
  std::string shard;
  uint64_t start = 0;  // the counter committed before the demo started
  uint64_t last = 0;   // the newest record's counter when the goals were taken
};

// The shards of every source of `topology`, with where the processor starts in each (`start`,
// its checkpoint's offsets) and the newest record each holds now. Taken again once the
// emulation has finished, the `last` counters are the goal. Thread-safe as `streams` is.
Result<std::vector<ShardGoal>> ShardGoals(const Topology& topology, const StreamStore& streams,
                                          const Offsets& start);

// Records committed since the demo started.
int64_t RecordsCommitted(const std::vector<ShardGoal>& goals, const Offsets& committed);

// Records between the start and the goals.
int64_t RecordsToProcess(const std::vector<ShardGoal>& goals);

// Whether `committed` has reached the goal of every shard that had records to process.
bool CaughtUp(const std::vector<ShardGoal>& goals, const Offsets& committed);

}  // namespace pinstream
