#pragma once

#include <cstdint>

namespace pinstream {

// Paces events at a steady `rate` per second, allowing bursts of up to `burst` events after a
// pause (a token bucket). Time is passed in, in microseconds, so that tests need no clock.
// A plain value; not thread-safe.
class TokenBucket {
 public:
  // Starts full at `now_us`. `rate` > 0; `burst` >= 1.
  TokenBucket(double rate, double burst, int64_t now_us);

  // Takes one token at `now_us` and returns how many microseconds the caller must wait before
  // acting on it: 0 when the bucket had one. Tokens taken early are owed, so a caller that
  // waits as told runs at exactly `rate` on average.
  int64_t Take(int64_t now_us);

 private:
  double rate_per_us_;
  double burst_;
  double tokens_;
  int64_t last_us_;
};

}  // namespace pinstream
