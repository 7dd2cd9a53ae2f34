#include "emulator/http_sink.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

namespace pinstream {

namespace {

// Retried: the gateway may be starting, overloaded or briefly unable to reach the store.
bool RetryableStatus(int http_status, const Status& s) {
  return http_status == 0 || http_status == 429 || http_status >= 500 ||
         s.code() == Status::Code::kProvisionedThroughputExceeded ||
         s.code() == Status::Code::kLimitExceeded;
}

}  // namespace

Status StatusFromHttpError(int http_status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string type, message;
  if (j.is_object()) {
    for (const char* key : {"__type", "type", "error", "code", "Code"}) {
      if (j.contains(key) && j[key].is_string()) {
        type = j[key].get<std::string>();
        break;
      }
    }
    for (const char* key : {"message", "Message", "error_message"}) {
      if (j.contains(key) && j[key].is_string()) {
        message = j[key].get<std::string>();
        break;
      }
    }
  }
  // AWS error types may carry a namespace: "com.amazonaws.kinesis#ResourceNotFoundException".
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (message.empty()) message = body.empty() ? "no body" : body.substr(0, 300);
  message = "HTTP " + std::to_string(http_status) + ": " + message;
  Status::Code code = Status::CodeFromTypeName(type);
  if (type.empty() || (code == Status::Code::kInternal && type != "InternalFailure")) {
    if (http_status == 404) {
      code = Status::Code::kResourceNotFound;
    } else if (http_status == 409) {
      code = Status::Code::kResourceInUse;
    } else if (http_status == 413) {
      code = Status::Code::kInvalidArgument;
    } else if (http_status == 429) {
      code = Status::Code::kProvisionedThroughputExceeded;
    } else if (http_status >= 400 && http_status < 500) {
      code = Status::Code::kInvalidArgument;
    } else {
      code = Status::Code::kUnavailable;
    }
  }
  return Status(code, message);
}

HttpSink::HttpSink(std::string base_url, const Options& options)
    : base_url_(std::move(base_url)), options_(options) {}

HttpSink::~HttpSink() = default;

Result<std::unique_ptr<HttpSink>> HttpSink::Connect(const std::string& base_url,
                                                    const Options& options) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return Status::InvalidArgument("--via wants http://HOST:PORT, got '" + base_url + "'");
  }
  if (url.find('/', url.find("//") + 2) != std::string::npos) {
    return Status::InvalidArgument("--via wants http://HOST:PORT without a path, got '" + base_url +
                                   "'");
  }
  std::unique_ptr<HttpSink> sink(new HttpSink(url, options));
  try {
    sink->client_ = std::make_unique<httplib::Client>(url);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("--via '" + base_url + "': " + e.what());
  }
  if (!sink->client_->is_valid()) {
    return Status::InvalidArgument("--via '" + base_url + "' is not a usable URL");
  }
  sink->client_->set_keep_alive(true);
  sink->client_->set_tcp_nodelay(true);  // a request is headers then body: no Nagle delay
  sink->client_->set_connection_timeout(options.timeout);
  sink->client_->set_read_timeout(options.timeout);
  sink->client_->set_write_timeout(options.timeout);
  if (!options.api_key.empty())
    sink->client_->set_default_headers({{"x-api-key", options.api_key}});
  return sink;
}

Result<HttpSink::Answer> HttpSink::Send(const char* method, const std::string& path,
                                        const std::string& body) {
  auto backoff = options_.retry_backoff;
  Status last;
  for (int attempt = 1;; ++attempt) {
    const std::string_view m(method);
    httplib::Result res = m == "GET"    ? client_->Get(path)
                          : m == "POST" ? client_->Post(path, body, "application/json")
                                        : client_->Put(path, body, "application/json");
    Answer answer;
    if (res) {
      answer.status = res->status;
      answer.body = std::move(res->body);
      if (answer.status < 400) return answer;
      last = StatusFromHttpError(answer.status, answer.body);
    } else {
      last = Status::Unavailable(std::string("no answer from ") + base_url_ + ": " +
                                 httplib::to_string(res.error()));
    }
    if (!RetryableStatus(answer.status, last)) return answer;
    if (attempt >= options_.max_attempts) {
      return last.WithContext(std::string(method) + " " + path + ": out of attempts");
    }
    spdlog::debug("emulate: retrying {} {} attempt={} error={}", method, path, attempt,
                  last.ToString());
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
  }
}

Status HttpSink::EnsureStream(const std::string& stream, uint32_t shards) {
  const std::string path = "/streams/" + stream;
  ASSIGN_OR_RETURN(Answer described, Send("GET", path, ""));
  if (described.status < 400) {
    counts_[stream];
    return Status::OK();
  }
  if (described.status != 404) {
    return StatusFromHttpError(described.status, described.body)
        .WithContext("describing stream '" + stream + "'");
  }
  const nlohmann::json request = {{"ShardCount", shards}};
  ASSIGN_OR_RETURN(Answer created, Send("POST", path, request.dump()));
  if (created.status >= 400) {
    Status s = StatusFromHttpError(created.status, created.body);
    // Created meanwhile by someone else: as good.
    if (s.code() != Status::Code::kResourceInUse) {
      return s.WithContext("creating stream '" + stream + "'");
    }
  } else {
    spdlog::info("emulate: created stream={} shards={} via={}", stream, shards, base_url_);
  }
  counts_[stream];
  return Status::OK();
}

Status HttpSink::Put(const std::string& stream, std::string partition_key, std::string data) {
  auto it = counts_.find(stream);
  if (it == counts_.end()) return Status::InvalidArgument("stream '" + stream + "' not set up");
  // `data` is JSON text already: splice it in as the Data value rather than parse it again.
  std::string body = "{\"StreamName\":" + nlohmann::json(stream).dump() + ",\"Data\":" + data +
                     ",\"PartitionKey\":" + nlohmann::json(partition_key).dump() + "}";
  ASSIGN_OR_RETURN(Answer answer, Send("PUT", "/streams/" + stream + "/record", body));
  if (answer.status < 400) {
    ++it->second.acked;
    return Status::OK();
  }
  ++it->second.failed;
  if (first_failure_.ok()) {
    first_failure_ = StatusFromHttpError(answer.status, answer.body)
                         .WithContext("stream " + stream + " key " + partition_key);
    spdlog::warn("emulate: record refused stream={} key={} error={}", stream, partition_key,
                 first_failure_.ToString());
  }
  return Status::OK();
}

RecordSink::Counts HttpSink::counts(const std::string& stream) const {
  auto it = counts_.find(stream);
  return it == counts_.end() ? Counts{} : it->second;
}

}  // namespace pinstream
