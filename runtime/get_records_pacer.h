#pragma once

#include <cstddef>
#include <cstdint>

#include "common/clock.h"
#include "stream/kinesis_backoff.h"

namespace pinstream {

// When the next GetRecords of one shard may go, by AWS's read limits of a shard: at most 5
// calls a second, and 2 MB a second (a call that returned 2 MB is followed by a second of
// nothing; one that returned 10 MB, the most a call returns, by five); after a throttling or
// limit error or a 5xx, exponential backoff with full jitter, capped.
//
// Pure arithmetic on a borrowed clock (which must outlive the pacer), so tests move time by
// hand. Not thread-safe: the shard's reader owns it.
class GetRecordsPacer {
 public:
  struct Limits {
    int64_t min_interval_ms = 200;               // 5 calls a second
    int64_t bytes_per_second = 2 * 1024 * 1024;  // 2 MB/s
    int64_t backoff_base_ms = 100;
    int64_t backoff_cap_ms = 10'000;
  };

  GetRecordsPacer(const Clock* clock, const Limits& limits, uint64_t seed = 0)
      : clock_(clock),
        limits_(limits),
        backoff_(limits.backoff_base_ms, limits.backoff_cap_ms, seed) {}
  explicit GetRecordsPacer(const Clock* clock) : GetRecordsPacer(clock, Limits{}) {}

  // The earliest time (clock ms) the next call may start.
  int64_t NextCallAtMs() const { return next_ms_; }
  // A call that started at `started_ms` returned `bytes` of records.
  void OnRecords(int64_t started_ms, size_t bytes);
  // A call was throttled (ProvisionedThroughputExceeded, LimitExceeded) or failed with a 5xx.
  void OnThrottled();
  // Consecutive throttled calls since the last one that returned.
  int throttled() const { return backoff_.attempts(); }

 private:
  const Clock* clock_;
  Limits limits_;
  KinesisBackoff backoff_;
  int64_t next_ms_ = 0;
};

}  // namespace pinstream
