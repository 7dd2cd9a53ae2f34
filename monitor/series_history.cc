#include "monitor/series_history.h"

#include <spdlog/fmt/fmt.h>

namespace pinstream {

void SeriesHistory::Add(int64_t time_ms,
                        const std::vector<std::pair<std::string, double>>& points) {
  std::lock_guard lock(mu_);
  for (const auto& [name, value] : points) series_[name].emplace_back(time_ms, value);
  for (auto it = series_.begin(); it != series_.end();) {
    auto& q = it->second;
    while (!q.empty() && q.front().first < time_ms - span_ms_) q.pop_front();
    it = q.empty() ? series_.erase(it) : std::next(it);
  }
}

nlohmann::json SeriesHistory::ToJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json series = nlohmann::json::object();
  for (const auto& [name, q] : series_) {
    nlohmann::json points = nlohmann::json::array();
    // Six significant digits are more than a chart shows, and keep the reply small.
    for (const auto& [t, v] : q) points.push_back({t, std::stod(fmt::format("{:.6g}", v))});
    series[name] = std::move(points);
  }
  return {{"span_ms", span_ms_}, {"series", std::move(series)}};
}

}  // namespace pinstream
