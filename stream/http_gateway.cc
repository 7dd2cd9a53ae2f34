#include "stream/http_gateway.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/hash_key.h"
#include "stream/kinesis_api.h"
#include "stream/put_records_json.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

using json = nlohmann::json;
// Record data a client sends as a JSON value is parsed into an ordered_json, so that stored
// records keep the client's key order: the seeds' mapping template passed the text through, and
// a reader may rely on the column order (nlohmann::json would sort the keys).
using ordered_json = nlohmann::ordered_json;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr char kAmzJson[] = "application/x-amz-json-1.1";
constexpr char kJson[] = "application/json";
constexpr char kKafkaV2[] = "application/vnd.kafka.v2+json";

// The three dialects differ in how they report errors.
enum class Dialect { kKinesis, kRest, kKafka };

template <typename Json>
std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The media type of the request without parameters, lower case: "application/json".
std::string MediaType(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// An HTTP error in the gateway's terms: the status, the error type a client matches on, and the
// message. Kinesis and the REST proxy render it as {"__type","message"}; the Kafka proxy as
// {"error_code","message"}, its code being the status times 100 plus `kafka_detail` (40401
// "topic not found"), or the bare status when `kafka_detail` is 0, as Confluent's proxy does.
struct HttpError {
  int status = 400;
  std::string type;
  std::string message;
  int kafka_detail = 1;
};

// Kinesis answers every client error with 400; only its own failures are 5xx.
int KinesisStatusOf(Status::Code code) {
  switch (code) {
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
    case Status::Code::kInternal:
      return 500;
    case Status::Code::kUnavailable:
      return 503;
    default:
      return 400;
  }
}

// The store's own failures are not the client's business: Kinesis calls them InternalFailure.
std::string KinesisTypeOf(const Status& s) {
  if (KinesisStatusOf(s.code()) == 500) return "InternalFailure";
  return std::string(s.TypeName());
}

// The REST proxies speak plain HTTP: a missing stream is 404, an existing one 409.
int RestStatusOf(Status::Code code) {
  switch (code) {
    case Status::Code::kResourceNotFound:
      return 404;
    case Status::Code::kResourceInUse:
      return 409;
    default:
      return KinesisStatusOf(code);
  }
}

HttpError ErrorFromStatus(const Status& s, Dialect dialect) {
  const int status =
      dialect == Dialect::kKinesis ? KinesisStatusOf(s.code()) : RestStatusOf(s.code());
  return HttpError{status, KinesisTypeOf(s), s.message()};
}

void Reply(httplib::Response& res, int status, const json& body, const char* content_type) {
  res.status = status;
  res.set_content(Dump(body), content_type);
}

// set_content without its copy of the body.
void SetContent(httplib::Response& res, std::string&& body, const char* content_type) {
  res.body = std::move(body);
  res.set_header("Content-Type", content_type);
}

void ReplyError(httplib::Response& res, Dialect dialect, const HttpError& e) {
  if (e.status >= 500) spdlog::warn("http gateway error status={} error={}", e.status, e.message);
  if (dialect == Dialect::kKafka) {
    const int code = e.kafka_detail == 0 ? e.status : e.status * 100 + e.kafka_detail;
    Reply(res, e.status, {{"error_code", code}, {"message", e.message}}, kKafkaV2);
    return;
  }
  Reply(res, e.status, {{"__type", e.type}, {"message", e.message}},
        dialect == Dialect::kKinesis ? kAmzJson : kJson);
}

Dialect DialectOfPath(const std::string& path) {
  if (path == "/") return Dialect::kKinesis;
  if (path.rfind("/topics", 0) == 0) return Dialect::kKafka;
  return Dialect::kRest;
}

// Parses a request body that must be a JSON object; an empty body is `{}` when allowed.
template <typename Json = json>
Result<Json> ParseObject(std::string_view body, bool empty_ok) {
  if (body.empty() && empty_ok) return Json::object();
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the request body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return j;
}

// Lower-case hex of a 128-bit value: the MD5 digest as text when `h` is PartitionKeyHash(x).
std::string Hex128(HashKey h) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h >> 64),
                static_cast<unsigned long long>(h));
  return std::string(buf, 32);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A partition key as the REST proxies take it: a string, or a number written as text (the
// seeds' mapping template quoted whatever it found). Anything else is passed on for KinesisApi
// to refuse.
json PartitionKeyOf(const ordered_json& v) { return v.is_number() ? json(Dump(v)) : json(v); }

// Reads the request body into `body`, followed by kPutRecordsJsonPadding zero bytes that are not
// part of it (so that simdjson parses it in place); false when cpp-httplib refused it, with the
// status set (413 for a body over the limit). The caller's buffer keeps its capacity from request
// to request: cpp-httplib's own reading grows a new string 4 KiB at a time, for each request.
bool ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
              size_t max_body_bytes, std::string* body) {
  body->clear();
  bool read;
  if (req.is_multipart_form_data()) {
    // No route takes a form, but it is read as cpp-httplib reads one for a plain route, so that
    // a malformed one is still answered 400 and a well-formed one by its Content-Type's refusal.
    read = reader([](const httplib::MultipartFormData&) { return true; },
                  [](const char*, size_t) { return true; });
  } else {
    size_t expected = 0;
    const std::string length = req.get_header_value("Content-Length");
    std::from_chars(length.data(), length.data() + length.size(), expected);
    body->reserve(std::min(expected, max_body_bytes) + kPutRecordsJsonPadding);
    read = reader([body](const char* data, size_t n) {
      body->append(data, n);
      return true;
    });
  }
  body->append(kPutRecordsJsonPadding, '\0');
  return read;
}

}  // namespace

struct HttpGateway::Impl {
  Impl(StreamStore* s, const Options& o) : store(s), api(s), options(o) {}

  void Install();
  bool Authorized(const httplib::Request& req) const;

  // Wraps a route: the API key check, and no exception ever reaches cpp-httplib.
  template <typename F>
  httplib::Server::Handler Route(Dialect dialect, F f) {
    return [this, dialect, f](const httplib::Request& req, httplib::Response& res) {
      Guard(dialect, req, res, [&] { f(req, res); });
    };
  }

  // Runs `f` when the request is authorized and turns its exceptions into a 500.
  template <typename F>
  void Guard(Dialect dialect, const httplib::Request& req, httplib::Response& res, F f) {
    if (!Authorized(req)) {
      ReplyError(res, dialect, Forbidden());
      return;
    }
    try {
      f();
    } catch (const std::exception& e) {
      ReplyError(res, dialect,
                 {500, "InternalFailure", std::string("internal error: ") + e.what(), 1});
    }
  }

  static HttpError Forbidden() {
    return {403, "AccessDeniedException", "missing or wrong x-api-key header", 1};
  }

  // `body` is the request's body, which the Kinesis route reads itself (req.body is empty),
  // followed by kPutRecordsJsonPadding readable bytes.
  void Kinesis(const httplib::Request& req, std::string_view body, httplib::Response& res);
  // Runs a Kinesis action for the REST proxy and answers with its response or error.
  void RestCall(std::string_view action, const json& request, httplib::Response& res);
  void RestCreateStream(const httplib::Request& req, httplib::Response& res);
  void RestPutRecord(const httplib::Request& req, httplib::Response& res);
  void RestPutRecords(const httplib::Request& req, httplib::Response& res);
  void KafkaProduce(const httplib::Request& req, httplib::Response& res);
  // The error handler: a JSON body for what cpp-httplib refused itself (404, 413, 400).
  httplib::Server::HandlerResponse OnError(const httplib::Request& req, httplib::Response& res);

  StreamStore* store;
  KinesisApi api;
  Options options;
  httplib::Server server;
  int port = 0;
  std::thread listener;
  std::atomic<bool> listen_returned{false};
  std::atomic<uint64_t> next_request_id{1};
  bool stopped = false;
};

bool HttpGateway::Impl::Authorized(const httplib::Request& req) const {
  if (options.api_key.empty()) return true;
  return req.has_header("x-api-key") &&
         ConstantTimeEquals(req.get_header_value("x-api-key"), options.api_key);
}

void HttpGateway::Impl::Install() {
  // The Kinesis route carries PutRecords, the gateway's bulk traffic: it reads its body itself.
  server.Post("/", [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    // Each pool thread keeps its body buffer, which grows to the largest body it has read (at
    // most the body limit).
    thread_local std::string buffer;
    // A refused body leaves res.status set and no content: OnError answers as for other routes.
    if (!ReadBody(req, reader, options.max_body_bytes, &buffer)) return;
    const std::string_view body(buffer.data(), buffer.size() - kPutRecordsJsonPadding);
    Guard(Dialect::kKinesis, req, res, [&] { Kinesis(req, body, res); });
  });

  server.Get("/streams", Route(Dialect::kRest, [this](const auto&, auto& res) {
               RestCall("ListStreams", json::object(), res);
             }));
  server.Post(R"(/streams/([^/]+))", Route(Dialect::kRest, [this](const auto& req, auto& res) {
                RestCreateStream(req, res);
              }));
  server.Get(R"(/streams/([^/]+))", Route(Dialect::kRest, [this](const auto& req, auto& res) {
               RestCall("DescribeStream", {{"StreamName", req.matches[1].str()}}, res);
             }));
  server.Delete(R"(/streams/([^/]+))", Route(Dialect::kRest, [this](const auto& req, auto& res) {
                  RestCall("DeleteStream", {{"StreamName", req.matches[1].str()}}, res);
                }));
  server.Put(
      R"(/streams/([^/]+)/record)",
      Route(Dialect::kRest, [this](const auto& req, auto& res) { RestPutRecord(req, res); }));
  server.Put(
      R"(/streams/([^/]+)/records)",
      Route(Dialect::kRest, [this](const auto& req, auto& res) { RestPutRecords(req, res); }));

  server.Post(R"(/topics/([^/]+))", Route(Dialect::kKafka, [this](const auto& req, auto& res) {
                KafkaProduce(req, res);
              }));

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) { return OnError(req, res); }));
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        ReplyError(res, DialectOfPath(req.path), {500, "InternalFailure", "internal error", 1});
      });
}

httplib::Server::HandlerResponse HttpGateway::Impl::OnError(const httplib::Request& req,
                                                            httplib::Response& res) {
  // Errors the routes produced already carry their body.
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  const Dialect dialect = DialectOfPath(req.path);
  if (!Authorized(req)) {
    ReplyError(res, dialect, Forbidden());
  } else if (res.status == 413) {
    ReplyError(res, dialect,
               {413, "InvalidArgumentException",
                "the request body exceeds the gateway's limit of " +
                    std::to_string(options.max_body_bytes) + " bytes",
                1});
  } else if (res.status == 404) {
    ReplyError(
        res, dialect,
        {404, "UnknownOperationException", "no route for " + req.method + " " + req.path, 1});
  } else {
    ReplyError(res, dialect, {res.status, "SerializationException", "malformed HTTP request", 1});
  }
  return httplib::Server::HandlerResponse::Handled;
}

// ---------------------------------------------------------------------------------------------
// Kinesis JSON 1.1

void HttpGateway::Impl::Kinesis(const httplib::Request& req, std::string_view body,
                                httplib::Response& res) {
  res.set_header("x-amzn-RequestId", std::to_string(next_request_id.fetch_add(1)));
  const std::string target = req.get_header_value("X-Amz-Target");
  if (target.rfind(kTargetPrefix, 0) != 0) {
    ReplyError(res, Dialect::kKinesis,
               {400, "UnknownOperationException",
                target.empty() ? "missing X-Amz-Target header"
                               : "unknown X-Amz-Target '" + target + "'; expected " +
                                     std::string(kTargetPrefix) + "<Action>",
                1});
    return;
  }
  const std::string_view action = std::string_view(target).substr(kTargetPrefix.size());
  if (!KinesisApi::HasAction(action)) {
    ReplyError(
        res, Dialect::kKinesis,
        {400, "UnknownOperationException", "unknown operation '" + std::string(action) + "'", 1});
    return;
  }
  const std::string type = MediaType(req);
  if (!type.empty() && type != kAmzJson && type != "application/x-amz-json-1.0" && type != kJson) {
    ReplyError(res, Dialect::kKinesis,
               {400, "SerializationException",
                "unsupported Content-Type '" + type + "'; use " + kAmzJson +
                    (type.find("cbor") != std::string::npos
                         ? " (CBOR is not served: disable it in the SDK, e.g. AWS_CBOR_DISABLE=1)"
                         : ""),
                1});
    return;
  }
  if (action == "PutRecords") {
    // The hot path: a plain, valid batch goes to the store without a JSON DOM. Anything else
    // takes the general path below, which words the errors. The thread's decoded batch and
    // results keep their buffers from request to request.
    thread_local PutRecordsJson batch;
    thread_local std::vector<PutResult> results;
    if (DecodePutRecordsJson(body, body.size() + kPutRecordsJsonPadding, &batch)) {
      Status s = store->PutRecords(batch.stream, batch.entries, &results);
      if (!s.ok()) {
        ReplyError(res, Dialect::kKinesis, ErrorFromStatus(s, Dialect::kKinesis));
        return;
      }
      SetContent(res, EncodePutRecordsResponse(results), kAmzJson);
      return;
    }
  }
  auto request = ParseObject(body, /*empty_ok=*/true);
  if (!request.ok()) {
    ReplyError(res, Dialect::kKinesis,
               {400, "SerializationException", request.status().message(), 1});
    return;
  }
  auto response = api.Call(action, *request);
  if (!response.ok()) {
    ReplyError(res, Dialect::kKinesis, ErrorFromStatus(response.status(), Dialect::kKinesis));
    return;
  }
  Reply(res, 200, *response, kAmzJson);
}

// ---------------------------------------------------------------------------------------------
// The seeds' REST proxy

void HttpGateway::Impl::RestCall(std::string_view action, const json& request,
                                 httplib::Response& res) {
  auto response = api.Call(action, request);
  if (!response.ok()) {
    ReplyError(res, Dialect::kRest, ErrorFromStatus(response.status(), Dialect::kRest));
    return;
  }
  Reply(res, 200, *response, kJson);
}

void HttpGateway::Impl::RestCreateStream(const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObject(req.body, /*empty_ok=*/true);
  if (!body.ok()) {
    ReplyError(res, Dialect::kRest, ErrorFromStatus(body.status(), Dialect::kRest));
    return;
  }
  json request = {{"StreamName", req.matches[1].str()}};
  if (auto it = body->find("ShardCount"); it != body->end()) request["ShardCount"] = *it;
  RestCall("CreateStream", request, res);
}

void HttpGateway::Impl::RestPutRecord(const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObject<ordered_json>(req.body, /*empty_ok=*/false);
  if (!body.ok()) {
    ReplyError(res, Dialect::kRest, ErrorFromStatus(body.status(), Dialect::kRest));
    return;
  }
  auto data = body->find("Data");
  if (data == body->end()) {
    ReplyError(res, Dialect::kRest, {400, "InvalidArgumentException", "Data is required", 1});
    return;
  }
  // The mapping template's `$util.base64Encode($input.json('$.Data'))`: the value's JSON text,
  // so an object is stored as `{"index":1,...}`, keys in the client's order, and a string keeps
  // its quotes.
  std::string text = Dump(*data);
  if (text.size() > kMaxRecordDataBytes) {
    ReplyError(
        res, Dialect::kRest,
        {413, "InvalidArgumentException",
         "record data of " + std::to_string(text.size()) + " bytes exceeds the 1 MiB limit", 1});
    return;
  }
  json request = {{"StreamName", req.matches[1].str()}, {"Data", Base64Encode(text)}};
  if (auto pk = body->find("PartitionKey"); pk != body->end()) {
    request["PartitionKey"] = PartitionKeyOf(*pk);
  }
  if (auto ehk = body->find("ExplicitHashKey"); ehk != body->end()) {
    request["ExplicitHashKey"] = json(*ehk);
  }
  RestCall("PutRecord", request, res);
}

void HttpGateway::Impl::RestPutRecords(const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObject<ordered_json>(req.body, /*empty_ok=*/false);
  if (!body.ok()) {
    ReplyError(res, Dialect::kRest, ErrorFromStatus(body.status(), Dialect::kRest));
    return;
  }
  // The API Gateway tutorial's shape is {"records":[{"data","partition-key"}]}; Kinesis's own
  // names {"Records":[{"Data","PartitionKey"}]} are taken too.
  auto records = body->find("records");
  const char* data_field = "data";
  const char* key_field = "partition-key";
  if (records == body->end()) {
    records = body->find("Records");
    data_field = "Data";
    key_field = "PartitionKey";
  }
  if (records == body->end() || !records->is_array()) {
    ReplyError(res, Dialect::kRest,
               {400, "InvalidArgumentException", "records is required and must be an array", 1});
    return;
  }
  json entries = json::array();
  size_t total = 0;
  for (const ordered_json& r : *records) {
    if (!r.is_object()) {
      ReplyError(res, Dialect::kRest,
                 {400, "InvalidArgumentException", "each record must be an object", 1});
      return;
    }
    json entry = json::object();
    if (auto data = r.find(data_field); data != r.end()) {
      // The tutorial's template encoded `$elem.data` as it stood: a string's own text; other
      // values are stored as their JSON text.
      std::string text = data->is_string() ? data->get<std::string>() : Dump(*data);
      total += text.size();
      entry["Data"] = Base64Encode(text);
    }
    if (auto pk = r.find(key_field); pk != r.end()) {
      entry["PartitionKey"] = PartitionKeyOf(*pk);
      if (pk->is_string()) total += pk->get_ref<const std::string&>().size();
    }
    if (auto ehk = r.find("ExplicitHashKey"); ehk != r.end()) entry["ExplicitHashKey"] = json(*ehk);
    entries.push_back(std::move(entry));
  }
  if (total > kMaxPutRecordsBytes) {
    ReplyError(res, Dialect::kRest,
               {413, "InvalidArgumentException",
                "records of " + std::to_string(total) + " bytes exceed the 5 MiB limit", 1});
    return;
  }
  RestCall("PutRecords", {{"StreamName", req.matches[1].str()}, {"Records", std::move(entries)}},
           res);
}

// ---------------------------------------------------------------------------------------------
// The Confluent Kafka REST proxy's produce call

namespace {

// One Kafka record turned into a stream entry; `data` and `key` own the bytes a PutEntry views.
struct KafkaEntry {
  std::string data;
  std::string key;
  std::optional<std::string> explicit_hash_key;
  PutResult result;
};

// Fills `e` from a record of a json (values as JSON text) or binary (values base64) request.
Status DecodeKafkaRecord(const ordered_json& r, bool binary, const StreamDescription& stream,
                         KafkaEntry* e) {
  if (!r.is_object()) return Status::InvalidArgument("each record must be an object");
  auto value = r.find("value");
  if (binary) {
    if (value != r.end() && !value->is_null()) {
      if (!value->is_string()) return Status::InvalidArgument("value must be a base64 string");
      ASSIGN_OR_RETURN(e->data, Base64Decode(value->get_ref<const std::string&>()));
    }
  } else {
    e->data = value == r.end() ? "null" : Dump(*value);
  }
  auto key = r.find("key");
  if (key != r.end() && !key->is_null()) {
    if (binary) {
      if (!key->is_string()) return Status::InvalidArgument("key must be a base64 string");
      ASSIGN_OR_RETURN(e->key, Base64Decode(key->get_ref<const std::string&>()));
    } else {
      e->key = key->is_string() ? key->get<std::string>() : Dump(*key);
    }
  } else {
    // Kafka's producer spreads keyless records; a stable hash of the value keeps replays alike.
    e->key = Hex128(PartitionKeyHash(e->data));
  }
  if (auto p = r.find("partition"); p != r.end() && !p->is_null()) {
    if (!p->is_number_integer() || p->get<int64_t>() < 0 ||
        p->get<int64_t>() >= static_cast<int64_t>(stream.shards.size())) {
      return Status::ResourceNotFound("partition " + Dump(*p) + " not found in topic '" +
                                      stream.name + "'");
    }
    e->explicit_hash_key = HashKeyToString(stream.shards[p->get<size_t>()].starting_hash_key);
  }
  return Status::OK();
}

// Kafka's per-record error codes: 1 can not succeed as sent, 2 may succeed on a retry.
int KafkaRecordErrorCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kProvisionedThroughputExceeded:
    case Status::Code::kLimitExceeded:
    case Status::Code::kUnavailable:
    case Status::Code::kIOError:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

void HttpGateway::Impl::KafkaProduce(const httplib::Request& req, httplib::Response& res) {
  const std::string type = MediaType(req);
  const bool binary = type == "application/vnd.kafka.binary.v2+json";
  if (!binary && type != "application/vnd.kafka.json.v2+json" && type != kKafkaV2 &&
      type != kJson) {
    ReplyError(res, Dialect::kKafka,
               {415, "",
                "unsupported Content-Type '" + type +
                    "'; use application/vnd.kafka.json.v2+json or "
                    "application/vnd.kafka.binary.v2+json",
                0});
    return;
  }
  ordered_json body = ordered_json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    ReplyError(res, Dialect::kKafka, {400, "", "the request body is not valid JSON", 0});
    return;
  }
  auto records = body.is_object() ? body.find("records") : body.end();
  if (!body.is_object() || records == body.end() || !records->is_array() || records->empty()) {
    ReplyError(res, Dialect::kKafka,
               {422, "", "the body must be {\"records\":[...]} with at least one record", 1});
    return;
  }
  const std::string topic = req.matches[1].str();
  auto stream = store->DescribeStream(topic);
  if (!stream.ok()) {
    if (stream.status().code() == Status::Code::kResourceNotFound) {
      ReplyError(res, Dialect::kKafka, {404, "", "topic '" + topic + "' not found", 1});
    } else {
      ReplyError(res, Dialect::kKafka, ErrorFromStatus(stream.status(), Dialect::kKafka));
    }
    return;
  }
  std::vector<KafkaEntry> entries(records->size());
  for (size_t i = 0; i < entries.size(); ++i) {
    Status s = DecodeKafkaRecord((*records)[i], binary, *stream, &entries[i]);
    if (s.code() == Status::Code::kResourceNotFound) {
      ReplyError(res, Dialect::kKafka, {404, "", s.message(), 2});
      return;
    }
    if (!s.ok()) {
      ReplyError(res, Dialect::kKafka,
                 {422, "", "record " + std::to_string(i) + ": " + s.message(), 1});
      return;
    }
  }

  // A proxy request may hold more than one PutRecords can: send it in batches within the limits.
  std::vector<PutEntry> batch;
  std::vector<PutResult> results;
  size_t first = 0;
  while (first < entries.size()) {
    batch.clear();
    size_t bytes = 0;
    size_t end = first;
    while (end < entries.size() && batch.size() < kMaxPutRecordsEntries) {
      const KafkaEntry& e = entries[end];
      const size_t size = e.data.size() + e.key.size();
      if (!batch.empty() && bytes + size > kMaxPutRecordsBytes) break;
      PutEntry put{e.key, e.data, std::nullopt};
      if (e.explicit_hash_key) put.explicit_hash_key = *e.explicit_hash_key;
      batch.push_back(put);
      bytes += size;
      ++end;
    }
    Status s = store->PutRecords(topic, batch, &results);
    for (size_t i = first; i < end; ++i) {
      entries[i].result = s.ok() ? std::move(results[i - first]) : PutResult{s, {}};
    }
    first = end;
  }

  json offsets = json::array();
  for (const KafkaEntry& e : entries) {
    if (e.result.status.ok()) {
      offsets.push_back({{"partition", e.result.sequence_number.shard_index},
                         {"offset", e.result.sequence_number.counter},
                         {"error_code", nullptr},
                         {"error", nullptr}});
    } else {
      offsets.push_back({{"partition", nullptr},
                         {"offset", nullptr},
                         {"error_code", KafkaRecordErrorCode(e.result.status)},
                         {"error", e.result.status.ToString()}});
    }
  }
  Reply(res, 200,
        {{"offsets", std::move(offsets)}, {"key_schema_id", nullptr}, {"value_schema_id", nullptr}},
        kKafkaV2);
}

// ---------------------------------------------------------------------------------------------

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpGateway::~HttpGateway() { Stop(); }

Result<std::unique_ptr<HttpGateway>> HttpGateway::Start(StreamStore* store,
                                                        const Options& options) {
  if (options.threads < 1) return Status::InvalidArgument("the HTTP gateway needs a thread");
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("HTTP port " + std::to_string(options.port) +
                                   " is out of range");
  }
  auto impl = std::make_unique<Impl>(store, options);
  Impl* g = impl.get();
  g->Install();
  const size_t threads = static_cast<size_t>(options.threads);
  g->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Requests per connection before the server closes it: in effect, no limit.
  g->server.set_keep_alive_max_count(1'000'000);
  g->server.set_keep_alive_timeout(options.keep_alive_seconds);
  g->server.set_tcp_nodelay(true);
  g->server.set_payload_max_length(options.max_body_bytes);
  // cpp-httplib's default options add SO_REUSEPORT, which would let a second gateway bind the
  // same port and share its connections silently.
  g->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (options.port == 0) {
    g->port = g->server.bind_to_any_port(options.host);
  } else {
    g->port = g->server.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (g->port <= 0) {
    return Status::IOError("binding the HTTP gateway to " + options.host + ":" +
                           std::to_string(options.port) + " failed (address in use or invalid)");
  }
  // The socket listens already: connections made before the accept loop runs wait in its queue.
  g->listener = std::thread([g] {
    if (!g->server.listen_after_bind()) spdlog::error("http gateway stopped accepting");
    g->listen_returned = true;
  });
  spdlog::info("http gateway listening url=http://{}:{} threads={} api_key={}", options.host,
               g->port, options.threads, options.api_key.empty() ? "off" : "on");
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl)));
}

int HttpGateway::port() const { return impl_->port; }

std::string HttpGateway::url() const {
  std::string host = impl_->options.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void HttpGateway::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  // stop() is a no-op until the accept loop has started; wait for it to start (or to fail).
  while (!impl_->server.is_running() && !impl_->listen_returned) std::this_thread::yield();
  impl_->server.stop();
  // Joining waits for open keep-alive connections, at most keep_alive_seconds once idle.
  if (impl_->listener.joinable()) impl_->listener.join();
}

Status ParseHttpAddress(std::string_view text, HttpGateway::Options* options) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("--http wants HOST:PORT, got '" + std::string(text) + "'");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status::InvalidArgument("--http: invalid port '" + std::string(port_text) + "'");
  }
  options->host = host.empty() ? "127.0.0.1" : std::string(host);
  options->port = port;
  return Status::OK();
}

}  // namespace pinstream
