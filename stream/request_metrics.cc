#include "stream/request_metrics.h"

#include <atomic>

namespace pinstream {

struct RequestMetrics::Slot {
  std::string transport;
  std::string action;
  std::atomic<uint64_t> requests{0};
  Histogram latency{Histogram::ExponentialBounds(1e-4, 2.5, 12)};
  std::mutex errors_mu;  // failures are the rare path
  std::map<std::string, uint64_t, std::less<>> errors;
};

RequestMetrics::RequestMetrics() = default;
RequestMetrics::~RequestMetrics() = default;

RequestMetrics::Slot* RequestMetrics::Find(std::string_view transport, std::string_view action) {
  std::string key;
  key.reserve(transport.size() + 1 + action.size());
  key.append(transport).append(1, '\n').append(action);
  {
    std::shared_lock lock(mu_);
    if (auto it = slots_.find(key); it != slots_.end()) return it->second.get();
  }
  std::unique_lock lock(mu_);
  auto& slot = slots_[key];
  if (!slot) {
    slot = std::make_unique<Slot>();
    slot->transport = transport;
    slot->action = action;
  }
  return slot.get();
}

void RequestMetrics::Record(std::string_view transport, std::string_view action,
                            std::string_view error_type,
                            std::chrono::steady_clock::duration latency) {
  Slot* slot = Find(transport, action);
  slot->requests.fetch_add(1, std::memory_order_relaxed);
  slot->latency.Observe(std::chrono::duration<double>(latency).count());
  if (!error_type.empty()) {
    std::lock_guard lock(slot->errors_mu);
    auto it = slot->errors.find(error_type);
    if (it == slot->errors.end()) it = slot->errors.emplace(std::string(error_type), 0).first;
    ++it->second;
  }
}

std::vector<RequestMetrics::Action> RequestMetrics::Read() const {
  std::shared_lock lock(mu_);
  std::vector<Action> out;
  out.reserve(slots_.size());
  for (const auto& [key, slot] : slots_) {
    Action a;
    a.transport = slot->transport;
    a.action = slot->action;
    a.requests = slot->requests.load(std::memory_order_relaxed);
    a.latency_seconds = slot->latency.Read();
    std::lock_guard errors_lock(slot->errors_mu);
    a.errors.insert(slot->errors.begin(), slot->errors.end());
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace pinstream
