#include "stream/reshard_plan.h"

#include <algorithm>
#include <string>

#include "stream/aws_errors.h"

namespace pinstream {

namespace {

// The open shard named `shard_id`, or why it cannot be resharded.
Result<const ShardDescription*> OpenShard(const StreamDescription& stream,
                                          std::string_view shard_id, std::string_view action) {
  auto index = ShardIndexFromId(shard_id);
  if (!index.ok() || *index >= stream.shards.size()) return ShardIdNotFound(shard_id, stream.name);
  const ShardDescription& shard = stream.shards[*index];
  if (!shard.open())
    return ShardAlreadyResharded(ShardIdFromIndex(shard.index), stream.name, action);
  return &shard;
}

// Hands out the indexes of new shards, after every shard the stream ever had.
class ShardMaker {
 public:
  explicit ShardMaker(const StreamDescription& stream)
      : next_(static_cast<uint32_t>(stream.shards.size())) {}

  ShardDescription Make(HashKey start, HashKey end, uint32_t parent,
                        std::optional<uint32_t> adjacent_parent = std::nullopt) {
    ShardDescription s;
    s.index = next_++;
    s.starting_hash_key = start;
    s.ending_hash_key = end;
    s.parent = parent;
    s.adjacent_parent = adjacent_parent;
    return s;
  }

 private:
  uint32_t next_;
};

}  // namespace

std::pair<HashKey, HashKey> UniformHashRange(uint32_t i, uint32_t count) {
  // An even split of [0, 2^128): shard i starts at i * (2^128 / n); the last one takes the rest.
  const HashKey width = kMaxHashKey / count + (kMaxHashKey % count == count - 1);
  return {width * i, i + 1 == count ? kMaxHashKey : width * (i + 1) - 1};
}

Result<ReshardPlan> PlanSplit(const StreamDescription& stream, std::string_view shard_id,
                              std::string_view new_starting_hash_key) {
  ASSIGN_OR_RETURN(const ShardDescription* shard, OpenShard(stream, shard_id, "splitting"));
  auto key = ParseHashKey(new_starting_hash_key);
  if (!key.ok() || *key <= shard->starting_hash_key + 1 || *key >= shard->ending_hash_key) {
    return SplitKeyOutOfRange(new_starting_hash_key, ShardIdFromIndex(shard->index), stream.name,
                              HashKeyToString(shard->starting_hash_key),
                              HashKeyToString(shard->ending_hash_key));
  }
  ShardMaker maker(stream);
  ReshardPlan plan;
  plan.close.push_back(shard->index);
  plan.created.push_back(maker.Make(shard->starting_hash_key, *key - 1, shard->index));
  plan.created.push_back(maker.Make(*key, shard->ending_hash_key, shard->index));
  return plan;
}

Result<ReshardPlan> PlanMerge(const StreamDescription& stream, std::string_view shard_id,
                              std::string_view adjacent_shard_id) {
  ASSIGN_OR_RETURN(const ShardDescription* a, OpenShard(stream, shard_id, "merging"));
  ASSIGN_OR_RETURN(const ShardDescription* b, OpenShard(stream, adjacent_shard_id, "merging"));
  const bool a_first =
      a->ending_hash_key != kMaxHashKey && a->ending_hash_key + 1 == b->starting_hash_key;
  const bool b_first =
      b->ending_hash_key != kMaxHashKey && b->ending_hash_key + 1 == a->starting_hash_key;
  if (a == b || (!a_first && !b_first)) {
    return ShardsNotAdjacent(ShardIdFromIndex(a->index), ShardIdFromIndex(b->index), stream.name);
  }
  ShardMaker maker(stream);
  ReshardPlan plan;
  plan.close = {a->index, b->index};
  const ShardDescription& low = a_first ? *a : *b;
  const ShardDescription& high = a_first ? *b : *a;
  plan.created.push_back(
      maker.Make(low.starting_hash_key, high.ending_hash_key, a->index, b->index));
  return plan;
}

Result<ReshardPlan> PlanUniformScaling(const StreamDescription& stream, int64_t target) {
  std::vector<ShardDescription> open;
  for (const auto& s : stream.shards) {
    if (s.open()) open.push_back(s);
  }
  std::sort(open.begin(), open.end(),
            [](const auto& x, const auto& y) { return x.starting_hash_key < y.starting_hash_key; });
  const int64_t current = static_cast<int64_t>(open.size());
  if (target > 2 * current || target > kMaxShardsPerStream) {
    return ShardCountChangeTooLarge(true, current, target);
  }
  if (2 * target < current) return ShardCountChangeTooLarge(false, current, target);
  const auto count = static_cast<uint32_t>(target);
  ShardMaker maker(stream);
  ReshardPlan plan;
  // A shard created by one step and consumed by a later one closes at once, before any record.
  auto consume = [&](ShardDescription&& s) {
    s.ending_counter = 0;
    plan.created.push_back(s);
  };

  // 1. Split every open shard at each new boundary strictly inside it. Afterwards every shard
  //    lies within one new range.
  std::vector<ShardDescription> pieces;
  for (ShardDescription& s : open) {
    std::vector<HashKey> cuts;
    for (uint32_t i = 1; i < count; ++i) {
      const HashKey b = UniformHashRange(i, count).first;
      if (b > s.starting_hash_key && b <= s.ending_hash_key) cuts.push_back(b);
    }
    if (cuts.empty()) {
      pieces.push_back(s);
      continue;
    }
    plan.close.push_back(s.index);
    // Cut one piece off the front at a time: each split has the rest of the shard as parent.
    ShardDescription rest = s;
    for (size_t c = 0; c < cuts.size(); ++c) {
      ShardDescription front = maker.Make(rest.starting_hash_key, cuts[c] - 1, rest.index);
      ShardDescription back = maker.Make(cuts[c], rest.ending_hash_key, rest.index);
      if (rest.index != s.index) consume(std::move(rest));
      pieces.push_back(front);
      rest = back;
    }
    pieces.push_back(rest);
  }
  // Pieces that already existed (not split) must not be re-added to `created`.
  auto is_new = [&](const ShardDescription& p) { return p.index >= stream.shards.size(); };

  // 2. Merge, left to right, the pieces within each new range into one shard.
  size_t p = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const HashKey end = UniformHashRange(i, count).second;
    ShardDescription acc = pieces[p++];
    while (acc.ending_hash_key < end) {
      ShardDescription next = pieces[p++];
      ShardDescription merged =
          maker.Make(acc.starting_hash_key, next.ending_hash_key, acc.index, next.index);
      for (ShardDescription* part : {&acc, &next}) {
        if (is_new(*part)) {
          consume(std::move(*part));
        } else {
          plan.close.push_back(part->index);
        }
      }
      acc = merged;
    }
    if (is_new(acc)) plan.created.push_back(acc);
  }
  std::sort(plan.created.begin(), plan.created.end(),
            [](const auto& x, const auto& y) { return x.index < y.index; });
  std::sort(plan.close.begin(), plan.close.end());
  return plan;
}

}  // namespace pinstream
