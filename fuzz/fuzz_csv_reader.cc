// The CSV tables `pinstream emulate --from DIR` replays: ParseCsv (libcsv, line numbers, the
// byte order mark) and TableSource's typing of each row (integers, floats, pandas' "12.0",
// the ind column), on the text of a pinterest_data.csv.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "emulator/csv_reader.h"
#include "emulator/table_source_internal.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinstream;
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto records = ParseCsv(text);
  if (records.ok()) {
    int64_t line = 0;
    for (const CsvRecord& r : *records) {
      FUZZ_CHECK(r.line >= 1 && r.line >= line);  // records come in the order of their lines
      line = r.line;
    }
  }

  std::unordered_map<int64_t, JsonRow> table;
  Status s = table_source_internal::LoadCsvText(text, "pinterest_data.csv", "index", "ind", &table);
  FUZZ_CHECK(s.ok() || !s.message().empty());
  return 0;
}
