#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace pinstream {

// What a server answered to a GET, whatever its HTTP status.
struct HttpGetReply {
  long status = 0;
  std::string body;
};

// GETs `url` with libcurl, sending `headers` ("Name: value" lines). Unavailable when no answer
// came: refused, unresolvable, timed out after `timeout` (connecting and reading together), or a
// body past 64 MiB. No redirects are followed and no proxy from the environment is used, so that
// a monitor of a loopback service talks to that service only. Thread-safe: a handle per call.
Result<HttpGetReply> HttpGet(const std::string& url, const std::vector<std::string>& headers,
                             std::chrono::milliseconds timeout);

}  // namespace pinstream
