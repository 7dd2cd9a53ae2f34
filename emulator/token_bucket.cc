#include "emulator/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace pinstream {

TokenBucket::TokenBucket(double rate, double burst, int64_t now_us)
    : rate_per_us_(rate / 1e6), burst_(std::max(1.0, burst)), tokens_(burst_), last_us_(now_us) {}

int64_t TokenBucket::Take(int64_t now_us) {
  if (now_us > last_us_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_us - last_us_) * rate_per_us_);
    last_us_ = now_us;
  }
  tokens_ -= 1.0;
  if (tokens_ >= 0) return 0;
  return static_cast<int64_t>(std::ceil(-tokens_ / rate_per_us_));
}

}  // namespace pinstream
