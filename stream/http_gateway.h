#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "stream/stream_store.h"

namespace pinstream {

// The HTTP face of the stream service (SPEC section 4), in front of the same core as the ZeroMQ
// broker: every Kinesis action goes through KinesisApi, appends go to StreamStore::PutRecords.
// It serves three dialects on one port:
//
//   - Kinesis JSON 1.1: `POST /` with `X-Amz-Target: Kinesis_20131202.<Action>`, so that AWS
//     clients pointed at `--endpoint-url` work. Errors are `{"__type","message"}` with Kinesis's
//     status codes; an unknown action is 400 UnknownOperationException and a body that is not
//     JSON 400 SerializationException. Request signatures are accepted without checking.
//   - The seeds' API Gateway REST proxy: `GET /streams`, `POST|GET|DELETE /streams/{name}`,
//     `PUT /streams/{name}/record` and `PUT /streams/{name}/records`, record data given as JSON
//     values and stored as their JSON text (what the seeds' mapping templates base64-encoded).
//   - The Confluent Kafka REST proxy's produce call: `POST /topics/{name}` with
//     `{"records":[{"value":<json>,"key":<optional>}]}`, answered with per-record offsets
//     (partition = shard index, offset = the record's counter in its shard).
//
// With an API key configured, every route answers 403 unless the `x-api-key` header holds it.
// Bodies above `max_body_bytes` are refused with 413 before they are parsed.
//
// Borrows the store, which must outlive the gateway. Start() returns once the port is bound
// and listening; requests are served by a pool of `threads` threads (cpp-httplib holds one
// thread per open keep-alive connection, so the pool bounds the concurrent connections, not the
// CPU used). Each pool thread keeps the buffers of its last Kinesis request (the body, the decoded
// PutRecords batch) for the next one, so the gateway holds up to about twice `max_body_bytes` per
// thread that has served such a body. Stop() (or the destructor) closes the port and joins every
// thread; it is idempotent but not to be called from two threads at once.
class HttpGateway {
 public:
  // Kinesis's 5 MiB PutRecords limit, plus base64's third and the JSON around it.
  static constexpr size_t kDefaultMaxBodyBytes = size_t{7} << 20;

  struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;      // 0 picks a free port
    std::string api_key;  // empty: no key is required
    int threads = 16;
    size_t max_body_bytes = kDefaultMaxBodyBytes;
    // Idle time after which a keep-alive connection is closed. Stop() waits for idle connections
    // to notice (cpp-httplib polls them), so this also bounds how long stopping takes.
    int keep_alive_seconds = 5;
  };

  static Result<std::unique_ptr<HttpGateway>> Start(StreamStore* store, const Options& options);
  ~HttpGateway();

  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // The bound port (the one picked when Options::port was 0).
  int port() const;
  // "http://HOST:PORT" for clients; a wildcard host is given as the loopback address.
  std::string url() const;

  void Stop();

 private:
  struct Impl;
  explicit HttpGateway(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// Parses `--http`'s "HOST:PORT" (or "[V6ADDR]:PORT") into options->host and options->port.
// A missing host (":8080") means 127.0.0.1.
Status ParseHttpAddress(std::string_view text, HttpGateway::Options* options);

}  // namespace pinstream
