#include "sql/result_writer.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/base64.h"
#include "common/csv_field.h"
#include "sql/sql_types.h"

namespace pinstream {

Result<SqlFormat> ParseSqlFormat(std::string_view name) {
  if (name == "jsonl") return SqlFormat::kJsonLines;
  if (name == "csv") return SqlFormat::kCsv;
  if (name == "table") return SqlFormat::kTable;
  return Status::InvalidArgument("--format must be jsonl, csv or table, not '" + std::string(name) +
                                 "'");
}

namespace {

enum class Kind { kPlain, kBoolean, kJson };

// What a result column's declared type says about its values (see sql/sql_types.h).
Kind KindOf(sqlite3_stmt* stmt, int i) {
  const char* decl = sqlite3_column_decltype(stmt, i);
  if (decl == nullptr) return Kind::kPlain;
  if (sqlite3_stricmp(decl, kBooleanDecl) == 0) return Kind::kBoolean;
  if (sqlite3_stricmp(decl, kJsonDecl) == 0) return Kind::kJson;
  return Kind::kPlain;
}

std::string_view Text(sqlite3_stmt* stmt, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return std::string_view(p ? p : "", sqlite3_column_bytes(stmt, i));
}

std::string Blob(sqlite3_stmt* stmt, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
  return Base64Encode(std::string_view(p ? p : "", sqlite3_column_bytes(stmt, i)));
}

// A number as JSON writes it (nlohmann: shortest round trip, 18000.0 keeps its ".0").
void AppendDouble(double d, std::string* out) {
  out->append(std::isfinite(d) ? nlohmann::json(d).dump() : "null");
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->append(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// A cell in JSON; `kind` as KindOf.
void AppendJsonCell(sqlite3_stmt* stmt, int i, Kind kind, std::string* out) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      out->append("null");
      return;
    case SQLITE_INTEGER: {
      const int64_t v = sqlite3_column_int64(stmt, i);
      if (kind == Kind::kBoolean && (v == 0 || v == 1)) {
        out->append(v ? "true" : "false");
      } else {
        out->append(std::to_string(v));
      }
      return;
    }
    case SQLITE_FLOAT:
      AppendDouble(sqlite3_column_double(stmt, i), out);
      return;
    case SQLITE_TEXT:
      if (kind == Kind::kJson) {
        out->append(Text(stmt, i));  // the table's own JSON text
      } else {
        AppendJsonString(Text(stmt, i), out);
      }
      return;
    default:
      AppendJsonString(Blob(stmt, i), out);
      return;
  }
}

// A cell as text, for CSV and the table; `null` says it was NULL.
std::string CellText(sqlite3_stmt* stmt, int i, Kind kind, bool* null) {
  *null = false;
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      *null = true;
      return "";
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: {
      std::string s;
      AppendJsonCell(stmt, i, kind, &s);
      return s;
    }
    case SQLITE_TEXT:
      return std::string(Text(stmt, i));
    default:
      return Blob(stmt, i);
  }
}

// Buffered output; the first write error sticks and is reported by Flush.
class Output {
 public:
  explicit Output(std::FILE* out) : out_(out) {}
  ~Output() { (void)Flush(); }
  std::string& buffer() { return buf_; }
  void EndLine(bool crlf = false) {
    if (crlf) buf_.push_back('\r');
    buf_.push_back('\n');
    if (buf_.size() >= (1 << 16)) (void)Flush();
  }
  Status Flush() {
    if (error_.ok() && !buf_.empty() &&
        std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
      error_ = Status::IOError("writing the result failed");
    }
    buf_.clear();
    if (error_.ok() && std::fflush(out_) != 0)
      error_ = Status::IOError("writing the result failed");
    return error_;
  }

 private:
  std::FILE* out_;
  std::string buf_;
  Status error_;
};

class JsonLinesWriter final : public ResultWriter {
 public:
  explicit JsonLinesWriter(std::FILE* out) : out_(out) {}
  void Start(sqlite3_stmt* stmt) override {
    keys_.clear();
    kinds_.clear();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      std::string key;
      AppendJsonString(sqlite3_column_name(stmt, i), &key);
      key.push_back(':');
      keys_.push_back(std::move(key));
      kinds_.push_back(KindOf(stmt, i));
    }
  }
  void Row(sqlite3_stmt* stmt) override {
    std::string& b = out_.buffer();
    b.push_back('{');
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (i > 0) b.push_back(',');
      b.append(keys_[i]);
      AppendJsonCell(stmt, static_cast<int>(i), kinds_[i], &b);
    }
    b.push_back('}');
    out_.EndLine();
  }
  Status Finish() override { return out_.Flush(); }

 private:
  Output out_;
  std::vector<std::string> keys_;
  std::vector<Kind> kinds_;
};

class CsvWriter final : public ResultWriter {
 public:
  explicit CsvWriter(std::FILE* out) : out_(out) {}
  void Start(sqlite3_stmt* stmt) override {
    kinds_.clear();
    std::string& b = out_.buffer();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (i > 0) b.push_back(',');
      AppendCsvField(sqlite3_column_name(stmt, i), true, &b);
      kinds_.push_back(KindOf(stmt, i));
    }
    out_.EndLine(true);
  }
  void Row(sqlite3_stmt* stmt) override {
    std::string& b = out_.buffer();
    for (size_t i = 0; i < kinds_.size(); ++i) {
      if (i > 0) b.push_back(',');
      bool null = false;
      std::string text = CellText(stmt, static_cast<int>(i), kinds_[i], &null);
      if (!null) AppendCsvField(text, sqlite3_column_type(stmt, i) == SQLITE_TEXT, &b);
    }
    out_.EndLine(true);
  }
  Status Finish() override { return out_.Flush(); }

 private:
  Output out_;
  std::vector<Kind> kinds_;
};

// Width in characters of UTF-8 text (code points; wide characters count one).
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class TableWriter final : public ResultWriter {
 public:
  explicit TableWriter(std::FILE* out) : out_(out) {}
  void Start(sqlite3_stmt* stmt) override {
    names_.clear();
    kinds_.clear();
    rows_.clear();
    right_.clear();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      names_.emplace_back(sqlite3_column_name(stmt, i));
      kinds_.push_back(KindOf(stmt, i));
      right_.push_back(true);
    }
  }
  void Row(sqlite3_stmt* stmt) override {
    std::vector<std::string> row;
    for (size_t i = 0; i < names_.size(); ++i) {
      bool null = false;
      std::string text = CellText(stmt, static_cast<int>(i), kinds_[i], &null);
      const int type = sqlite3_column_type(stmt, static_cast<int>(i));
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT && !null) right_[i] = false;
      row.push_back(null ? "NULL" : std::move(text));
    }
    rows_.push_back(std::move(row));
  }
  Status Finish() override {
    std::vector<size_t> width;
    for (const auto& n : names_) width.push_back(Width(n));
    for (const auto& row : rows_)
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
    auto line = [&](const std::vector<std::string>& cells, bool header) {
      std::string& b = out_.buffer();
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) b.append("  ");
        const size_t pad = width[i] - Width(cells[i]);
        const bool right = right_[i] && !header;
        if (right) b.append(pad, ' ');
        b.append(cells[i]);
        if (!right && i + 1 < cells.size()) b.append(pad, ' ');
      }
      out_.EndLine();
    };
    line(names_, true);
    std::vector<std::string> rule;
    for (size_t w : width) rule.emplace_back(w, '-');
    line(rule, true);
    for (const auto& row : rows_) line(row, false);
    std::string& b = out_.buffer();
    b.append("(" + std::to_string(rows_.size()) + (rows_.size() == 1 ? " row)" : " rows)"));
    out_.EndLine();
    rows_.clear();
    return out_.Flush();
  }

 private:
  Output out_;
  std::vector<std::string> names_;
  std::vector<Kind> kinds_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace

std::unique_ptr<ResultWriter> ResultWriter::Make(SqlFormat format, std::FILE* out) {
  switch (format) {
    case SqlFormat::kCsv:
      return std::make_unique<CsvWriter>(out);
    case SqlFormat::kTable:
      return std::make_unique<TableWriter>(out);
    case SqlFormat::kJsonLines:
      break;
  }
  return std::make_unique<JsonLinesWriter>(out);
}

}  // namespace pinstream
