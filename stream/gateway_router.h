#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/sigv4_verifier.h"
#include "common/status.h"
#include "stream/gateway_reply.h"
#include "stream/http_message.h"
#include "stream/kafka_proxy_route.h"
#include "stream/kinesis_api.h"
#include "stream/kinesis_route.h"
#include "stream/monitor_route.h"
#include "stream/request_metrics.h"
#include "stream/rest_proxy_route.h"
#include "stream/stream_store.h"

namespace pinstream {

// The HTTP gateway without its transport: takes a complete HttpRequest, answers an HttpResponse.
// It authorizes the request, finds its route among the three dialects (KinesisRoute on `/`,
// RestProxyRoute on `/streams...`, KafkaProxyRoute on `POST /topics/{name}`) and runs it:
//
//   - CORS (cors.h) comes first: a preflight is answered before anything else (browsers send it
//     without credentials), and every reply to a request with Origin allows it.
//   - Authorization is one function, Authorize. With AWS credentials configured, a Kinesis request
//     must carry a valid SigV4 signature, checked as AWS does, and is answered AWS's error type and
//     status otherwise (SigV4Verifier); the signature stands in for the API key there, since AWS
//     clients cannot send one. Every other request, and Kinesis requests without credentials
//     configured, need the API key in `x-api-key` when one is set (else 403
//     AccessDeniedException in the dialect's shape). The REST and Kafka routes are authorized
//     before they run; KinesisRoute calls Authorize itself, after the checks AWS makes before
//     authentication (method, content type, target, body).
//   - Every reply on `/` carries AWS's x-amzn-RequestId and x-amz-id-2 (request_id.h).
//   - An unknown method or path outside `/` is 404 UnknownOperationException.
//   - A route that throws is answered 500 InternalFailure and logged, never propagated.
//   - A GET the monitor hook takes (Prometheus's /metrics, the status page) is answered by it,
//     with the API key when one is set: in x-api-key, as a bearer token (what Prometheus's
//     `authorization` setting sends) or, for a browser, in the query's `key`.
//   - With metrics, every request is counted there (transport "http") under its Kinesis action,
//     "rest_proxy", "kafka_rest", "monitor" or "unknown".
//
// It also renders the errors the transport finds itself (RenderTransportError), in the dialect of
// the path they were meant for (and for `/`, in the request's Kinesis wire).
//
// Borrows the store, which must outlive the router. Thread-safe: Handle() is called concurrently.
class GatewayRouter {
 public:
  struct Options {
    std::string api_key;                         // empty: no key is required
    std::shared_ptr<const SigV4Verifier> sigv4;  // null: signatures are not checked
    Clock* clock = Clock::Real();                // borrowed: SigV4's "now"
    RequestMetrics* metrics = nullptr;           // borrowed; null: requests are not counted
    const MonitorRoute* monitor = nullptr;       // borrowed; null: no monitoring pages
  };

  GatewayRouter(StreamStore* store, const Options& options);

  GatewayRouter(const GatewayRouter&) = delete;
  GatewayRouter& operator=(const GatewayRouter&) = delete;

  void Handle(const HttpRequest& req, HttpResponse* res);

  // The body for an error the HTTP server produced (400, 411, 413, 431, 500, 503): `head` is the
  // request as far as it was read, and picks the dialect.
  void RenderTransportError(const HttpRequest& head, int status, std::string_view message,
                            HttpResponse* res) const;

 private:
  // The one authorization step for every route: the error to answer, or nullopt.
  std::optional<HttpError> Authorize(const HttpRequest& req, GatewayDialect dialect) const;
  // Authorizes (but Kinesis, see KinesisRoute) and routes a request that is not a preflight.
  void Dispatch(const HttpRequest& req, GatewayDialect dialect, HttpResponse* res);
  void Route(const HttpRequest& req, HttpResponse* res);
  // Handle without the metrics; sets `*action` to the name the metrics count the request under.
  void Serve(const HttpRequest& req, HttpResponse* res, std::string_view* action);
  bool AuthorizedForMonitor(const HttpRequest& req) const;

  const Options options_;
  KinesisApi api_;
  KinesisRoute kinesis_;
  RestProxyRoute rest_;
  KafkaProxyRoute kafka_;
};

}  // namespace pinstream
