#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinstream {

// One header field as it came off the wire (or as a handler set it). Names keep their case;
// lookups ignore it, as HTTP does.
struct HttpHeader {
  std::string name;
  std::string value;
};

// True when the two header names are equal ignoring ASCII case.
inline bool HttpHeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A complete HTTP request as the server hands it to a handler: plain data, no transport, so that
// a router can be driven by tests and fuzzers without a socket.
//
// `body` holds the body's bytes followed by `body_padding` more readable bytes that are not part
// of it (zeros): the server leaves room there so that simdjson can parse the body in place (see
// stream/put_records_json.h). Body() gives the body alone; a request built by hand may leave
// body_padding at 0.
struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent (HTTP methods are case-sensitive)
  std::string target;  // the request target as sent: "/streams/s?x=1"
  std::string path;    // the target up to '?', not percent-decoded: "/streams/s"
  std::string query;   // the target after '?', without it; empty when there is none
  std::vector<HttpHeader> headers;
  std::string body;
  size_t body_padding = 0;

  std::string_view Body() const {
    return std::string_view(body).substr(0, body.size() - body_padding);
  }

  // The first header of that name (any case), or nullptr.
  const std::string* FindHeader(std::string_view name) const {
    for (const HttpHeader& h : headers) {
      if (HttpHeaderNameEquals(h.name, name)) return &h.value;
    }
    return nullptr;
  }
  // The first header of that name, or "" when there is none.
  std::string_view Header(std::string_view name) const {
    const std::string* v = FindHeader(name);
    return v == nullptr ? std::string_view() : std::string_view(*v);
  }
};

// What a handler answers. The server adds Content-Length, Content-Type (from `content_type` when
// not empty) and the connection's keep-alive; `headers` are sent as they are.
struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::vector<HttpHeader> headers;
  std::string body;
  // The error type of an error reply ("ResourceNotFoundException"), for metrics; not sent.
  std::string error_type;

  void SetHeader(std::string name, std::string value) {
    for (HttpHeader& h : headers) {
      if (HttpHeaderNameEquals(h.name, name)) {
        h.value = std::move(value);
        return;
      }
    }
    headers.push_back({std::move(name), std::move(value)});
  }
  const std::string* FindHeader(std::string_view name) const {
    for (const HttpHeader& h : headers) {
      if (HttpHeaderNameEquals(h.name, name)) return &h.value;
    }
    return nullptr;
  }
};

}  // namespace pinstream
