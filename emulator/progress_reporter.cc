#include "emulator/progress_reporter.h"

#include <algorithm>

namespace pinstream {

ProgressReporter::ProgressReporter(std::FILE* out, int64_t total, const Options& options,
                                   int64_t now_ms)
    : out_(out), total_(total), options_(options), start_ms_(now_ms) {}

std::string ProgressReporter::Render(int64_t done, int64_t records, int64_t now_ms) const {
  const double secs = std::max<int64_t>(1, now_ms - start_ms_) / 1000.0;
  const double rate = static_cast<double>(records) / secs;
  char buf[256];
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const double frac =
        std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    const double units_per_sec = static_cast<double>(done) / secs;
    const double eta = units_per_sec > 0 ? static_cast<double>(total_ - done) / units_per_sec : 0;
    std::snprintf(buf, sizeof(buf), "%s %3d%%  %lld/%lld %s  %.0f records/s  eta %.0fs",
                  bar.c_str(), static_cast<int>(frac * 100), static_cast<long long>(done),
                  static_cast<long long>(total_), options_.unit.c_str(), rate, eta);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld %s  %.0f records/s", static_cast<long long>(done),
                  options_.unit.c_str(), rate);
  }
  return buf;
}

void ProgressReporter::Update(int64_t done, int64_t records, int64_t now_ms) {
  if (now_ms - start_ms_ < options_.quiet_ms) return;
  const int64_t interval = options_.terminal ? 100 : options_.line_interval_ms;
  if (last_draw_ms_ >= 0 && now_ms - last_draw_ms_ < interval) return;
  last_draw_ms_ = now_ms;
  shown_ = true;
  const std::string line = Render(done, records, now_ms);
  if (options_.terminal) {
    std::fprintf(out_, "\r%s\033[K", line.c_str());
  } else {
    std::fprintf(out_, "emulate: %s\n", line.c_str());
  }
  std::fflush(out_);
}

void ProgressReporter::Finish(int64_t done, int64_t records, int64_t now_ms) {
  if (!shown_) return;
  const std::string line = Render(done, records, now_ms);
  if (options_.terminal) {
    std::fprintf(out_, "\r%s\033[K\n", line.c_str());
  } else {
    std::fprintf(out_, "emulate: %s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace pinstream
