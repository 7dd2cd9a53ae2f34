#pragma once

#include <span>
#include <string>

#include "stream/http_message.h"
#include "stream/kinesis_api.h"

namespace pinstream {

// The seeds' API Gateway REST proxy: `GET /streams`, `POST|GET|DELETE /streams/{name}`,
// `PUT /streams/{name}/record` and `PUT /streams/{name}/records`. Record data comes as JSON values
// and is stored as their compact JSON text, keys in the client's order (what the seeds' mapping
// templates base64-encoded). Errors are `{"__type","message"}`: a missing stream 404, an existing
// one 409, a body that is not JSON (or nests deeper than kMaxJsonDepth) 400
// SerializationException, data over Kinesis's limits 413.
//
// Borrows the API, which must outlive the route. Thread-safe.
class RestProxyRoute {
 public:
  explicit RestProxyRoute(const KinesisApi* api) : api_(api) {}

  // Serves `req`, whose path the router split into percent-decoded segments starting with
  // "streams"; false (and `res` untouched) when no REST route has that method and path.
  bool Handle(const HttpRequest& req, std::span<const std::string> segments, HttpResponse* res);

 private:
  void Call(std::string_view action, const nlohmann::json& request, HttpResponse* res) const;
  void CreateStream(const HttpRequest& req, const std::string& name, HttpResponse* res) const;
  void PutRecord(const HttpRequest& req, const std::string& name, HttpResponse* res) const;
  void PutRecords(const HttpRequest& req, const std::string& name, HttpResponse* res) const;

  const KinesisApi* const api_;
};

}  // namespace pinstream
