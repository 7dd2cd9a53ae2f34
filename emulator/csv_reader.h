#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace pinstream {

// One CSV record: its fields, and the line of the input it starts on (1-based).
struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;
};

// Parses RFC 4180 CSV (as pandas' to_csv and MySQL dumps write it): comma-separated, fields
// optionally in double quotes, quotes doubled inside them, commas and line breaks allowed in
// quoted fields, CRLF or LF line ends, blank lines ignored, a leading UTF-8 byte order mark
// skipped. Spaces around fields are data and kept. A malformed quote is Corruption naming the
// line. Backed by Debian's libcsv.
Result<std::vector<CsvRecord>> ParseCsv(std::string_view text);

}  // namespace pinstream
