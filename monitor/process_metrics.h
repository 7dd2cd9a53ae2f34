#pragma once

#include "common/prometheus_text.h"

namespace pinstream {

// The standard process metrics every Prometheus client library exports (process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, process_start_time_seconds), from /proc.
void AppendProcessMetrics(PrometheusText* out);

// CPU seconds (user + system) this process has used.
double ProcessCpuSeconds();

}  // namespace pinstream
