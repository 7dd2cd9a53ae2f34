#include "emulator/table_source.h"

#include <charconv>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string_view>

#include "common/read_file.h"
#include "emulator/csv_reader.h"
#include "emulator/table_source_internal.h"

namespace pinstream {

namespace {

namespace fs = std::filesystem;

bool IsIntColumn(std::string_view name) {
  return name == "ind" || name == "index" || name == "downloaded" || name == "age";
}

bool IsFloatColumn(std::string_view name) { return name == "latitude" || name == "longitude"; }

// `d` as an int64 when it is a whole number in range. The range check comes first: converting a
// double outside int64's range (a CSV's "1e300") is undefined behaviour, not a wrong value.
std::optional<int64_t> WholeInt64(double d) {
  // 2^63 is exact as a double; every double below it and at or above -2^63 converts.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(d >= -kTwo63 && d < kTwo63)) return std::nullopt;  // NaN fails both
  const auto i = static_cast<int64_t>(d);
  if (static_cast<double>(i) != d) return std::nullopt;
  return i;
}

// A CSV value as the database would have sent it in a JSON row.
JsonRow TypedValue(std::string_view column, const std::string& text) {
  if (IsIntColumn(column) || IsFloatColumn(column)) {
    if (text.empty()) return nullptr;
    const char* end = text.data() + text.size();
    int64_t i = 0;
    auto [p, ec] = std::from_chars(text.data(), end, i);
    if (ec == std::errc() && p == end) return i;
    double d = 0;
    auto [q, ec2] = std::from_chars(text.data(), end, d);
    if (ec2 == std::errc() && q == end) {
      // pandas writes an integer column that had a NULL as floats: "12.0".
      if (IsIntColumn(column)) {
        if (std::optional<int64_t> whole = WholeInt64(d)) return *whole;
      }
      return d;
    }
  }
  return text;
}

// A row's ind: an integer, or a string or float holding one.
std::optional<int64_t> IndOf(const JsonRow& row, std::string_view key) {
  auto it = row.find(key);
  if (it == row.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    return WholeInt64(it->get<double>());
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
  }
  return std::nullopt;
}

// Files hold rows; `add` keys each one by ind and reports the line it came from on error.
class TableLoader {
 public:
  TableLoader(std::string key, std::string fallback_key)
      : key_(std::move(key)), fallback_key_(std::move(fallback_key)) {}

  Status Add(JsonRow&& row, const std::string& file, int64_t line,
             std::unordered_map<int64_t, JsonRow>* t) {
    if (!row.is_object()) {
      return Status::Corruption(file + ":" + std::to_string(line) + ": not a JSON object");
    }
    std::optional<int64_t> ind = IndOf(row, key_);
    if (!ind && !fallback_key_.empty()) ind = IndOf(row, fallback_key_);
    if (!ind) {
      return Status::Corruption(file + ":" + std::to_string(line) + ": no integer '" + key_ +
                                "' column");
    }
    t->emplace(*ind, std::move(row));  // the first row of an ind wins, as a LIMIT 1 query
    return Status::OK();
  }

 private:
  std::string key_, fallback_key_;
};

Status LoadJson(const std::string& text, const std::string& file, TableLoader& loader,
                std::unordered_map<int64_t, JsonRow>* table) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    JsonRow all = JsonRow::parse(text, nullptr, /*allow_exceptions=*/false);
    if (all.is_discarded()) return Status::Corruption(file + ": malformed JSON");
    int64_t i = 0;
    for (auto& row : all) RETURN_IF_ERROR(loader.Add(std::move(row), file, ++i, table));
    return Status::OK();
  }
  std::istringstream in(text);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonRow row = JsonRow::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded()) {
      return Status::Corruption(file + ":" + std::to_string(line_no) + ": malformed JSON");
    }
    RETURN_IF_ERROR(loader.Add(std::move(row), file, line_no, table));
  }
  return Status::OK();
}

Status LoadCsv(const std::string& text, const std::string& file, TableLoader& loader,
               std::unordered_map<int64_t, JsonRow>* table) {
  auto records = ParseCsv(text);
  if (!records.ok()) return records.status().WithContext(file);
  if (records->empty()) return Status::OK();
  const std::vector<std::string>& header = records->front().fields;
  for (size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& rec = (*records)[r];
    if (rec.fields.size() != header.size()) {
      return Status::Corruption(file + ":" + std::to_string(rec.line) + ": " +
                                std::to_string(rec.fields.size()) + " fields, the header has " +
                                std::to_string(header.size()));
    }
    JsonRow row = JsonRow::object();
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i].empty() || header[i] == "Unnamed: 0") continue;  // pandas' index column
      row[header[i]] = TypedValue(header[i], rec.fields[i]);
    }
    RETURN_IF_ERROR(loader.Add(std::move(row), file, rec.line, table));
  }
  return Status::OK();
}

Status LoadTable(const fs::path& dir, const std::string& name, TableLoader loader,
                 std::unordered_map<int64_t, JsonRow>* table) {
  for (const char* ext : {".jsonl", ".json", ".csv"}) {
    const fs::path path = dir / (name + ext);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    ASSIGN_OR_RETURN(std::string text, ReadFile(path.string()));
    if (std::string_view(ext) == ".csv") return LoadCsv(text, path.string(), loader, table);
    return LoadJson(text, path.string(), loader, table);
  }
  return Status::InvalidArgument("no table '" + name + "' in '" + dir.string() + "' (looked for " +
                                 name + ".jsonl, .json and .csv)");
}

}  // namespace

namespace table_source_internal {

Status LoadCsvText(const std::string& text, const std::string& file, const std::string& key,
                   const std::string& fallback_key, std::unordered_map<int64_t, JsonRow>* table) {
  TableLoader loader(key, fallback_key);
  return LoadCsv(text, file, loader, table);
}

}  // namespace table_source_internal

Result<std::unique_ptr<TableSource>> TableSource::Open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("'" + dir + "' is not a directory");
  }
  std::unique_ptr<TableSource> source(new TableSource());
  RETURN_IF_ERROR(LoadTable(dir, kPinTable, TableLoader("index", "ind"), &source->pin_));
  RETURN_IF_ERROR(LoadTable(dir, kGeoTable, TableLoader("ind", ""), &source->geo_));
  RETURN_IF_ERROR(LoadTable(dir, kUserTable, TableLoader("ind", ""), &source->user_));
  return source;
}

PostRows TableSource::Rows(int64_t ind) const {
  PostRows rows;
  if (auto it = pin_.find(ind); it != pin_.end()) rows.pin = it->second;
  if (auto it = geo_.find(ind); it != geo_.end()) rows.geo = it->second;
  if (auto it = user_.find(ind); it != user_.end()) rows.user = it->second;
  return rows;
}

}  // namespace pinstream
