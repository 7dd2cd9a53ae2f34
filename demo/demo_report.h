#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "demo/demo_batch.h"
#include "demo/demo_emulation.h"
#include "demo/table_report.h"
#include "runtime/processor.h"

namespace pinstream {

// What a finished demo run found: the facts of the run and its tables. A plain value.
struct DemoReport {
  DemoPostsSummary emulation;
  Processor::Stats processor;
  double seconds = 0;  // from starting the workers until the processor caught up
  std::string data, broker_data, processor_data;  // directories
  std::string broker;                             // the broker's endpoint
  std::string topology;                           // the topology file
  std::optional<DemoBatchResult> batch;           // with the batch half
  std::vector<TableReport> tables;
};

// The report as `pinstream demo` prints it on stdout.
nlohmann::ordered_json DemoReportJson(const DemoReport& report);

// OK unless the broker refused records: then why the first was, with the count. The report is
// still worth showing first.
Status RefusedRecords(const DemoReport& report);

}  // namespace pinstream
