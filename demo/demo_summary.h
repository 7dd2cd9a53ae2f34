#pragma once

#include <string>

#include "demo/demo_report.h"

namespace pinstream {

// The report for a person: the counts, the tables with their rows, one post through every
// table, the business questions' first rows, the batch half, and the commands to inspect the
// data left behind, spelled with `self` (how to invoke this binary). Multi-line text.
std::string DemoSummary(const DemoReport& report, const std::string& self);

}  // namespace pinstream
