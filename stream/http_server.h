#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "stream/http_message.h"

namespace pinstream {

// A small HTTP/1.1 server that only moves bytes: it reads requests, enforces the transport's
// limits and deadlines, hands each complete request to a handler and writes its response. What a
// request means is the handler's business (the gateway's GatewayRouter).
//
// It is asynchronous (Boost.Asio, Beast's parser) on `threads` threads: an open connection costs
// memory, not a thread, so slow or idle clients cannot starve the others. The handler runs on one
// of those threads and may block (a store write); `threads` bounds how many handlers run at once.
//
// What it refuses itself, answering with `render_error`'s body and closing the connection:
//   - 400 for a malformed request, Content-Length together with Transfer-Encoding, two
//     Content-Length headers (even equal ones: request smuggling), a Transfer-Encoding other than
//     chunked;
//   - 411 for a POST, PUT or PATCH with neither Content-Length nor chunked framing;
//   - 413 for a body over `max_body_bytes`: a declared Content-Length before the body is read,
//     a chunked body as soon as it passes the limit;
//   - 431 for request headers over `max_header_bytes`;
//   - 503 to a connection accepted while `max_connections` are open (sent without waiting, then
//     closed: the client sees a reply rather than a reset whenever its socket can take it).
// After such a reply the server stops sending and reads (and drops) what the client still sends
// for up to `linger_timeout`, so that a client busy writing its body reads the reply instead of a
// reset.
//
// Deadlines, each a total (a byte every few seconds does not extend them): `header_timeout` from
// a request's first byte (or from the connect) to the end of its headers, `body_timeout` for the
// body and again for writing the response, `idle_timeout` between requests of a keep-alive
// connection. A connection that misses one is closed without a reply.
//
// A handler exception becomes a 500 from `render_error` and a log line.
//
// Each connection is a file descriptor: Start() raises the process's soft descriptor limit (as
// far as the hard limit allows) to `max_connections` plus room for the rest of the process, and
// logs a warning when it cannot, since accept() would then fail before the cap holds (the server
// then retries accepting every 100 ms rather than spin).
//
// Start() returns once the port is bound and listening. Stop() (or the destructor) closes the port
// and every connection and joins the threads; it is idempotent, and must not be called from a
// handler. The handler and renderer are called concurrently from several threads.
class HttpServer {
 public:
  // Readable zero bytes after every request body (HttpRequest::body_padding): enough for
  // simdjson to parse a body in place.
  static constexpr size_t kBodyPadding = 64;

  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0 picks a free port
    int threads = 4;
    size_t max_body_bytes = size_t{7} << 20;
    // Request line and headers together; Kinesis clients send about 1 KiB.
    size_t max_header_bytes = size_t{64} << 10;
    // Open connections (idle ones included). Each costs a file descriptor, so the process's
    // descriptor limit must be above it for the cap to be the one that holds.
    size_t max_connections = 10'000;
    // Total time for a request's headers, from its first byte (or the connect): a client that
    // trickles them is closed.
    std::chrono::milliseconds header_timeout{10'000};
    // Total time to read a body (7 MiB in 60 s is 120 KB/s) and, again, to write a response.
    std::chrono::milliseconds body_timeout{60'000};
    // Idle time after which a keep-alive connection is closed.
    std::chrono::milliseconds idle_timeout{5'000};
    std::chrono::milliseconds linger_timeout{5'000};
  };

  // Fills the response for a complete request.
  using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;
  // Fills the response for an error the server found itself: the request's head as far as it was
  // read (its body is empty; method and path may be empty for an unparsable request or for a
  // connection refused at the cap), the status and a message for humans.
  using ErrorRenderer =
      std::function<void(const HttpRequest&, int status, std::string_view message, HttpResponse*)>;

  static Result<std::unique_ptr<HttpServer>> Start(const Options& options, Handler handler,
                                                   ErrorRenderer render_error);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the one picked when Options::port was 0).
  int port() const;
  // Connections open now (accepted and not yet closed), for tests and metrics.
  size_t open_connections() const;

  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// Parses a flag's "HOST:PORT" (or "[V6ADDR]:PORT") into options->host and ->port; a missing host
// (":8080") means 127.0.0.1. Errors name `flag`.
Status ParseListenAddress(std::string_view text, std::string_view flag,
                          HttpServer::Options* options);

}  // namespace pinstream
