#include "runtime/processor_monitor.h"

namespace pinstream {

ProcessorMonitor::ProcessorMonitor()
    : batch_records_(Histogram::ExponentialBounds(1, 4, 10)),       // 1 .. 262144 records
      batch_seconds_(Histogram::ExponentialBounds(1e-3, 2.5, 12)),  // 1 ms .. 60 s
      commit_seconds_(Histogram::ExponentialBounds(1e-4, 2.5, 12)) {}

void ProcessorMonitor::Publish(ProcessorStatus status) {
  std::lock_guard lock(mu_);
  status_ = std::move(status);
}

void ProcessorMonitor::ObserveBatch(uint64_t records, double batch_seconds, double commit_seconds) {
  batch_records_.Observe(static_cast<double>(records));
  batch_seconds_.Observe(batch_seconds);
  commit_seconds_.Observe(commit_seconds);
}

ProcessorStatus ProcessorMonitor::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace pinstream
