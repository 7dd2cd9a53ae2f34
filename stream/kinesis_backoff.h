#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace pinstream {

// Exponential backoff with full jitter, capped (AWS's "Exponential Backoff And Jitter"): the
// n-th consecutive delay is uniform in [0, min(cap, base * 2^n)], so that many readers throttled
// together do not come back together. Not thread-safe; a retry loop owns one.
class KinesisBackoff {
 public:
  KinesisBackoff(int64_t base_ms, int64_t cap_ms, uint64_t seed = std::random_device{}())
      : base_ms_(base_ms), cap_ms_(cap_ms), rng_(seed) {}

  // The delay before the next attempt; each call doubles the ceiling up to the cap.
  int64_t NextDelayMs() {
    const int64_t ceiling = std::min(cap_ms_, base_ms_ << std::min(attempt_, 20));
    ++attempt_;
    return std::uniform_int_distribution<int64_t>(0, ceiling)(rng_);
  }
  // After a success: the next failure starts from the base again.
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  int64_t base_ms_;
  int64_t cap_ms_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace pinstream
