#include "stream/put_records_json.h"

#include <simdjson.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/decimal_text.h"
#include "common/json_dump.h"

namespace pinstream {

static_assert(kPutRecordsJsonPadding >= simdjson::SIMDJSON_PADDING);

namespace {

// The most bytes the service model lets a record's Data hold (the store's own limit is lower and
// fails just that record, on both paths alike).
constexpr size_t kMaxDataBlobBytes = 10 * 1024 * 1024;

// Appends to a batch's byte buffer, which DecodePutRecordsJson sized for the whole body first, so
// that the views handed out never move.
class ByteWriter {
 public:
  explicit ByteWriter(char* begin) : end_(begin) {}

  std::string_view Copy(std::string_view s) {
    std::memcpy(end_, s.data(), s.size());
    std::string_view view(end_, s.size());
    end_ += s.size();
    return view;
  }

  std::optional<std::string_view> DecodeBase64(std::string_view text) {
    auto n = Base64DecodeTo(text, end_);
    if (!n.ok()) return std::nullopt;
    std::string_view view(end_, *n);
    end_ += *n;
    return view;
  }

 private:
  char* end_;
};

// AWS's constraints on the members this path reads (the service model's, which
// ValidateKinesisRequest applies on the general path), so that a request breaking one is left to
// the general path, which words the ValidationException. Cheap tests of bytes, no regex.

// StreamName: 1 to 128 of [a-zA-Z0-9_.-].
bool ValidStreamName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// PartitionKey: 1 to 256 characters, counted as code points of the (valid) UTF-8.
bool ValidPartitionKey(std::string_view key) {
  if (key.empty()) return false;
  if (key.size() <= kMaxPartitionKeyLength) return true;
  size_t chars = 0;
  for (unsigned char c : key) chars += (c & 0xC0) != 0x80;
  return chars <= kMaxPartitionKeyLength;
}

// ExplicitHashKey: the model's pattern 0|([1-9]\d{0,38}), and at most 2^128-1, past which AWS
// fails the whole call (the general path says so).
bool ValidHashKey(std::string_view key) {
  constexpr std::string_view kMax = "340282366920938463463374607431768211455";
  return IsCanonicalDecimal(key, kMax.size()) && CompareDecimals(key, kMax) <= 0;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// No bits set past the data in a padded last quad: AWS refuses "ZB==" although it decodes.
bool CanonicalBase64Tail(std::string_view text) {
  const size_t n = text.size();
  if (n < 4 || text[n - 1] != '=') return true;
  if (text[n - 2] == '=') return (Base64Value(text[n - 3]) & 0xF) == 0;
  return (Base64Value(text[n - 2]) & 0x3) == 0;
}

// One Records entry, or false when it is anything but the plain case.
bool DecodeEntry(simdjson::dom::element element, ByteWriter* bytes, PutRecordsJson* out) {
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
  if (!has_key || !has_data || !ValidPartitionKey(key)) return false;
  if (has_hash_key && !ValidHashKey(hash_key)) return false;
  if (!CanonicalBase64Tail(data)) return false;
  auto decoded = bytes->DecodeBase64(data);
  if (!decoded || decoded->size() > kMaxDataBlobBytes) return false;
  PutEntry& e = out->entries.emplace_back();
  e.data = *decoded;
  e.partition_key = bytes->Copy(key);
  if (has_hash_key) e.explicit_hash_key = bytes->Copy(hash_key);
  return true;
}

}  // namespace

bool DecodePutRecordsJson(std::string_view body, size_t readable, PutRecordsJson* out) {
  // One parser per thread keeps its buffers from request to request.
  thread_local simdjson::dom::parser parser;
  const bool padded = readable >= body.size() + kPutRecordsJsonPadding;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size(), /*realloc_if_needed=*/!padded).get(doc)) return false;
  simdjson::dom::object request;
  if (doc.get_object().get(request)) return false;

  std::string_view stream;
  simdjson::dom::array records;
  bool has_stream = false, has_records = false;
  for (auto field : request) {
    if (field.key == "StreamName") {
      if (has_stream || field.value.get_string().get(stream)) return false;
      has_stream = true;
    } else if (field.key == "Records") {
      if (has_records || field.value.get_array().get(records)) return false;
      has_records = true;
    } else if (field.key == "StreamARN") {
      return false;  // the general path checks it against AWS's pattern and StreamName
    }
  }
  if (!has_stream || !has_records || !ValidStreamName(stream)) return false;
  const size_t n = records.size();
  if (n == 0 || n > kMaxPutRecordsEntries) return false;
  out->stream.assign(stream);
  out->entries.clear();
  out->entries.reserve(n);
  // Every string's unescaped text is no longer than its JSON, and base64 decodes to three
  // quarters of its text: the body's size bounds the bytes of the whole batch.
  if (out->bytes_capacity < body.size()) {
    out->bytes = std::make_unique_for_overwrite<char[]>(body.size());
    out->bytes_capacity = body.size();
  }
  ByteWriter bytes(out->bytes.get());
  for (auto element : records) {
    if (!DecodeEntry(element, &bytes, out)) return false;
  }
  return true;
}

std::optional<PutRecordsJson> DecodePutRecordsJson(std::string_view body) {
  PutRecordsJson out;
  if (!DecodePutRecordsJson(body, body.size(), &out)) return std::nullopt;
  return out;
}

std::string EncodePutRecordsResponse(std::span<const PutResult> results) {
  size_t failed = 0;
  for (const auto& r : results) failed += !r.status.ok();
  std::string out;
  // A success takes 93 bytes: the 38-digit sequence number, the shard id and the JSON around them.
  out.reserve(64 + results.size() * 100);
  out += "{\"FailedRecordCount\":";
  out += std::to_string(failed);
  out += ",\"Records\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const PutResult& r = results[i];
    if (i > 0) out += ',';
    if (r.status.ok()) {
      // Both are plain digits and letters: nothing to escape.
      out += "{\"SequenceNumber\":\"";
      r.sequence_number.AppendTo(&out);
      out += "\",\"ShardId\":\"";
      AppendShardId(r.sequence_number.shard_index, &out);
      out += "\"}";
    } else {
      out += "{\"ErrorCode\":";
      out += nlohmann::json(r.status.TypeName()).dump();
      out += ",\"ErrorMessage\":";
      out += DumpJson(nlohmann::json(r.status.message()));
      out += '}';
    }
  }
  out += "],\"EncryptionType\":\"NONE\"}";
  return out;
}

}  // namespace pinstream
