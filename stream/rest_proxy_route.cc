#include "stream/rest_proxy_route.h"

#include "common/base64.h"
#include "common/json_limits.h"
#include "stream/gateway_reply.h"
#include "stream/json_body.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

void ReplyRestError(const HttpError& e, HttpResponse* res) {
  ReplyError(GatewayDialect::kRest, e, res);
}

// The body as a JSON object, or false with the error answered.
bool ParseObjectBody(const HttpRequest& req, JsonBody* body, simdjson::dom::object* object,
                     HttpResponse* res) {
  if (Status s = body->Parse(req); !s.ok()) {
    ReplyRestError({400, "SerializationException", s.message(), 1}, res);
    return false;
  }
  if (body->root().get_object().get(*object) != simdjson::SUCCESS) {
    ReplyRestError({400, "SerializationException", "the request body must be a JSON object", 1},
                   res);
    return false;
  }
  return true;
}

// A member of `object`, or nullopt.
std::optional<simdjson::dom::element> Find(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element e;
  if (object.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

// A partition key as the REST proxies take it: a string, or a number written as text (the
// seeds' mapping template quoted whatever it found). Anything else is passed on for KinesisApi
// to refuse.
json PartitionKeyOf(simdjson::dom::element v) {
  return v.is_number() ? json(JsonText(v)) : ToNlohmann(v);
}

}  // namespace

bool RestProxyRoute::Handle(const HttpRequest& req, std::span<const std::string> segments,
                            HttpResponse* res) {
  const std::string& method = req.method;
  if (segments.size() == 1) {
    if (method != "GET") return false;
    Call("ListStreams", json::object(), res);
    return true;
  }
  const std::string& name = segments[1];
  if (segments.size() == 2) {
    if (method == "POST") {
      CreateStream(req, name, res);
    } else if (method == "GET") {
      Call("DescribeStream", {{"StreamName", name}}, res);
    } else if (method == "DELETE") {
      Call("DeleteStream", {{"StreamName", name}}, res);
    } else {
      return false;
    }
    return true;
  }
  if (segments.size() == 3 && method == "PUT") {
    if (segments[2] == "record") {
      PutRecord(req, name, res);
      return true;
    }
    if (segments[2] == "records") {
      PutRecords(req, name, res);
      return true;
    }
  }
  return false;
}

void RestProxyRoute::Call(std::string_view action, const json& request, HttpResponse* res) const {
  auto response = api_->Call(action, request);
  if (!response.ok()) {
    ReplyRestError(ErrorFromStatus(response.status(), GatewayDialect::kRest), res);
    return;
  }
  ReplyJson(200, *response, kJsonType, res);
}

void RestProxyRoute::CreateStream(const HttpRequest& req, const std::string& name,
                                  HttpResponse* res) const {
  json request = {{"StreamName", name}};
  if (!req.Body().empty()) {
    JsonBody body;
    simdjson::dom::object object;
    if (!ParseObjectBody(req, &body, &object, res)) return;
    if (auto count = Find(object, "ShardCount")) request["ShardCount"] = ToNlohmann(*count);
  }
  Call("CreateStream", request, res);
}

void RestProxyRoute::PutRecord(const HttpRequest& req, const std::string& name,
                               HttpResponse* res) const {
  JsonBody body;
  simdjson::dom::object object;
  if (!ParseObjectBody(req, &body, &object, res)) return;
  auto data = Find(object, "Data");
  if (!data) {
    ReplyRestError({400, "InvalidArgumentException", "Data is required", 1}, res);
    return;
  }
  // The mapping template's `$util.base64Encode($input.json('$.Data'))`: the value's JSON text,
  // so an object is stored as `{"index":1,...}`, keys in the client's order, and a string keeps
  // its quotes.
  const std::string text = JsonText(*data);
  if (text.size() > kMaxRecordDataBytes) {
    ReplyRestError(
        {413, "InvalidArgumentException",
         "record data of " + std::to_string(text.size()) + " bytes exceeds the 1 MiB limit", 1},
        res);
    return;
  }
  json request = {{"StreamName", name}, {"Data", Base64Encode(text)}};
  if (auto pk = Find(object, "PartitionKey")) request["PartitionKey"] = PartitionKeyOf(*pk);
  if (auto ehk = Find(object, "ExplicitHashKey")) request["ExplicitHashKey"] = ToNlohmann(*ehk);
  Call("PutRecord", request, res);
}

void RestProxyRoute::PutRecords(const HttpRequest& req, const std::string& name,
                                HttpResponse* res) const {
  JsonBody body;
  simdjson::dom::object object;
  if (!ParseObjectBody(req, &body, &object, res)) return;
  // The API Gateway tutorial's shape is {"records":[{"data","partition-key"}]}; Kinesis's own
  // names {"Records":[{"Data","PartitionKey"}]} are taken too.
  auto records = Find(object, "records");
  std::string_view data_field = "data";
  std::string_view key_field = "partition-key";
  if (!records) {
    records = Find(object, "Records");
    data_field = "Data";
    key_field = "PartitionKey";
  }
  simdjson::dom::array array;
  if (!records || records->get_array().get(array) != simdjson::SUCCESS) {
    ReplyRestError({400, "InvalidArgumentException", "records is required and must be an array", 1},
                   res);
    return;
  }
  json entries = json::array();
  size_t total = 0;
  for (simdjson::dom::element r : array) {
    simdjson::dom::object record;
    if (r.get_object().get(record) != simdjson::SUCCESS) {
      ReplyRestError({400, "InvalidArgumentException", "each record must be an object", 1}, res);
      return;
    }
    json entry = json::object();
    if (auto data = Find(record, data_field)) {
      // The tutorial's template encoded `$elem.data` as it stood: a string's own text; other
      // values are stored as their JSON text.
      std::string_view s;
      const std::string text =
          data->get_string().get(s) == simdjson::SUCCESS ? std::string(s) : JsonText(*data);
      total += text.size();
      entry["Data"] = Base64Encode(text);
    }
    if (auto pk = Find(record, key_field)) {
      entry["PartitionKey"] = PartitionKeyOf(*pk);
      std::string_view s;
      if (pk->get_string().get(s) == simdjson::SUCCESS) total += s.size();
    }
    if (auto ehk = Find(record, "ExplicitHashKey")) entry["ExplicitHashKey"] = ToNlohmann(*ehk);
    entries.push_back(std::move(entry));
  }
  if (total > kMaxPutRecordsBytes) {
    ReplyRestError({413, "InvalidArgumentException",
                    "records of " + std::to_string(total) + " bytes exceed the 5 MiB limit", 1},
                   res);
    return;
  }
  Call("PutRecords", {{"StreamName", name}, {"Records", std::move(entries)}}, res);
}

}  // namespace pinstream
