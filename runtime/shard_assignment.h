#pragma once

#include <cstdint>
#include <string>

#include "common/hash_key.h"
#include "common/result.h"

namespace pinstream {

// Which of the instances of one topology a processor is (`pinstream run --instance I
// --instances N`): each reads its share of every source's shards into a data directory of its
// own. The default, instance 0 of 1, reads every shard.
struct InstanceSplit {
  uint32_t instance = 0;
  uint32_t instances = 1;

  bool operator==(const InstanceSplit&) const = default;
  // "instance 1 of 3"
  std::string ToString() const;
  // Whether this instance reads the shard whose hash key range starts at `starting_hash_key`.
  bool Reads(HashKey starting_hash_key) const;
};

inline constexpr uint32_t kMaxInstances = 1024;

// An InstanceSplit from flags: InvalidArgument unless 1 <= instances <= kMaxInstances and
// 0 <= instance < instances.
Result<InstanceSplit> MakeInstanceSplit(int64_t instance, int64_t instances);

// The static shard split: the instance that reads a shard, from its StartingHashKey alone.
//
// Instance i owns the shards that start in [b(i), b(i+1)), b(i) = floor(i * 2^128 / N) - 2^64
// (b(0) = 0). Every instance computes it alike from ListShards, it never changes for a shard
// (a shard's range is fixed, and a parent aging out of ListShards changes nothing), and every
// shard has exactly one owner. The 2^64 slack (nothing next to a shard's width) puts a shard
// that an even split rounds to start just below i * 2^128 / N with the instance at i: Kinesis and
// pinstream lay out K shards at i * floor(2^128 / K), so N instances over K = N * m shards get m
// each.
//
// Reshards: a split's lower child starts where its parent did and a merge's child where its
// lower parent did, so both stay with that parent's instance, as does a split's upper child
// unless the split shard straddled an instance boundary and the split key lies past it. A parent
// read elsewhere (a merge's adjacent parent, or the straddling split's parent) cannot hold its
// child back, for its checkpoint is in another data directory: its records are read there to the
// end and the child's here, each exactly once, but the keys of that range then move to this
// instance, whose keyed state (de-duplication, upserts) starts afresh for them.
uint32_t ShardOwner(HashKey starting_hash_key, uint32_t instances);

}  // namespace pinstream
