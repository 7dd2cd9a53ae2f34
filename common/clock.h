#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>

namespace pinstream {

// Wall-clock time in milliseconds since the Unix epoch. Components take a borrowed Clock so
// that tests can move time (retention, iterator expiry) without sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;

  // The process-wide real clock; never null, never destroyed.
  static Clock* Real();
};

// Sleeps until `clock` reads `until_ms` or later, waking at least every 100 ms to see whether
// `stop` was requested; false when it was (then at once). A ManualClock's time only moves when
// told, so the wait ends when it is moved there.
bool SleepUntil(const Clock& clock, int64_t until_ms, const std::stop_token& stop);

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }
  void Set(int64_t ms) { now_ms_.store(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace pinstream
