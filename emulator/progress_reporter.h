#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace pinstream {

// Shows how far a long run is, on a borrowed stream (stderr). On a terminal it redraws one
// line, a bar with counts and rate, at most 10 times a second; otherwise it prints a plain line
// every `line_interval_ms`, so that logs stay small. Nothing is shown during the first
// `quiet_ms`, so short runs print nothing. Time is passed in (milliseconds, any epoch).
// Not thread-safe.
class ProgressReporter {
 public:
  struct Options {
    bool terminal = false;
    int64_t quiet_ms = 1000;
    int64_t line_interval_ms = 10'000;
    std::string unit = "posts";
  };

  // `total` units are expected (0: unknown). `out` must outlive the reporter.
  ProgressReporter(std::FILE* out, int64_t total, const Options& options, int64_t now_ms);

  // `done` units and `records` records so far.
  void Update(int64_t done, int64_t records, int64_t now_ms);
  // Draws the final state (if anything was shown) and ends the line.
  void Finish(int64_t done, int64_t records, int64_t now_ms);

  // What a redraw would show now, for tests: "[#####.....]  50%  5000/10000 posts ...".
  std::string Render(int64_t done, int64_t records, int64_t now_ms) const;

 private:
  std::FILE* out_;
  int64_t total_;
  Options options_;
  int64_t start_ms_;
  int64_t last_draw_ms_ = -1;
  bool shown_ = false;
};

}  // namespace pinstream
