#include "emulator/csv_reader.h"

#include <csv.h>

#include <algorithm>
#include <memory>
#include <string>

namespace pinstream {

namespace {

// libcsv's callbacks append to this.
struct Collector {
  std::vector<CsvRecord> records;
  CsvRecord current;
  int64_t line = 1;  // the line being parsed: records end on it
};

void OnField(void* data, size_t len, void* collector) {
  auto* c = static_cast<Collector*>(collector);
  c->current.fields.emplace_back(static_cast<const char*>(data), len);
}

void OnRecordEnd(int /*terminator*/, void* collector) {
  auto* c = static_cast<Collector*>(collector);
  // The record started as many lines back as its quoted fields hold line breaks.
  int64_t breaks = 0;
  for (const auto& f : c->current.fields) breaks += std::count(f.begin(), f.end(), '\n');
  c->current.line = c->line - breaks;
  c->records.push_back(std::move(c->current));
  c->current = CsvRecord{};
}

// libcsv trims spaces and tabs around unquoted fields by default; they are data here.
int NoSpace(unsigned char /*c*/) { return 0; }

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return Status::Internal("cannot initialize the CSV parser");
  }
  std::unique_ptr<csv_parser, void (*)(csv_parser*)> guard(&parser, csv_free);
  csv_set_space_func(&parser, NoSpace);

  Collector c;
  // Fed a line at a time, so that the callbacks know the line they are on.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    const size_t n = csv_parse(&parser, text.data() + pos, end - pos, OnField, OnRecordEnd, &c);
    if (n != end - pos) {
      return Status::Corruption("line " + std::to_string(c.line) + ": " +
                                csv_strerror(csv_error(&parser)));
    }
    pos = end;
    ++c.line;
  }
  --c.line;  // a record without a final line break ends on the last line
  if (csv_fini(&parser, OnField, OnRecordEnd, &c) != 0) {
    return Status::Corruption("line " + std::to_string(c.line) + ": " +
                              csv_strerror(csv_error(&parser)));
  }
  return std::move(c.records);
}

}  // namespace pinstream
