#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/sigv4_verifier.h"
#include "stream/http_server.h"
#include "stream/monitor_route.h"
#include "stream/request_metrics.h"
#include "stream/stream_store.h"

namespace pinstream {

// The HTTP face of the stream service (SPEC section 4), in front of the same core as the ZeroMQ
// broker: every Kinesis action goes through KinesisApi, appends go to StreamStore::PutRecords.
// It serves three dialects on one port (see GatewayRouter and its routes):
//
//   - Kinesis's protocol on `/`: `POST` with `X-Amz-Target: Kinesis_20131202.<Action>`, in JSON 1.1
//     or the Java SDKs' CBOR 1.1, and AWS's answers to everything else (KinesisRoute);
//   - the seeds' API Gateway REST proxy under `/streams` (RestProxyRoute);
//   - the Confluent Kafka REST proxy's produce call, `POST /topics/{name}` (KafkaProxyRoute).
//
// With an API key configured, every route answers 403 unless the `x-api-key` header holds it.
// Browsers may call every route: CORS preflights are answered and replies allow any origin
// (cors.h).
//
// The transport is HttpServer, configured by Options::server: asynchronous, so that slow or idle
// connections cost memory and not a worker; `server.threads` threads run the routes. It holds the
// limits a hostile client meets (HttpServer states them): bodies over `server.max_body_bytes`
// (declared or chunked) are 413, unframed POST/PUT 411, smuggling-shaped framing 400, headers over
// `server.max_header_bytes` 431; requests that miss `server.header_timeout` or
// `server.body_timeout`, and keep-alive connections idle past `server.idle_timeout`, are closed;
// past `server.max_connections` open connections a new one is answered 503 and closed. JSON
// bodies nesting deeper than kMaxJsonDepth (common/json_limits.h) are 400.
//
// Borrows the store, which must outlive the gateway. Start() returns once the port is bound and
// listening. The server keeps up to `server.threads` request bodies' buffers for reuse, so the
// gateway holds up to about twice `server.max_body_bytes` per thread that has served such a body.
// Stop() (or the destructor) closes the port and every connection and joins every thread; it is
// idempotent but not to be called from two threads at once.
class HttpGateway {
 public:
  // Kinesis's 5 MiB PutRecords limit, plus base64's third and the JSON around it.
  static constexpr size_t kDefaultMaxBodyBytes = size_t{7} << 20;

  struct Options {
    // Address, threads, limits and deadlines of the transport. A gateway listens on port 8080
    // (0 picks a free one) with 16 threads and takes bodies up to kDefaultMaxBodyBytes; the other
    // limits are HttpServer's defaults.
    HttpServer::Options server{.port = 8080, .threads = 16, .max_body_bytes = kDefaultMaxBodyBytes};
    std::string api_key;  // empty: no key is required
    // Set: every Kinesis request must carry a valid AWS SigV4 signature (see GatewayRouter).
    std::shared_ptr<const SigV4Verifier> sigv4;
    RequestMetrics* metrics = nullptr;      // borrowed: where requests are counted; null: nowhere
    const MonitorRoute* monitor = nullptr;  // borrowed: /metrics and the status page; null: none
  };

  static Result<std::unique_ptr<HttpGateway>> Start(StreamStore* store, const Options& options);
  ~HttpGateway();

  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // The bound port (the one picked when Options::server.port was 0).
  int port() const;
  // "http://HOST:PORT" for clients; a wildcard host is given as the loopback address.
  std::string url() const;

  void Stop();

 private:
  struct Impl;
  explicit HttpGateway(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// Parses `--http`'s "HOST:PORT" (or "[V6ADDR]:PORT") into options->server.host and .port.
// A missing host (":8080") means 127.0.0.1.
Status ParseHttpAddress(std::string_view text, HttpGateway::Options* options);

}  // namespace pinstream
