#pragma once

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "stream/http_message.h"

namespace pinstream {

// A client's JSON request body as simdjson's DOM, for the routes that take record values as JSON
// (the REST and Kafka proxies). simdjson parses iteratively and in linear time (nlohmann's
// ordered_json inserts keys in linear time each: an object of 80,000 keys took seconds), refuses
// documents nested deeper than kMaxJsonDepth, validates UTF-8 and keeps the client's key order,
// which stored records keep (the seeds' mapping template passed the text through).
//
// The one difference from nlohmann a client may see: an integer beyond 64 bits is refused as
// malformed rather than rounded to a double.
//
// Owns its parser and the DOM; an element from root() is valid until the next Parse() or the
// JsonBody's destruction. Not thread-safe: one per request.
class JsonBody {
 public:
  JsonBody() = default;
  JsonBody(const JsonBody&) = delete;
  JsonBody& operator=(const JsonBody&) = delete;

  // Parses the request's body (in place when the server left simdjson's padding after it).
  // InvalidArgument when it is not JSON or nests too deep, with a message for the client.
  Status Parse(const HttpRequest& req);

  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

// The value's compact JSON text, as nlohmann's dump() writes it (numbers included).
std::string JsonText(simdjson::dom::element value);

// The value as nlohmann JSON, for KinesisApi. Recursive: the DOM's depth limit bounds it.
nlohmann::json ToNlohmann(simdjson::dom::element value);

}  // namespace pinstream
