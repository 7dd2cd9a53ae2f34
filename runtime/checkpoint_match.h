#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "operators/commit_store.h"
#include "runtime/source.h"

namespace pinstream {

// A topology's checkpoint of one stream held against the stream as it is now (its incarnation
// and its shards), as every Source does when it opens: whether the stream was deleted and
// created again since, and the gaps that leaves (one per checkpointed shard of the old
// incarnation, or per checkpointed shard that no longer exists).
struct CheckpointMatch {
  // The checkpointed offsets to resume from: none when the stream was created again.
  const std::map<std::string, std::string>* offsets = nullptr;
  bool recreated = false;
  // The checkpoint names this incarnation (a checkpoint from before incarnations were recorded
  // names none, and adopts the current one).
  bool known_incarnation = false;
  std::vector<DataGap> gaps;
};

// `live_shards`: the ids of the shards the stream lists now. The result's `offsets` points into
// `checkpoint` (or at a static empty map), valid as long as `checkpoint` is.
CheckpointMatch MatchCheckpoint(const Checkpoint& checkpoint, const std::string& stream,
                                const std::string& incarnation,
                                const std::set<std::string>& live_shards);

}  // namespace pinstream
