#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace pinstream {

// A Prometheus-style histogram: how many observations fell at or below each of fixed upper
// bounds, with their count and sum. Observe is lock-free and may be called from any number of
// threads at once; Read may race with it and then mixes observations made during the read (each
// bucket is exact on its own), as a Prometheus client's scrape does.
class Histogram {
 public:
  // `upper_bounds` ascending; an implicit +Inf bucket follows the last.
  explicit Histogram(std::vector<double> upper_bounds);

  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> counts;  // per bucket, not cumulative; one more than upper_bounds
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;

  // `count` bounds: start, start * factor, start * factor^2, ...
  static std::vector<double> ExponentialBounds(double start, double factor, int count);

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

}  // namespace pinstream
