#include "stream/kinesis_http_client.h"

#include <curl/curl.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "common/base64.h"
#include "common/curl_util.h"
#include "stream/kinesis_backoff.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

constexpr long kConnectTimeoutSeconds = 10;
// GetRecords answers within seconds; an answer this late is given up on (and retried).
constexpr long kRequestTimeoutSeconds = 60;

// Kinesis's JSON timestamps are epoch seconds with a fraction.
int64_t EpochSecondsToMillis(const json& v) {
  return v.is_number() ? static_cast<int64_t>(std::llround(v.get<double>() * 1000)) : 0;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Decoded records and their keys, which RecordView's views point into.
struct RecordsBuffer {
  std::vector<std::string> data;
  std::vector<std::string> keys;
};

}  // namespace

Status KinesisErrorStatus(long http_status, std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string type, message;
  if (j.is_object()) {
    type = StringField(j, "__type");
    message = StringField(j, "message");
    if (message.empty()) message = StringField(j, "Message");
  }
  // AWS may name the type with its namespace: "com.amazonaws.kinesis.v20131202#...".
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (message.empty()) message = body.empty() ? "no body" : std::string(body.substr(0, 300));
  Status::Code code = Status::CodeFromTypeName(type);
  if (type.empty() || (code == Status::Code::kInternal && type != "InternalFailure")) {
    if (http_status >= 500) {
      code = Status::Code::kUnavailable;
    } else if (http_status == 429) {
      code = Status::Code::kProvisionedThroughputExceeded;
    } else if (http_status == 404) {
      code = Status::Code::kResourceNotFound;
    } else if (http_status == 403) {
      code = Status::Code::kAccessDenied;
    } else {
      code = Status::Code::kInvalidArgument;
    }
  }
  return Status(code, (type.empty() ? "" : type + ": ") + message + " (HTTP " +
                          std::to_string(http_status) + ")");
}

bool IsRetryableKinesisError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kProvisionedThroughputExceeded:
    case Status::Code::kLimitExceeded:
    case Status::Code::kUnavailable:
      return true;
    default:
      return false;
  }
}

Result<std::unique_ptr<KinesisHttpClient>> KinesisHttpClient::Open(AwsConfig config) {
  if (!config.endpoint_url.starts_with("http://") && !config.endpoint_url.starts_with("https://")) {
    return Status::InvalidArgument("a Kinesis endpoint is http(s)://HOST[:PORT], not '" +
                                   config.endpoint_url + "'");
  }
  while (config.endpoint_url.ends_with('/')) config.endpoint_url.pop_back();
  CurlGlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  std::unique_ptr<KinesisHttpClient> client(new KinesisHttpClient(std::move(config), curl));
  client->sigv4_ = "aws:amz:" + client->config_.region + ":kinesis";
  return client;
}

KinesisHttpClient::KinesisHttpClient(AwsConfig config, void* curl)
    : config_(std::move(config)), curl_(curl), parser_(std::make_unique<simdjson::dom::parser>()) {}

KinesisHttpClient::~KinesisHttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<json> KinesisHttpClient::Call(std::string_view action, const json& request) {
  ASSIGN_OR_RETURN(std::string answer, Post(action, request));
  // CreateStream, SplitShard and the like answer with an empty body.
  if (answer.empty()) return json::object();
  json j = json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Serialization(std::string(action) + ": the answer is not a JSON object");
  }
  return j;
}

Result<std::string> KinesisHttpClient::Post(std::string_view action, const json& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  const std::string url = config_.endpoint_url + "/";
  const std::string body = request.dump();
  std::string answer;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, kRequestTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CurlAppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  // The body as POSTFIELDS, so that libcurl has it whole to sign.
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.1");
  headers =
      curl_slist_append(headers, ("X-Amz-Target: Kinesis_20131202." + std::string(action)).c_str());
  if (!config_.session_token.empty()) {
    // libcurl signs the headers it is given, but does not add the session token itself.
    headers =
        curl_slist_append(headers, ("X-Amz-Security-Token: " + config_.session_token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (config_.has_credentials()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.secret_access_key.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return Status::Unavailable(std::string(action) + " " + url + ": " +
                               (error[0] != 0 ? error : curl_easy_strerror(rc)));
  }
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status / 100 != 2) {
    return KinesisErrorStatus(http_status, answer).WithContext(std::string(action));
  }
  return answer;
}

Result<json> KinesisHttpClient::CallWithRetry(std::string_view action, const json& request,
                                              int attempts) {
  KinesisBackoff backoff(/*base_ms=*/50, /*cap_ms=*/5000);
  for (int attempt = 1;; ++attempt) {
    Result<json> answer = Call(action, request);
    if (answer.ok() || !IsRetryableKinesisError(answer.status()) || attempt >= attempts) {
      return answer;
    }
    const int64_t delay = backoff.NextDelayMs();
    spdlog::warn("kinesis retrying action={} endpoint={} attempt={} delay_ms={} error={}", action,
                 config_.endpoint_url, attempt, delay, answer.status().ToString());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

Result<KinesisStreamSummary> KinesisHttpClient::DescribeStreamSummary(const std::string& stream) {
  ASSIGN_OR_RETURN(json j, CallWithRetry("DescribeStreamSummary", {{"StreamName", stream}}));
  const json& d = j.contains("StreamDescriptionSummary") ? j["StreamDescriptionSummary"] : j;
  KinesisStreamSummary summary;
  summary.status = StringField(d, "StreamStatus");
  summary.created_ms = EpochSecondsToMillis(d.value("StreamCreationTimestamp", json()));
  if (d.contains("OpenShardCount") && d["OpenShardCount"].is_number_integer()) {
    summary.open_shards = d["OpenShardCount"].get<int>();
  }
  return summary;
}

Result<std::vector<KinesisShard>> KinesisHttpClient::ListShards(const std::string& stream) {
  std::vector<KinesisShard> shards;
  json request = {{"StreamName", stream}};
  while (true) {
    ASSIGN_OR_RETURN(json j, CallWithRetry("ListShards", request));
    if (!j.contains("Shards") || !j["Shards"].is_array()) {
      return Status::Serialization("ListShards " + stream + ": no Shards in the answer");
    }
    for (const json& s : j["Shards"]) {
      KinesisShard shard;
      shard.shard_id = StringField(s, "ShardId");
      shard.parent = StringField(s, "ParentShardId");
      shard.adjacent_parent = StringField(s, "AdjacentParentShardId");
      if (auto r = s.find("SequenceNumberRange"); r != s.end() && r->is_object()) {
        shard.starting_sequence = StringField(*r, "StartingSequenceNumber");
        shard.ending_sequence = StringField(*r, "EndingSequenceNumber");
      }
      if (auto r = s.find("HashKeyRange"); r != s.end() && r->is_object()) {
        auto start = ParseHashKey(StringField(*r, "StartingHashKey"));
        if (!start.ok()) {
          return start.status().WithContext("ListShards " + stream + ": " + shard.shard_id +
                                            " StartingHashKey");
        }
        shard.starting_hash_key = *start;
      }
      shards.push_back(std::move(shard));
    }
    const std::string token = StringField(j, "NextToken");
    if (token.empty()) break;
    // A page after the first names the token alone (AWS refuses StreamName with it).
    request = {{"NextToken", token}};
  }
  return shards;
}

Result<std::string> KinesisHttpClient::GetShardIterator(const std::string& stream,
                                                        const std::string& shard_id,
                                                        const IteratorPosition& position) {
  json request = {{"StreamName", stream},
                  {"ShardId", shard_id},
                  {"ShardIteratorType", std::string(IteratorTypeName(position.type))}};
  if (position.type == IteratorType::kAtSequenceNumber ||
      position.type == IteratorType::kAfterSequenceNumber) {
    request["StartingSequenceNumber"] = position.sequence_number;
  } else if (position.type == IteratorType::kAtTimestamp) {
    request["Timestamp"] = static_cast<double>(position.timestamp_ms) / 1000.0;
  }
  ASSIGN_OR_RETURN(json j, CallWithRetry("GetShardIterator", request));
  std::string iterator = StringField(j, "ShardIterator");
  if (iterator.empty()) {
    return Status::Serialization("GetShardIterator " + stream + " " + shard_id +
                                 ": no ShardIterator in the answer");
  }
  return iterator;
}

Result<KinesisRecords> KinesisHttpClient::GetRecords(const std::string& iterator, int limit) {
  ASSIGN_OR_RETURN(std::string body,
                   Post("GetRecords", {{"ShardIterator", iterator}, {"Limit", limit}}));
  using simdjson::SUCCESS;
  simdjson::dom::object root;
  if (parser_->parse(body).get_object().get(root) != SUCCESS) {
    return Status::Serialization("GetRecords: the answer is not a JSON object");
  }
  // A field's text, empty when it is absent or not a string (as the answers of some endpoints
  // leave fields out).
  auto text = [](simdjson::dom::object o, std::string_view key) {
    std::string_view v;
    return o[key].get_string().get(v) == SUCCESS ? v : std::string_view();
  };
  KinesisRecords out;
  auto owner = std::make_shared<RecordsBuffer>();
  std::vector<int64_t> arrivals;
  simdjson::dom::array records;
  if (root["Records"].get_array().get(records) == SUCCESS) {
    owner->data.reserve(records.size());
    owner->keys.reserve(records.size());
    arrivals.reserve(records.size());
    out.sequence_numbers.reserve(records.size());
    for (simdjson::dom::element element : records) {
      simdjson::dom::object r;
      if (element.get_object().get(r) != SUCCESS) {
        return Status::Serialization("GetRecords: a record is not a JSON object");
      }
      auto data = Base64Decode(text(r, "Data"));
      if (!data.ok()) return data.status().WithContext("GetRecords: a record's Data");
      out.bytes += data->size();
      owner->data.push_back(std::move(*data));
      owner->keys.emplace_back(text(r, "PartitionKey"));
      out.bytes += owner->keys.back().size();
      out.sequence_numbers.emplace_back(text(r, "SequenceNumber"));
      // Epoch seconds with a fraction.
      double seconds = 0;
      arrivals.push_back(r["ApproximateArrivalTimestamp"].get_double().get(seconds) == SUCCESS
                             ? static_cast<int64_t>(std::llround(seconds * 1000))
                             : 0);
    }
  }
  // The views are taken once the vectors hold everything: they no longer move.
  out.records.reserve(owner->data.size());
  for (size_t i = 0; i < owner->data.size(); ++i) {
    RecordView view;
    view.arrival_ms = arrivals[i];
    view.sequence_number.arrival_ms = arrivals[i];
    view.partition_key = owner->keys[i];
    view.data = owner->data[i];
    out.records.push_back(view);
  }
  out.buffer = std::move(owner);
  std::string_view next;
  if (root["NextShardIterator"].get_string().get(next) == SUCCESS) out.next_iterator = next;
  int64_t behind = 0;
  if (root["MillisBehindLatest"].get_int64().get(behind) == SUCCESS) out.millis_behind = behind;
  simdjson::dom::array children;
  if (root["ChildShards"].get_array().get(children) == SUCCESS) {
    for (simdjson::dom::element c : children) {
      simdjson::dom::object child;
      if (c.get_object().get(child) == SUCCESS)
        out.child_shards.emplace_back(text(child, "ShardId"));
    }
  }
  return out;
}

Status KinesisHttpClient::EnsureStream(const std::string& stream, int shards, int64_t wait_ms) {
  Result<json> created =
      CallWithRetry("CreateStream", {{"StreamName", stream}, {"ShardCount", shards}});
  if (!created.ok() && created.status().code() != Status::Code::kResourceInUse) {
    return created.status().WithContext("creating stream '" + stream + "'");
  }
  if (created.ok()) {
    spdlog::info("kinesis created stream={} shards={} endpoint={}", stream, shards,
                 config_.endpoint_url);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    ASSIGN_OR_RETURN(KinesisStreamSummary summary, DescribeStreamSummary(stream));
    if (summary.status == "ACTIVE" || summary.status == "UPDATING") return Status::OK();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("stream '" + stream + "' is still " + summary.status);
    }
    // AWS takes seconds to create a stream; DescribeStreamSummary allows 20 calls a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<std::vector<KinesisPutResult>> KinesisHttpClient::PutRecords(
    const std::string& stream, const std::vector<PutEntry>& entries) {
  json records = json::array();
  for (const PutEntry& e : entries) {
    records.push_back({{"Data", Base64Encode(e.data)}, {"PartitionKey", e.partition_key}});
  }
  ASSIGN_OR_RETURN(json j, Call("PutRecords", {{"StreamName", stream}, {"Records", records}}));
  std::vector<KinesisPutResult> results;
  if (!j.contains("Records") || !j["Records"].is_array() || j["Records"].size() != entries.size()) {
    return Status::Serialization("PutRecords " + stream + ": not one result per record");
  }
  for (const json& r : j["Records"]) {
    KinesisPutResult result;
    result.sequence_number = StringField(r, "SequenceNumber");
    const std::string code = StringField(r, "ErrorCode");
    if (!code.empty()) {
      result.status =
          Status(Status::CodeFromTypeName(code), code + ": " + StringField(r, "ErrorMessage"));
    }
    results.push_back(std::move(result));
  }
  return results;
}

int CompareKinesisSequenceNumbers(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

}  // namespace pinstream
