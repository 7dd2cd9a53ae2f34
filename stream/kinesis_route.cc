#include "stream/kinesis_route.h"

#include <string>
#include <string_view>
#include <vector>

#include "common/json_limits.h"
#include "stream/gateway_reply.h"
#include "stream/put_records_json.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";

// The request object of a JSON 1.1 body; an empty body is `{}`.
Result<json> ParseRequestObject(std::string_view body) {
  if (body.empty()) return json::object();
  // nlohmann's own parser is iterative, but what it builds is walked recursively later.
  RETURN_IF_ERROR(CheckJsonDepth(body));
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the request body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return j;
}

}  // namespace

void KinesisRoute::Handle(const HttpRequest& req, HttpResponse* res) {
  res->SetHeader("x-amzn-RequestId", std::to_string(next_request_id_.fetch_add(1)));
  const std::string_view target = req.Header("X-Amz-Target");
  if (target.rfind(kTargetPrefix, 0) != 0) {
    ReplyError(GatewayDialect::kKinesis,
               {400, "UnknownOperationException",
                target.empty() ? "missing X-Amz-Target header"
                               : "unknown X-Amz-Target '" + std::string(target) + "'; expected " +
                                     std::string(kTargetPrefix) + "<Action>",
                1},
               res);
    return;
  }
  const std::string_view action = target.substr(kTargetPrefix.size());
  if (!KinesisApi::HasAction(action)) {
    ReplyError(
        GatewayDialect::kKinesis,
        {400, "UnknownOperationException", "unknown operation '" + std::string(action) + "'", 1},
        res);
    return;
  }
  const std::string type = MediaTypeOf(req);
  if (!type.empty() && type != kAmzJsonType && type != "application/x-amz-json-1.0" &&
      type != kJsonType) {
    ReplyError(GatewayDialect::kKinesis,
               {400, "SerializationException",
                "unsupported Content-Type '" + type + "'; use " + kAmzJsonType +
                    (type.find("cbor") != std::string::npos
                         ? " (CBOR is not served: disable it in the SDK, e.g. AWS_CBOR_DISABLE=1)"
                         : ""),
                1},
               res);
    return;
  }
  const std::string_view body = req.Body();
  if (action == "PutRecords") {
    // The hot path: a plain, valid batch goes to the store without a JSON DOM. Anything else
    // takes the general path below, which words the errors. The thread's decoded batch and
    // results keep their buffers from request to request.
    thread_local PutRecordsJson batch;
    thread_local std::vector<PutResult> results;
    if (DecodePutRecordsJson(body, body.size() + req.body_padding, &batch)) {
      Status s = store_->PutRecords(batch.stream, batch.entries, &results);
      if (!s.ok()) {
        ReplyError(GatewayDialect::kKinesis, ErrorFromStatus(s, GatewayDialect::kKinesis), res);
        return;
      }
      res->status = 200;
      res->content_type = kAmzJsonType;
      res->body = EncodePutRecordsResponse(results);
      return;
    }
  }
  auto request = ParseRequestObject(body);
  if (!request.ok()) {
    ReplyError(GatewayDialect::kKinesis,
               {400, "SerializationException", request.status().message(), 1}, res);
    return;
  }
  auto response = api_->Call(action, *request);
  if (!response.ok()) {
    ReplyError(GatewayDialect::kKinesis,
               ErrorFromStatus(response.status(), GatewayDialect::kKinesis), res);
    return;
  }
  ReplyJson(200, *response, kAmzJsonType, res);
}

}  // namespace pinstream
