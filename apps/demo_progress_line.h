#pragma once

#include <cstdint>

#include "demo/demo_run.h"

namespace pinstream::cli {

// `pinstream demo`'s progress on stderr. On a terminal one line redrawn in place; otherwise a
// plain line every few seconds, so that a log stays short. Not thread-safe (RunDemo's listener
// calls it from one thread).
class DemoProgressLine {
 public:
  DemoProgressLine(bool enabled, int64_t posts_total);

  // The caught-up update is always shown, so that a log ends with the final counts.
  void Update(const DemoProgress& p);

  // Ends the redrawn line, so that what follows starts on its own.
  void Finish();

 private:
  static constexpr double kLineIntervalS = 2.0;
  bool enabled_;
  bool terminal_;
  int64_t posts_total_;
  double last_line_s_ = -kLineIntervalS;
  bool drawn_ = false;
};

}  // namespace pinstream::cli
