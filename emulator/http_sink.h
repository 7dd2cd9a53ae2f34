#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "emulator/record_sink.h"

namespace httplib {
class Client;
}

namespace pinstream {

// Sends records through the HTTP gateway's REST proxy (SPEC section 4), as the original
// posting script did: `PUT /streams/{name}/record` with
// `{"StreamName": name, "Data": <row>, "PartitionKey": key}`, one request per record on one
// keep-alive connection. Streams are looked up with `GET /streams/{name}` and created with
// `POST /streams/{name}` and `{"ShardCount": N}`.
//
// A record refused with a 4xx answer is counted as failed; connection errors, 5xx answers and
// throughput errors are retried with backoff, and after `max_attempts` the run stops with
// Unavailable. Owns its connection. Not thread-safe.
class HttpSink final : public RecordSink {
 public:
  struct Options {
    int max_attempts = 8;
    std::chrono::milliseconds retry_backoff{50};  // doubled per attempt, up to 2 s
    std::chrono::seconds timeout{10};
    std::string api_key;  // sent as `x-api-key` with every request when set
  };

  // `base_url` is "http://HOST:PORT" (or https://). InvalidArgument when it is not.
  static Result<std::unique_ptr<HttpSink>> Connect(const std::string& base_url,
                                                   const Options& options);
  static Result<std::unique_ptr<HttpSink>> Connect(const std::string& base_url) {
    return Connect(base_url, Options{});
  }
  ~HttpSink() override;

  Status EnsureStream(const std::string& stream, uint32_t shards) override;
  Status Put(const std::string& stream, std::string partition_key, std::string data) override;
  Status Flush() override { return Status::OK(); }  // every Put waits for its answer
  Counts counts(const std::string& stream) const override;
  Status first_failure() const override { return first_failure_; }
  std::string destination() const override { return base_url_; }

 private:
  struct Answer {
    int status = 0;  // 0 when the request got no answer
    std::string body;
  };

  HttpSink(std::string base_url, const Options& options);
  // One request, retried while the failure may pass. `method` is "GET", "POST" or "PUT".
  Result<Answer> Send(const char* method, const std::string& path, const std::string& body);

  std::string base_url_;
  Options options_;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, Counts> counts_;
  Status first_failure_;
};

// The Status an HTTP error answer stands for: the Kinesis error type in its JSON body
// (`__type`, `type`, `error` or `code`, and `message`), else one derived from the HTTP status.
Status StatusFromHttpError(int http_status, const std::string& body);

}  // namespace pinstream
