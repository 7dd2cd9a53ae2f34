// The static shard split of `pinstream run --instance I --instances N`
// (runtime/shard_assignment.h): even layouts share out evenly, reshards keep a lineage on one
// instance where they can, and every shard has exactly one owner.
#include "runtime/shard_assignment.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "stream/reshard_plan.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

HashKey Key(const char* decimal) {
  auto k = ParseHashKey(decimal);
  EXPECT_OK(k.status());
  return k.ok() ? *k : 0;
}

// A stream of `count` shards laid out as CreateStream does.
StreamDescription Stream(uint32_t count) {
  StreamDescription d;
  d.name = "s";
  for (uint32_t i = 0; i < count; ++i) {
    ShardDescription s;
    s.index = i;
    std::tie(s.starting_hash_key, s.ending_hash_key) = UniformHashRange(i, count);
    d.shards.push_back(s);
  }
  return d;
}

void Apply(const Result<ReshardPlan>& plan, StreamDescription* d) {
  ASSERT_OK(plan.status());
  for (uint32_t index : plan->close) {
    for (auto& s : d->shards) {
      if (s.index == index) s.ending_counter = 0;
    }
  }
  for (const auto& s : plan->created) d->shards.push_back(s);
}

const ShardDescription& Shard(const StreamDescription& d, uint32_t index) {
  for (const auto& s : d.shards) {
    if (s.index == index) return s;
  }
  ADD_FAILURE() << "no shard " << index;
  return d.shards.front();
}

uint32_t Owner(const StreamDescription& d, uint32_t index, uint32_t instances) {
  return ShardOwner(Shard(d, index).starting_hash_key, instances);
}

TEST(ShardAssignmentTest, MakeInstanceSplitChecksItsBounds) {
  ASSERT_OK_AND_ASSIGN(InstanceSplit one, MakeInstanceSplit(0, 1));
  EXPECT_EQ(one, InstanceSplit{});
  ASSERT_OK_AND_ASSIGN(InstanceSplit third, MakeInstanceSplit(2, 3));
  EXPECT_EQ(third.ToString(), "instance 2 of 3");
  EXPECT_EQ(MakeInstanceSplit(3, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeInstanceSplit(-1, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeInstanceSplit(0, 0).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(MakeInstanceSplit(0, kMaxInstances + 1).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(ShardAssignmentTest, OneInstanceReadsEverything) {
  for (HashKey k : {HashKey{0}, HashKey{1} << 127, kMaxHashKey}) {
    EXPECT_EQ(ShardOwner(k, 1), 0u);
    EXPECT_TRUE(InstanceSplit{}.Reads(k));
  }
}

TEST(ShardAssignmentTest, EveryKeyHasExactlyOneOwnerInOrder) {
  std::mt19937_64 rng(18);
  for (uint32_t n : {2u, 3u, 5u, 7u, 64u, kMaxInstances}) {
    EXPECT_EQ(ShardOwner(0, n), 0u);
    EXPECT_EQ(ShardOwner(kMaxHashKey, n), n - 1);
    std::vector<HashKey> keys;
    for (int i = 0; i < 200; ++i) keys.push_back((HashKey{rng()} << 64) | rng());
    std::sort(keys.begin(), keys.end());
    uint32_t last = 0;
    for (HashKey k : keys) {
      const uint32_t owner = ShardOwner(k, n);
      ASSERT_LT(owner, n);
      EXPECT_GE(owner, last) << "owners follow the key order: contiguous shares";
      last = owner;
      int readers = 0;
      for (uint32_t i = 0; i < n; ++i) readers += InstanceSplit{i, n}.Reads(k);
      EXPECT_EQ(readers, 1);
    }
  }
}

// K = N * m shards laid out evenly give each of N instances m neighbouring shards, with
// pinstream's layout (i * floor(2^128 / K)) and AWS's (floor(i * 2^128 / K)) alike.
TEST(ShardAssignmentTest, EvenLayoutsShareOutEvenly) {
  for (uint32_t n = 1; n <= 6; ++n) {
    for (uint32_t m = 1; m <= 4; ++m) {
      const uint32_t k = n * m;
      for (uint32_t i = 0; i < k; ++i) {
        EXPECT_EQ(ShardOwner(UniformHashRange(i, k).first, n), i / m)
            << "shard " << i << " of " << k << " over " << n << " instances";
      }
    }
  }
  // AWS's CreateStream with 3 shards.
  EXPECT_EQ(ShardOwner(0, 3), 0u);
  EXPECT_EQ(ShardOwner(Key("113427455640312821154458202477256070485"), 3), 1u);
  EXPECT_EQ(ShardOwner(Key("226854911280625642308916404954512140970"), 3), 2u);
  // Fewer shards than instances: some instances read nothing, none reads a shard twice.
  EXPECT_EQ(ShardOwner(UniformHashRange(0, 2).first, 3), 0u);
  EXPECT_EQ(ShardOwner(UniformHashRange(1, 2).first, 3), 1u);
}

// A split keeps both children with their parent's instance when the parent lies within that
// instance's share; so do the shards UpdateShardCount makes from 3 to 6 and back.
TEST(ShardAssignmentTest, SplitsAndScalingKeepALineageOnItsInstance) {
  StreamDescription d = Stream(3);
  const HashKey start = Shard(d, 1).starting_hash_key;
  const HashKey middle = start + (Shard(d, 1).ending_hash_key - start) / 2;
  Apply(PlanSplit(d, "shardId-000000000001", HashKeyToString(middle)), &d);
  ASSERT_EQ(d.shards.size(), 5u);
  EXPECT_EQ(Owner(d, 3, 3), 1u);
  EXPECT_EQ(Owner(d, 4, 3), 1u);

  StreamDescription scaled = Stream(3);
  Apply(PlanUniformScaling(scaled, 6), &scaled);
  std::map<uint32_t, int> open_per_instance;
  for (const auto& s : scaled.shards) {
    if (!s.open()) continue;
    ++open_per_instance[ShardOwner(s.starting_hash_key, 3)];
    if (s.parent) {
      EXPECT_EQ(Owner(scaled, s.index, 3), Owner(scaled, *s.parent, 3));
    }
  }
  EXPECT_EQ(open_per_instance, (std::map<uint32_t, int>{{0, 2}, {1, 2}, {2, 2}}));
  Apply(PlanUniformScaling(scaled, 3), &scaled);
  open_per_instance.clear();
  for (const auto& s : scaled.shards) {
    if (!s.open()) continue;
    const uint32_t owner = ShardOwner(s.starting_hash_key, 3);
    ++open_per_instance[owner];
    // Merged from two children of one old shard: both parents were this instance's, but for a
    // sliver that the two layouts' rounding left between them (a few keys, created and closed
    // at once: it never holds a record).
    for (std::optional<uint32_t> parent : {s.parent, s.adjacent_parent}) {
      if (!parent || Owner(scaled, *parent, 3) == owner) continue;
      const ShardDescription& p = Shard(scaled, *parent);
      EXPECT_LT(p.ending_hash_key - p.starting_hash_key, HashKey{1} << 8) << "shard " << p.index;
      EXPECT_EQ(p.ending_counter, std::optional<uint64_t>(0)) << "shard " << p.index;
    }
  }
  EXPECT_EQ(open_per_instance, (std::map<uint32_t, int>{{0, 1}, {1, 1}, {2, 1}}));
}

// Across an instance boundary a lineage cannot stay on one instance: a merge's child goes with
// its lower parent (the adjacent parent is read to its end by its own instance), and a split of
// a shard that straddles a boundary gives the upper child to the instance its start lies in.
TEST(ShardAssignmentTest, ReshardsAcrossABoundaryFollowTheChildsStart) {
  StreamDescription d = Stream(3);
  Apply(PlanMerge(d, "shardId-000000000002", "shardId-000000000001"), &d);
  const ShardDescription& merged = Shard(d, 3);
  EXPECT_EQ(ShardOwner(merged.starting_hash_key, 3), 1u);  // where shard 1, the lower, was
  EXPECT_EQ(Owner(d, 2, 3), 2u);                           // still read to its end by 2

  StreamDescription two = Stream(2);  // shard 0 spans [0, 2^127): across 2^128 / 3
  ASSERT_EQ(Owner(two, 0, 3), 0u);
  const HashKey past_boundary = (HashKey{3} << 125);  // 3/8 of the key space
  Apply(PlanSplit(two, "shardId-000000000000", HashKeyToString(past_boundary)), &two);
  EXPECT_EQ(Owner(two, 2, 3), 0u);  // the lower child starts where its parent did
  EXPECT_EQ(Owner(two, 3, 3), 1u);  // the upper one past the boundary
}

// A shard's owner depends on nothing but its own range: not on the other shards listed, so a
// parent aging out of ListShards moves no child.
TEST(ShardAssignmentTest, TheOwnerIsTheShardsAlone) {
  StreamDescription d = Stream(4);
  Apply(PlanSplit(d, "shardId-000000000002",
                  HashKeyToString(Shard(d, 2).starting_hash_key + (HashKey{1} << 100))),
        &d);
  std::map<uint32_t, uint32_t> before;
  for (const auto& s : d.shards) before[s.index] = ShardOwner(s.starting_hash_key, 2);
  std::erase_if(d.shards, [](const ShardDescription& s) { return !s.open(); });
  for (const auto& s : d.shards) EXPECT_EQ(ShardOwner(s.starting_hash_key, 2), before[s.index]);
}

}  // namespace
}  // namespace pinstream
