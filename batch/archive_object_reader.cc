#include "batch/archive_object_reader.h"

#include <simdjson.h>

#include <string_view>

#include "common/base64.h"

namespace pinstream {

namespace {

// The lines of `text` without their '\n' (a last line may lack it); no line for a trailing '\n'.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return lines;
}

// A record's data from its line, written as a JSON string in `format` ("string": the text
// itself; "base64": the bytes' base64).
Result<std::string> DecodeData(std::string_view line, std::string_view format) {
  simdjson::dom::parser parser;
  std::string_view text;
  if (parser.parse(simdjson::padded_string(line)).get_string().get(text) != simdjson::SUCCESS) {
    return Status::Corruption("a data line in format '" + std::string(format) +
                              "' is not a JSON string");
  }
  if (format == "string") return std::string(text);
  if (format == "base64") return Base64Decode(text);
  return Status::Corruption("unknown data_format '" + std::string(format) + "'");
}

// Each record's partition key, sequence number and arrival time from its line of `headers`.
Status ApplyHeaders(const std::string& key, std::string_view headers, LoadedObject* object) {
  const std::vector<std::string_view> lines = Lines(headers);
  if (lines.size() != object->records.size()) {
    return Status::Corruption("archive object " + key + " has " +
                              std::to_string(object->records.size()) +
                              " records but its headers companion " + std::to_string(lines.size()));
  }
  // Each line is copied into a padded buffer for parsing.
  object->keys.reserve(headers.size());
  object->decoded.reserve(object->data.size());
  simdjson::ondemand::parser parser;
  simdjson::padded_string line;
  for (size_t i = 0; i < lines.size(); ++i) {
    RecordView& r = object->records[i];
    auto bad = [&](std::string_view why) {
      return Status::Corruption("archive object " + key + " headers line " + std::to_string(i + 1) +
                                ": " + std::string(why));
    };
    line = simdjson::padded_string(lines[i]);
    simdjson::ondemand::document doc;
    if (parser.iterate(line).get(doc) != simdjson::SUCCESS) return bad("not JSON");
    std::string_view partition_key, sequence_number;
    int64_t arrival_ms = 0;
    if (doc["partition_key"].get_string().get(partition_key) != simdjson::SUCCESS ||
        doc["sequence_number"].get_string().get(sequence_number) != simdjson::SUCCESS ||
        doc["arrival_ms"].get_int64().get(arrival_ms) != simdjson::SUCCESS) {
      return bad("wants {\"partition_key\",\"sequence_number\",\"arrival_ms\"}");
    }
    auto seq = SequenceNumber::Parse(sequence_number);
    if (!seq.ok()) return bad(seq.status().message());
    const size_t at = object->keys.size();
    object->keys.append(partition_key);  // the parser's buffer is reused by the next line
    r.partition_key = std::string_view(object->keys).substr(at);
    std::string_view format;
    if (doc["data_format"].get_string().get(format) == simdjson::SUCCESS) {
      auto data = DecodeData(r.data, format);
      if (!data.ok()) return bad(data.status().message());
      const size_t at = object->decoded.size();
      object->decoded.append(*data);
      r.data = std::string_view(object->decoded).substr(at);
    }
    r.sequence_number = *seq;
    r.sequence_number.arrival_ms = arrival_ms;
    r.arrival_ms = arrival_ms;
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const LoadedObject>> ReadArchiveObject(ObjectStore* store,
                                                              const ArchiveObject& object) {
  auto loaded = std::make_shared<LoadedObject>();
  const std::string key = object.Key();
  ASSIGN_OR_RETURN(loaded->data, store->Get(key));
  ArchiveObject companion = object;
  companion.headers = true;
  auto headers = store->Get(companion.Key());
  if (!headers.ok() && headers.status().code() != Status::Code::kResourceNotFound) {
    return headers.status();
  }
  loaded->has_headers = headers.ok();
  const std::vector<std::string_view> values = Lines(loaded->data);
  loaded->records.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    RecordView& r = loaded->records[i];
    r.data = values[i];
    r.sequence_number = SequenceNumber{object.partition, object.start_offset + i, 0};
  }
  if (headers.ok() && !headers->empty()) {
    RETURN_IF_ERROR(ApplyHeaders(key, *headers, loaded.get()));
  }
  return std::shared_ptr<const LoadedObject>(std::move(loaded));
}

}  // namespace pinstream
