#include "stream/put_records_json.h"

#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace pinstream {

namespace {

// One Records entry, or false when it is anything but the plain case.
bool DecodeEntry(simdjson::dom::element element, PutRecordsJson* out) {
  simdjson::dom::object entry;
  if (element.get_object().get(entry)) return false;
  std::string_view key, data, hash_key;
  bool has_key = false, has_data = false, has_hash_key = false;
  for (auto field : entry) {
    // A repeated field is left to the general path, which keeps the last one as nlohmann does.
    if (field.key == "PartitionKey") {
      if (has_key || field.value.get_string().get(key)) return false;
      has_key = true;
    } else if (field.key == "Data") {
      if (has_data || field.value.get_string().get(data)) return false;
      has_data = true;
    } else if (field.key == "ExplicitHashKey") {
      if (has_hash_key || field.value.get_string().get(hash_key)) return false;
      has_hash_key = true;
    }
  }
  if (!has_key || !has_data) return false;
  auto bytes = Base64Decode(data);
  if (!bytes.ok()) return false;
  out->keys.emplace_back(key);
  out->data.push_back(std::move(bytes).value());
  out->hash_keys.emplace_back(has_hash_key ? hash_key : std::string_view());
  out->entries.push_back(
      PutEntry{{}, {}, has_hash_key ? std::optional<std::string_view>("") : std::nullopt});
  return true;
}

}  // namespace

std::optional<PutRecordsJson> DecodePutRecordsJson(std::string_view body) {
  // One parser per thread keeps its buffers from request to request.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) return std::nullopt;
  simdjson::dom::object request;
  if (doc.get_object().get(request)) return std::nullopt;

  PutRecordsJson out;
  std::string_view stream;
  simdjson::dom::array records;
  bool has_stream = false, has_records = false;
  for (auto field : request) {
    if (field.key == "StreamName") {
      if (has_stream || field.value.get_string().get(stream)) return std::nullopt;
      has_stream = true;
    } else if (field.key == "Records") {
      if (has_records || field.value.get_array().get(records)) return std::nullopt;
      has_records = true;
    }
  }
  if (!has_stream || !has_records) return std::nullopt;
  const size_t n = records.size();
  if (n == 0 || n > kMaxPutRecordsEntries) return std::nullopt;
  out.stream = stream;
  out.keys.reserve(n);
  out.data.reserve(n);
  out.hash_keys.reserve(n);
  out.entries.reserve(n);
  for (auto element : records) {
    if (!DecodeEntry(element, &out)) return std::nullopt;
  }
  // The vectors are complete and will not move their strings again: point the views at them.
  for (size_t i = 0; i < n; ++i) {
    out.entries[i].partition_key = out.keys[i];
    out.entries[i].data = out.data[i];
    if (out.entries[i].explicit_hash_key) out.entries[i].explicit_hash_key = out.hash_keys[i];
  }
  return out;
}

std::string EncodePutRecordsResponse(std::span<const PutResult> results) {
  size_t failed = 0;
  for (const auto& r : results) failed += !r.status.ok();
  std::string out;
  out.reserve(64 + results.size() * 96);
  out += "{\"FailedRecordCount\":";
  out += std::to_string(failed);
  out += ",\"Records\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const PutResult& r = results[i];
    if (i > 0) out += ',';
    if (r.status.ok()) {
      // Both are plain digits and letters: nothing to escape.
      out += "{\"SequenceNumber\":\"";
      out += r.sequence_number.ToString();
      out += "\",\"ShardId\":\"";
      out += ShardIdFromIndex(r.sequence_number.shard_index);
      out += "\"}";
    } else {
      out += "{\"ErrorCode\":";
      out += nlohmann::json(r.status.TypeName()).dump();
      out += ",\"ErrorMessage\":";
      out += nlohmann::json(r.status.message())
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out += '}';
    }
  }
  out += "],\"EncryptionType\":\"NONE\"}";
  return out;
}

}  // namespace pinstream
