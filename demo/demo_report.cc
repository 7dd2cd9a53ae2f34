#include "demo/demo_report.h"

#include <cmath>

#include "sinks/processor_store.h"

namespace pinstream {

nlohmann::ordered_json DemoReportJson(const DemoReport& report) {
  using ojson = nlohmann::ordered_json;
  ojson rows = ojson::object();
  ojson answers = ojson::object();
  int64_t dead_letters = 0;
  for (const auto& t : report.tables) {
    rows[t.name] = t.rows;
    if (t.name == kDeadLettersTable) dead_letters = t.rows;
    if (IsAnswerTable(t.name)) answers[t.name] = t.sample;
  }
  const DemoPostsSummary& e = report.emulation;
  ojson json = {{"posts", e.posts},
                {"distinct_posts", e.distinct_posts},
                {"records_sent", e.records},
                {"records_failed", e.failed},
                {"records_in", report.processor.records_in},
                {"tables", std::move(rows)},
                {"dead_letters", dead_letters},
                {"answers", std::move(answers)},
                {"seconds", static_cast<double>(std::llround(report.seconds * 1000)) / 1000},
                {"data", report.data},
                {"processor_data", report.processor_data},
                {"broker_data", report.broker_data},
                {"topology", report.topology},
                {"broker", report.broker}};
  if (report.batch) json["batch"] = report.batch->ToJson();
  return json;
}

Status RefusedRecords(const DemoReport& report) {
  if (report.emulation.failed == 0) return Status::OK();
  return report.emulation.first_failure.WithContext(std::to_string(report.emulation.failed) +
                                                    " records were refused; the first");
}

}  // namespace pinstream
