#include "runtime/shard_assignment.h"

namespace pinstream {

namespace {

constexpr HashKey kSlack = HashKey{1} << 64;

// floor(i * 2^128 / n), without 256-bit arithmetic: 2^128 = n * q + r.
HashKey Boundary(uint32_t i, uint32_t n) {
  HashKey q = kMaxHashKey / n;
  HashKey r = kMaxHashKey % n + 1;
  if (r == n) {
    ++q;
    r = 0;
  }
  return q * i + r * i / n;
}

}  // namespace

std::string InstanceSplit::ToString() const {
  return "instance " + std::to_string(instance) + " of " + std::to_string(instances);
}

bool InstanceSplit::Reads(HashKey starting_hash_key) const {
  return ShardOwner(starting_hash_key, instances) == instance;
}

Result<InstanceSplit> MakeInstanceSplit(int64_t instance, int64_t instances) {
  if (instances < 1 || instances > kMaxInstances) {
    return Status::InvalidArgument("--instances must be between 1 and " +
                                   std::to_string(kMaxInstances) + ", not " +
                                   std::to_string(instances));
  }
  if (instance < 0 || instance >= instances) {
    return Status::InvalidArgument(
        "--instance must be between 0 and " + std::to_string(instances - 1) + " (--instances " +
        std::to_string(instances) + "), not " + std::to_string(instance));
  }
  return InstanceSplit{static_cast<uint32_t>(instance), static_cast<uint32_t>(instances)};
}

uint32_t ShardOwner(HashKey starting_hash_key, uint32_t instances) {
  if (instances <= 1) return 0;
  const HashKey key =
      starting_hash_key > kMaxHashKey - kSlack ? kMaxHashKey : starting_hash_key + kSlack;
  for (uint32_t i = instances - 1; i > 0; --i) {
    if (Boundary(i, instances) <= key) return i;
  }
  return 0;
}

}  // namespace pinstream
