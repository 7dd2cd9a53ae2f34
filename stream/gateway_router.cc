#include "stream/gateway_router.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "common/hmac.h"
#include "common/url_encoding.h"
#include "stream/cors.h"
#include "stream/gateway_reply.h"
#include "stream/request_id.h"

namespace pinstream {

namespace {

// "/streams/s/record" -> {"streams", "s", "record"}, each percent-decoded; empty when the path
// has an empty segment (a trailing or doubled slash), which matches no route.
std::vector<std::string> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    if (slash == 0 || path.empty()) return {};
    out.push_back(PercentDecode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

GatewayRouter::GatewayRouter(StreamStore* store, const Options& options)
    : options_(options),
      api_(store),
      kinesis_(store, &api_,
               [this](const HttpRequest& req) { return Authorize(req, GatewayDialect::kKinesis); }),
      rest_(&api_),
      kafka_(store) {}

std::optional<HttpError> GatewayRouter::Authorize(const HttpRequest& req,
                                                  GatewayDialect dialect) const {
  if (options_.sigv4 && dialect == GatewayDialect::kKinesis) {
    SigV4Request signed_request{req.method, req.path, req.query, {}, req.Body()};
    signed_request.headers.reserve(req.headers.size());
    for (const HttpHeader& h : req.headers) signed_request.headers.emplace_back(h.name, h.value);
    Status s = options_.sigv4->Verify(signed_request, options_.clock->NowMillis());
    if (s.ok()) return std::nullopt;
    return HttpError{SigV4Verifier::HttpStatus(s), std::string(s.TypeName()), s.message(), 1};
  }
  if (options_.api_key.empty()) return std::nullopt;
  const std::string* key = req.FindHeader("x-api-key");
  if (key != nullptr && ConstantTimeEquals(*key, options_.api_key)) return std::nullopt;
  return HttpError{403, "AccessDeniedException", "missing or wrong x-api-key header", 1};
}

namespace {

// The Kinesis action of a request to "/", or "unknown": a known name only, so that what
// clients send cannot grow the metrics' series.
std::string_view KinesisActionOf(const HttpRequest& req) {
  const std::string_view target = req.Header("X-Amz-Target");
  const size_t dot = target.find('.');
  if (dot == std::string_view::npos) return "unknown";
  const std::string_view action = target.substr(dot + 1);
  return KinesisApi::HasAction(action) ? action : "unknown";
}

}  // namespace

void GatewayRouter::Handle(const HttpRequest& req, HttpResponse* res) {
  if (options_.metrics == nullptr) {
    std::string_view action;
    return Serve(req, res, &action);
  }
  const auto start = std::chrono::steady_clock::now();
  std::string_view action = "unknown";
  Serve(req, res, &action);
  std::string_view error = res->error_type;
  if (error.empty() && res->status >= 400) error = "HttpError";
  options_.metrics->Record("http", action, error, std::chrono::steady_clock::now() - start);
}

bool GatewayRouter::AuthorizedForMonitor(const HttpRequest& req) const {
  if (options_.api_key.empty()) return true;
  std::string_view key = req.Header("x-api-key");
  if (key.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view auth = req.Header("Authorization");
    if (auth.substr(0, kBearer.size()) == kBearer) key = auth.substr(kBearer.size());
  }
  std::string from_query;
  if (key.empty()) key = from_query = QueryParameter(req.query, "key");
  return !key.empty() && ConstantTimeEquals(key, options_.api_key);
}

void GatewayRouter::Serve(const HttpRequest& req, HttpResponse* res, std::string_view* action) {
  if (options_.monitor != nullptr && req.method == "GET" && options_.monitor->Serves(req)) {
    *action = "monitor";
    if (!AuthorizedForMonitor(req)) {
      return ReplyError(GatewayDialect::kRest,
                        {403, "AccessDeniedException", "missing or wrong API key", 1}, res);
    }
    return options_.monitor->Handle(req, res);
  }
  const GatewayDialect dialect = DialectOfPath(req.path);
  if (dialect == GatewayDialect::kKinesis) {
    *action = req.path == "/" ? KinesisActionOf(req) : std::string_view("unknown");
  } else {
    *action = dialect == GatewayDialect::kKafka ? "kafka_rest" : "rest_proxy";
  }
  // A preflight carries no credentials (browsers send none), so it is answered before any
  // authorization, as AWS does.
  const bool preflight = IsCorsPreflight(req);
  if (preflight) {
    AnswerCorsPreflight(req, res);
  } else {
    Dispatch(req, dialect, res);
    AddCorsHeaders(req, res);
  }
  if (dialect == GatewayDialect::kKinesis) AwsRequestIds::AddTo(res, /*with_id_2=*/!preflight);
}

void GatewayRouter::Dispatch(const HttpRequest& req, GatewayDialect dialect, HttpResponse* res) {
  // Kinesis requests are authorized by their route, after the checks AWS makes first.
  if (dialect != GatewayDialect::kKinesis) {
    if (std::optional<HttpError> denied = Authorize(req, dialect)) {
      ReplyError(dialect, *denied, res);
      return;
    }
  }
  try {
    Route(req, res);
  } catch (const std::exception& e) {
    spdlog::error("http gateway: route threw method={} path={} error={}", req.method, req.path,
                  e.what());
    *res = HttpResponse{};
    ReplyError(dialect, {500, "InternalFailure", std::string("internal error: ") + e.what(), 1},
               res);
  }
}

void GatewayRouter::Route(const HttpRequest& req, HttpResponse* res) {
  if (req.path == "/") return kinesis_.Handle(req, res);
  const std::vector<std::string> segments = PathSegments(req.path);
  if (!segments.empty() && segments[0] == "streams" && segments.size() <= 3) {
    if (rest_.Handle(req, segments, res)) return;
  } else if (segments.size() == 2 && segments[0] == "topics" && req.method == "POST") {
    return kafka_.Produce(req, segments[1], res);
  }
  ReplyError(DialectOfPath(req.path),
             {404, "UnknownOperationException", "no route for " + req.method + " " + req.path, 1},
             res);
}

void GatewayRouter::RenderTransportError(const HttpRequest& head, int status,
                                         std::string_view message, HttpResponse* res) const {
  std::string type = "SerializationException";
  if (status == 413) type = "InvalidArgumentException";
  if (status == 503) type = std::string(Status::TypeName(Status::Code::kUnavailable));
  if (status >= 500 && status != 503) type = "InternalFailure";
  const GatewayDialect dialect = DialectOfPath(head.path);
  if (dialect == GatewayDialect::kKinesis) {
    ReplyKinesisError(KinesisWireOf(head), {status, type, std::string(message), 1}, res);
    AwsRequestIds::AddTo(res);
  } else {
    ReplyError(dialect, {status, type, std::string(message), 1}, res);
  }
  AddCorsHeaders(head, res);
}

}  // namespace pinstream
