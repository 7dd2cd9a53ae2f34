// The HTTP gateway without its transport (stream/gateway_router.h): a request in each of its
// dialects, built from the input, answered by a GatewayRouter over the shared fuzz store. The
// input's first byte picks the route and content type, its first line the path parameter (or the
// Kinesis action), the rest is the body. The router must answer everything; a 500 means a route
// threw, which is a bug the router only hides.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_store.h"
#include "stream/gateway_router.h"
#include "stream/http_message.h"
#include "stream/put_records_json.h"

namespace {

using namespace pinstream;

struct Route {
  const char* method;
  const char* prefix;  // the path before the input's parameter
  const char* suffix;  // the path after it
  const char* content_type;
};

constexpr Route kRoutes[] = {
    {"POST", "/", "", "application/x-amz-json-1.1"},  // the parameter is the action
    {"POST", "/", "", "application/json"},
    {"GET", "/streams", "", ""},
    {"POST", "/streams/", "", "application/json"},
    {"GET", "/streams/", "", ""},
    {"DELETE", "/streams/", "", ""},
    {"PUT", "/streams/", "/record", "application/json"},
    {"PUT", "/streams/", "/records", "application/json"},
    {"POST", "/topics/", "", "application/vnd.kafka.json.v2+json"},
    {"POST", "/topics/", "", "application/vnd.kafka.binary.v2+json"},
    {"POST", "/topics/", "", "application/vnd.kafka.v2+json"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static GatewayRouter router(fuzz::FuzzStore(), GatewayRouter::Options{});
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % std::size(kRoutes)];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t eol = rest.find('\n');
  const std::string_view param = rest.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : rest.substr(eol + 1);

  HttpRequest req;
  req.method = route.method;
  const bool kinesis = std::string_view(route.prefix) == "/";
  req.target = kinesis ? "/" : std::string(route.prefix) + std::string(param) + route.suffix;
  const size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  if (kinesis) req.headers.push_back({"X-Amz-Target", "Kinesis_20131202." + std::string(param)});
  if (*route.content_type) req.headers.push_back({"Content-Type", route.content_type});
  // As the server hands it over: the body, then zeroed padding for simdjson.
  req.body.assign(body);
  req.body.append(kPutRecordsJsonPadding, '\0');
  req.body_padding = kPutRecordsJsonPadding;

  HttpResponse res;
  router.Handle(req, &res);
  FUZZ_CHECK(res.status >= 200 && res.status < 500);
  return 0;
}
