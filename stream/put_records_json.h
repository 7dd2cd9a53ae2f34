#pragma once

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

// A Kinesis JSON PutRecords request decoded without building a DOM. Owns the bytes its entries
// view; not copyable, since the views point into it.
struct PutRecordsJson {
  PutRecordsJson() = default;
  PutRecordsJson(const PutRecordsJson&) = delete;
  PutRecordsJson& operator=(const PutRecordsJson&) = delete;
  PutRecordsJson(PutRecordsJson&&) = default;

  std::string stream;
  std::vector<PutEntry> entries;  // views into keys, data and hash_keys

  std::vector<std::string> keys;
  std::vector<std::string> data;  // decoded from base64
  std::vector<std::string> hash_keys;
};

// Decodes `body` when it is a plain, valid PutRecords request: a JSON object with a string
// StreamName and 1 to 500 Records, each an object with a string PartitionKey, a string Data in
// base64 and at most a string ExplicitHashKey. Anything else gives std::nullopt, and the caller
// takes the general path (nlohmann's DOM and KinesisApi), which says what is wrong in Kinesis's
// words: this is only a faster way to the same request, never a second set of rules.
// Thread-safe; each calling thread keeps a simdjson parser whose buffers grow to the largest body
// it has seen (the gateway's body limit bounds them).
std::optional<PutRecordsJson> DecodePutRecordsJson(std::string_view body);

// The PutRecords response for the store's `results`, as JSON text: exactly what KinesisApi's
// PutRecords answers (http_gateway_test checks that they agree), written without a DOM.
std::string EncodePutRecordsResponse(std::span<const PutResult> results);

}  // namespace pinstream
