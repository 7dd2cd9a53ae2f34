#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace pinstream::bench {

// Collects latency samples (microseconds) and reports percentiles. Keeps every sample: the
// drivers record one per batch, a few hundred thousand at most.
class LatencyHistogram {
 public:
  void Add(int64_t micros) { samples_.push_back(micros); }
  size_t count() const { return samples_.size(); }

  // The p-th percentile (0..100) by nearest rank; 0 when empty.
  int64_t Percentile(double p) {
    if (samples_.empty()) return 0;
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(samples_.size()));
    return samples_[std::min(rank, samples_.size() - 1)];
  }

 private:
  std::vector<int64_t> samples_;
  bool sorted_ = false;
};

}  // namespace pinstream::bench
