#include "common/clock.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace pinstream {

namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* clock = new RealClock();
  return clock;
}

bool SleepUntil(const Clock& clock, int64_t until_ms, const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    const int64_t left = until_ms - clock.NowMillis();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 100)));
  }
  return false;
}

}  // namespace pinstream
