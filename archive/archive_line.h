#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "stream/stream_types.h"

namespace simdjson::dom {
class parser;
}

namespace pinstream {

// How a record's data went into its line of a data object.
enum class DataFormat {
  kJson,    // the data is JSON: the line is the data itself (minified if it spanned lines)
  kString,  // UTF-8 text that is not JSON: the line is a JSON string holding it
  kBase64,  // bytes that are not UTF-8: the line is a JSON string of their base64
};

// Turns records into the lines of a data object and of its ".headers.json" companion.
//
// A data line is one JSON value. Data that is one line of valid JSON is written as it is, byte
// for byte (what a producer sent through the Kafka REST proxy's JSON embedded format, and what
// the connector's JsonFormat writes). JSON that spans lines is minified onto one (the same value;
// a line-per-value reader could not read it otherwise). Anything else is written as a JSON
// string, so that every line still parses: UTF-8 text as itself, other bytes as base64; the
// headers line then says which ("data_format":"string"|"base64"; absent for JSON).
//
// Owns a simdjson parser (reused across records). Not thread-safe.
class ArchiveLineEncoder {
 public:
  ArchiveLineEncoder();
  ~ArchiveLineEncoder();
  ArchiveLineEncoder(const ArchiveLineEncoder&) = delete;
  ArchiveLineEncoder& operator=(const ArchiveLineEncoder&) = delete;

  // Appends the data's line, '\n' included, to `out`.
  DataFormat AppendData(std::string_view data, std::string* out);

  // Appends {"partition_key":..,"sequence_number":"..","arrival_ms":..} and '\n' to `out`.
  static void AppendHeaders(const RecordView& record, DataFormat format, std::string* out);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

// Appends `text` as a JSON string (quotes and escapes; the text must be UTF-8).
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace pinstream
