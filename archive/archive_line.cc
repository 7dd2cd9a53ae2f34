#include "archive/archive_line.h"

#include <simdjson.h>

#include <cstring>

#include "common/base64.h"

namespace pinstream {

ArchiveLineEncoder::ArchiveLineEncoder() : parser_(std::make_unique<simdjson::dom::parser>()) {}
ArchiveLineEncoder::~ArchiveLineEncoder() = default;

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // bytes of `text` not yet copied, that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

DataFormat ArchiveLineEncoder::AppendData(std::string_view data, std::string* out) {
  // dom::parser::parse copies into its own padded buffer when the input has no padding.
  auto doc = parser_->parse(data.data(), data.size(), /*realloc_if_needed=*/true);
  if (doc.error() == simdjson::SUCCESS) {
    // Two memchr scans: find_first_of("\r\n") calls memchr once per byte of the data.
    const bool one_line = std::memchr(data.data(), '\n', data.size()) == nullptr &&
                          std::memchr(data.data(), '\r', data.size()) == nullptr;
    if (one_line) {
      out->append(data);
    } else {
      const size_t at = out->size();
      out->resize(at + data.size());
      size_t len = 0;
      if (simdjson::minify(data.data(), data.size(), out->data() + at, len) != simdjson::SUCCESS) {
        // Valid JSON always minifies; keep the line whole either way.
        out->resize(at);
        AppendJsonString(data, out);
        out->push_back('\n');
        return DataFormat::kString;
      }
      out->resize(at + len);
    }
    out->push_back('\n');
    return DataFormat::kJson;
  }
  if (simdjson::validate_utf8(data.data(), data.size())) {
    AppendJsonString(data, out);
    out->push_back('\n');
    return DataFormat::kString;
  }
  out->push_back('"');
  out->append(Base64Encode(data));
  out->append("\"\n");
  return DataFormat::kBase64;
}

void ArchiveLineEncoder::AppendHeaders(const RecordView& record, DataFormat format,
                                       std::string* out) {
  out->append("{\"partition_key\":");
  AppendJsonString(record.partition_key, out);
  out->append(",\"sequence_number\":\"");
  record.sequence_number.AppendTo(out);
  out->append("\",\"arrival_ms\":");
  out->append(std::to_string(record.arrival_ms));
  if (format == DataFormat::kString) out->append(",\"data_format\":\"string\"");
  if (format == DataFormat::kBase64) out->append(",\"data_format\":\"base64\"");
  out->append("}\n");
}

}  // namespace pinstream
