#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "stream/stream_types.h"

namespace pinstream {

// What a reshard does to a stream's shards, worked out from its description alone: which open
// shards close and which shards are created (with their hash ranges and parents). A plan only
// ever adds shards with new indexes; the store applies it atomically (StreamStore::Reshard).
//
// Lineage is Kinesis's: a split's two children name the split shard as parent; a merge's child
// names ShardToMerge as parent and AdjacentShardToMerge as adjacent parent. A shard the plan
// creates and closes at once (a step of UpdateShardCount) is `created` with an ending counter of
// 0: it never takes a record, and readers pass through it to its children.
struct ReshardPlan {
  std::vector<uint32_t> close;            // open shards that close
  std::vector<ShardDescription> created;  // new shards, in index order
};

// SplitShard: `shard` into [start, new_starting_hash_key - 1] and [new_starting_hash_key, end].
// Kinesis's bounds: new_starting_hash_key > start + 1 and < end.
Result<ReshardPlan> PlanSplit(const StreamDescription& stream, std::string_view shard_id,
                              std::string_view new_starting_hash_key);

// MergeShards: two open shards whose hash ranges touch, into one over both.
Result<ReshardPlan> PlanMerge(const StreamDescription& stream, std::string_view shard_id,
                              std::string_view adjacent_shard_id);

// UpdateShardCount with UNIFORM_SCALING: the open shards become `target` shards of (nearly)
// equal hash ranges, as CreateStream lays them out, through splits at the new boundaries and
// then merges of what lies within one new range, so every new shard has at most two parents.
// Kinesis's bounds: at most double and at least half the open shards.
Result<ReshardPlan> PlanUniformScaling(const StreamDescription& stream, int64_t target);

// The hash range of shard `i` of `count` evenly split shards.
std::pair<HashKey, HashKey> UniformHashRange(uint32_t i, uint32_t count);

}  // namespace pinstream
