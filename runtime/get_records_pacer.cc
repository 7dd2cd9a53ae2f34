#include "runtime/get_records_pacer.h"

#include <algorithm>

namespace pinstream {

void GetRecordsPacer::OnRecords(int64_t started_ms, size_t bytes) {
  backoff_.Reset();
  // The byte budget refills at bytes_per_second: a call spends what it returned.
  const int64_t spent_ms = static_cast<int64_t>(bytes) * 1000 / limits_.bytes_per_second;
  next_ms_ = started_ms + std::max(limits_.min_interval_ms, spent_ms);
}

void GetRecordsPacer::OnThrottled() {
  next_ms_ = clock_->NowMillis() + std::max(limits_.min_interval_ms, backoff_.NextDelayMs());
}

}  // namespace pinstream
