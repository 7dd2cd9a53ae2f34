#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace pinstream {

// The recent past of a few time series (rates, lags, latencies) for the status page's charts:
// points older than `span_ms` fall off. A series that stops getting points (a deleted stream)
// falls off with its last point. Thread-safe.
class SeriesHistory {
 public:
  explicit SeriesHistory(int64_t span_ms = 15 * 60 * 1000) : span_ms_(span_ms) {}

  void Add(int64_t time_ms, const std::vector<std::pair<std::string, double>>& points);

  // {"span_ms":..,"series":{"name":[[time_ms,value],...],...}}, oldest point first.
  nlohmann::json ToJson() const;

 private:
  const int64_t span_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::pair<int64_t, double>>> series_;  // GUARDED_BY(mu_)
};

}  // namespace pinstream
