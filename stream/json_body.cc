#include "stream/json_body.h"

#include <algorithm>

#include "common/json_limits.h"

namespace pinstream {

Status JsonBody::Parse(const HttpRequest& req) {
  const std::string_view body = req.Body();
  if (parser_.max_depth() != kMaxJsonDepth) {
    if (parser_.allocate(std::max<size_t>(body.size(), 4096), kMaxJsonDepth) != simdjson::SUCCESS) {
      return Status::Internal("out of memory parsing a request body");
    }
  }
  // Without the padding simdjson copies the body first.
  const bool padded = req.body_padding >= simdjson::SIMDJSON_PADDING;
  auto error = parser_.parse(body.data(), body.size(), /*realloc_if_needed=*/!padded).get(root_);
  if (error == simdjson::DEPTH_ERROR) {
    return Status::InvalidArgument("the request body's JSON nests deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  if (error == simdjson::MEMALLOC) return Status::Internal("out of memory parsing a request body");
  if (error != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("the request body is not valid JSON: ") +
                                   simdjson::error_message(error));
  }
  return Status::OK();
}

std::string JsonText(simdjson::dom::element value) { return simdjson::to_string(value); }

nlohmann::json ToNlohmann(simdjson::dom::element value) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      simdjson::dom::array array;
      if (value.get(array) != simdjson::SUCCESS) return out;
      for (simdjson::dom::element e : array) out.push_back(ToNlohmann(e));
      return out;
    }
    case element_type::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      simdjson::dom::object object;
      if (value.get(object) != simdjson::SUCCESS) return out;
      for (simdjson::dom::key_value_pair kv : object)
        out[std::string(kv.key)] = ToNlohmann(kv.value);
      return out;
    }
    case element_type::INT64:
      return value.get_int64().value_unsafe();
    case element_type::UINT64:
      return value.get_uint64().value_unsafe();
    case element_type::DOUBLE:
      return value.get_double().value_unsafe();
    case element_type::STRING:
      return std::string(value.get_string().value_unsafe());
    case element_type::BOOL:
      return value.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

}  // namespace pinstream
