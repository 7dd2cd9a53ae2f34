#include "apps/demo_progress_line.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace pinstream::cli {

DemoProgressLine::DemoProgressLine(bool enabled, int64_t posts_total)
    : enabled_(enabled), terminal_(isatty(STDERR_FILENO) != 0), posts_total_(posts_total) {}

void DemoProgressLine::Update(const DemoProgress& p) {
  if (!enabled_) return;
  if (!terminal_ && !p.caught_up && p.seconds - last_line_s_ < kLineIntervalS) return;
  last_line_s_ = p.seconds;
  std::string processed = std::to_string(p.records_processed);
  if (p.records_total >= 0) processed += "/" + std::to_string(p.records_total);
  char line[200];
  std::snprintf(line, sizeof(line), "demo: %5.1fs  posts sent %lld/%lld  records processed %s",
                p.seconds, static_cast<long long>(p.posts_sent),
                static_cast<long long>(posts_total_), processed.c_str());
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

void DemoProgressLine::Finish() {
  if (drawn_) std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace pinstream::cli
