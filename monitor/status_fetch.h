#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// The state of a monitored service now: GET `base_url` + "/monitor/status" (MonitorPages), with
// `api_key` as the x-api-key header when it is not empty. `base_url` is what the ready lines
// print ("http://127.0.0.1:PORT"); a bare "HOST:PORT" means http. The answer is the JSON object
// whose "kind" is `kind` ("broker", "processor").
//
// Errors: Unavailable when the service does not answer (HttpGet), AccessDenied on a 403,
// IOError on any other status but 200 (with the start of the body), Serialization when the body
// is not a JSON object of that kind. Thread-safe.
Result<nlohmann::json> FetchMonitorStatus(std::string_view base_url, std::string_view kind,
                                          const std::string& api_key,
                                          std::chrono::milliseconds timeout);

// `url` with "http://" in front when it names no scheme, and without trailing slashes.
std::string NormalizeBaseUrl(std::string_view url);

}  // namespace pinstream
