#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// The state behind an opaque shard iterator: which shard, the next record to read, and when
// the iterator was issued (iterators expire after kIteratorLifetimeMs, as Kinesis's do).
struct ShardIterator {
  uint32_t stream_id = 0;
  uint32_t shard_index = 0;
  uint64_t next_counter = 1;
  int64_t issued_ms = 0;

  // The token clients see: URL-safe text, opaque by contract.
  std::string Encode() const;
  static Result<ShardIterator> Decode(std::string_view token);
};

}  // namespace pinstream
