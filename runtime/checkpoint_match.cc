#include "runtime/checkpoint_match.h"

#include <algorithm>
#include <string_view>

namespace pinstream {

namespace {

bool IsSequenceNumber(std::string_view offset) {
  return !offset.empty() && offset.front() >= '0' && offset.front() <= '9';
}

// A position the checkpoint holds for a shard of one incarnation: a sequence number read, or
// the end of a closed shard. (A position `offsets reset` wrote holds in any incarnation.)
bool IsIncarnationOffset(std::string_view offset) {
  return IsSequenceNumber(offset) || offset == kShardEndOffset;
}

}  // namespace

CheckpointMatch MatchCheckpoint(const Checkpoint& checkpoint, const std::string& stream,
                                const std::string& incarnation,
                                const std::set<std::string>& live_shards) {
  static const std::map<std::string, std::string> kNone;
  auto st = checkpoint.offsets.find(stream);
  const auto& offsets = st == checkpoint.offsets.end() ? kNone : st->second;
  auto inc = checkpoint.incarnations.find(stream);
  CheckpointMatch match;
  // Only offsets of an incarnation tell it was another one; positions `offsets reset` wrote
  // say where to read in any.
  match.recreated = inc != checkpoint.incarnations.end() && inc->second != incarnation &&
                    std::any_of(offsets.begin(), offsets.end(),
                                [](const auto& o) { return IsIncarnationOffset(o.second); });
  match.known_incarnation = inc != checkpoint.incarnations.end() && inc->second == incarnation;
  for (const auto& [shard, offset] : offsets) {
    if (!IsSequenceNumber(offset)) continue;
    if (match.recreated) {
      match.gaps.push_back(DataGap{stream, shard,
                                   "the stream was deleted and created again (created " +
                                       inc->second + ", now " + incarnation + ")",
                                   offset, "", std::nullopt});
    } else if (!live_shards.contains(shard)) {
      match.gaps.push_back(
          DataGap{stream, shard, "the shard no longer exists", offset, "", std::nullopt});
    }
  }
  match.offsets = match.recreated ? &kNone : &offsets;
  return match;
}

}  // namespace pinstream
