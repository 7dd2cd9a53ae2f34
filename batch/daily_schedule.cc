#include "batch/daily_schedule.h"

#include <spdlog/spdlog.h>

namespace pinstream {

namespace {
constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
}  // namespace

Result<std::vector<std::string>> DueDates(const std::string& start, int64_t now_ms) {
  const int64_t today_ms = now_ms - now_ms % kDayMs;
  ASSIGN_OR_RETURN(std::vector<std::string> first, DateRange(start, start));
  (void)first;  // checks the date
  if (start >= DateOf(today_ms)) return std::vector<std::string>{};
  return DateRange(start, DateOf(today_ms - kDayMs));
}

Status RunDaily(BatchJob* job, const std::string& start, Clock* clock, std::stop_token stop,
                const std::function<void(const BatchRun&)>& on_run) {
  while (!stop.stop_requested()) {
    ASSIGN_OR_RETURN(std::vector<std::string> due, DueDates(start, clock->NowMillis()));
    for (const std::string& date : due) {
      auto run = job->Run(date, stop);
      if (stop.stop_requested()) return Status::OK();
      if (!run.ok()) return run.status();
      if (run->status != BatchRun::kSkipped) on_run(*run);
      if (run->status == BatchRun::kFailed) break;
    }
    // The next round at the next midnight UTC, when another day is due.
    const int64_t now = clock->NowMillis();
    const int64_t next = now - now % kDayMs + kDayMs;
    spdlog::info("batch schedule @daily: next round at {}", DateOf(next));
    SleepUntil(*clock, next, stop);
  }
  return Status::OK();
}

}  // namespace pinstream
