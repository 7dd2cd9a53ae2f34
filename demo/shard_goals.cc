#include "demo/shard_goals.h"

#include "stream/stream_types.h"

namespace pinstream {

namespace {

// The counter of the record an offset stands at; 0 for no offset (or a reset's position).
uint64_t CounterOf(const Offsets& offsets, const std::string& stream, const std::string& shard) {
  auto st = offsets.find(stream);
  if (st == offsets.end()) return 0;
  auto sh = st->second.find(shard);
  if (sh == st->second.end()) return 0;
  auto seq = SequenceNumber::Parse(sh->second);
  return seq.ok() ? seq->counter : 0;
}

}  // namespace

Result<std::vector<ShardGoal>> ShardGoals(const Topology& topology, const StreamStore& streams,
                                          const Offsets& start) {
  std::vector<ShardGoal> goals;
  for (const auto& source : topology.sources) {
    auto desc = streams.DescribeStream(source.stream);
    if (!desc.ok()) return desc.status().WithContext("topology source '" + source.name + "'");
    for (const auto& shard : desc->shards) {
      ShardGoal g{source.stream, ShardIdFromIndex(shard.index), 0, shard.last_counter};
      g.start = CounterOf(start, g.stream, g.shard);
      goals.push_back(std::move(g));
    }
  }
  return goals;
}

int64_t RecordsCommitted(const std::vector<ShardGoal>& goals, const Offsets& committed) {
  int64_t n = 0;
  for (const auto& g : goals) {
    const uint64_t at = CounterOf(committed, g.stream, g.shard);
    if (at > g.start) n += static_cast<int64_t>(at - g.start);
  }
  return n;
}

int64_t RecordsToProcess(const std::vector<ShardGoal>& goals) {
  int64_t n = 0;
  for (const auto& g : goals) {
    if (g.last > g.start) n += static_cast<int64_t>(g.last - g.start);
  }
  return n;
}

bool CaughtUp(const std::vector<ShardGoal>& goals, const Offsets& committed) {
  for (const auto& g : goals) {
    if (g.last > g.start && CounterOf(committed, g.stream, g.shard) < g.last) return false;
  }
  return true;
}

}  // namespace pinstream
