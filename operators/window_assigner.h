#pragma once

#include <cstdint>
#include <vector>

namespace pinstream {

// A time window, [start, end) in ms: an event at exactly `end` belongs to the next window.
struct TimeWindow {
  int64_t start = 0;
  int64_t end = 0;
  bool operator==(const TimeWindow&) const = default;
};

// How a `window` step cuts time. Tumbling: windows of `size` aligned to the epoch; sliding
// (hopping): windows of `size` starting every `slide` (slide <= size, so they overlap when
// smaller); session: a window per burst of events, closed by a silence of `gap`.
struct WindowSpec {
  enum class Kind { kTumbling, kSliding, kSession };
  Kind kind = Kind::kTumbling;
  int64_t size = 0;   // tumbling, sliding
  int64_t slide = 0;  // sliding
  int64_t gap = 0;    // session

  // The windows holding an event at `t`, by ascending start; a session event's own window is
  // [t, t + gap), which then merges with the sessions it overlaps.
  void Assign(int64_t t, std::vector<TimeWindow>* out) const;
};

// floor(a / b) for b > 0, also for negative a (times before 1970).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

}  // namespace pinstream
