#include "monitor/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pinstream {

namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_seconds = 0;  // since the epoch
  double resident_bytes = 0;
  double virtual_bytes = 0;
};

// /proc/self/stat: fields after the parenthesized command name, which may hold spaces.
ProcStat ReadProcStat() {
  ProcStat s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return s;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  std::vector<std::string> v;
  while (fields >> f) v.push_back(f);
  // Field numbers from proc(5), counted from 3 (state) here at index 0.
  if (v.size() < 22) return s;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(v[11]) + std::stod(v[12])) / hz;  // utime, stime
  s.virtual_bytes = std::stod(v[20]);
  s.resident_bytes = std::stod(v[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream uptime_in("/proc/uptime");
  double uptime = 0;
  uptime_in >> uptime;
  const double started_after_boot = std::stod(v[19]) / hz;
  const double now = static_cast<double>(time(nullptr));
  s.start_seconds = now - uptime + started_after_boot;
  return s;
}

}  // namespace

double ProcessCpuSeconds() { return ReadProcStat().cpu_seconds; }

void AppendProcessMetrics(PrometheusText* out) {
  const ProcStat s = ReadProcStat();
  out->Family("process_cpu_seconds_total", "counter",
              "Total user and system CPU time spent in seconds.");
  out->Sample("process_cpu_seconds_total", {}, s.cpu_seconds);
  out->Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out->Sample("process_resident_memory_bytes", {}, s.resident_bytes);
  out->Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  out->Sample("process_virtual_memory_bytes", {}, s.virtual_bytes);
  out->Family("process_start_time_seconds", "gauge",
              "Start time of the process since unix epoch in seconds.");
  out->Sample("process_start_time_seconds", {}, s.start_seconds);
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  out->Family("process_open_fds", "gauge", "Number of open file descriptors.");
  out->Sample("process_open_fds", {}, fds);
}

}  // namespace pinstream
