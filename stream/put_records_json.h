#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stream/stream_types.h"

namespace pinstream {

// Kinesis's JSON PutRecords without a JSON DOM, for the HTTP gateway's hot path: a batch of 500
// records costs microseconds per record through nlohmann's DOM (parse, then the response's 500
// objects), a fraction of that here.

// Readable bytes after a body that let DecodePutRecordsJson parse it without a copy (simdjson
// reads whole SIMD blocks, past the end).
inline constexpr size_t kPutRecordsJsonPadding = 64;

// A Kinesis JSON PutRecords request decoded without building a DOM. Owns the bytes its entries
// view; movable (the views follow the bytes) but not copyable. A caller decoding request after
// request into one PutRecordsJson reuses its buffers.
struct PutRecordsJson {
  PutRecordsJson() = default;
  PutRecordsJson(const PutRecordsJson&) = delete;
  PutRecordsJson& operator=(const PutRecordsJson&) = delete;
  PutRecordsJson(PutRecordsJson&&) = default;
  PutRecordsJson& operator=(PutRecordsJson&&) = default;

  std::string stream;
  std::vector<PutEntry> entries;  // views into `bytes`

  // Every entry's partition key, data (decoded from base64) and explicit hash key, back to back:
  // one allocation for the whole batch instead of one per record. A heap array rather than a
  // string, whose short-string buffer would move out from under the views.
  std::unique_ptr<char[]> bytes;
  size_t bytes_capacity = 0;
};

// Decodes `body` into `*out` when it is a plain, valid PutRecords request: a JSON object with a
// string StreamName and 1 to 500 Records, each an object with a string PartitionKey, a string Data
// in base64 and at most a string ExplicitHashKey, all within AWS's constraints (the ones
// ValidateKinesisRequest checks, and an ExplicitHashKey below 2^128). Anything else gives false
// (and `*out` unusable), and the caller takes the general path (nlohmann's DOM and KinesisApi),
// which says what is wrong in AWS's words: this is only a faster way to the same request, never a
// second set of rules (put_records_json_test feeds bodies through both and compares the replies).
//
// `readable` is how many bytes may be read at body.data() (at least body.size()): with
// kPutRecordsJsonPadding of them beyond the body, the body is parsed where it lies, else it is
// copied first. Thread-safe; each calling thread keeps a simdjson parser whose buffers grow to the
// largest body it has seen (the gateway's body limit bounds them).
bool DecodePutRecordsJson(std::string_view body, size_t readable, PutRecordsJson* out);

// The same for one request, into a new PutRecordsJson.
std::optional<PutRecordsJson> DecodePutRecordsJson(std::string_view body);

// The PutRecords response for the store's `results`, as JSON text: exactly what KinesisApi's
// PutRecords answers (http_gateway_test checks that they agree), written without a DOM.
std::string EncodePutRecordsResponse(std::span<const PutResult> results);

}  // namespace pinstream
