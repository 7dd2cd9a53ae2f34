#include "stream/kinesis_route.h"

#include <string>
#include <string_view>
#include <vector>

#include "common/json_limits.h"
#include "stream/cbor_body.h"
#include "stream/put_records_json.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

constexpr std::string_view kService = "Kinesis_20131202";
constexpr char kLegacyJsonType[] = "application/json";

// `X-Amz-Target: Service.Operation`, split as AWS does: at the dots, the first two parts.
struct Target {
  std::string_view service;
  std::string_view operation;
};

Target ParseTarget(std::string_view header) {
  const size_t dot = header.find('.');
  if (dot == std::string_view::npos) return {header, {}};
  std::string_view operation = header.substr(dot + 1);
  return {header.substr(0, dot), operation.substr(0, operation.find('.'))};
}

// AWS's XML answers to requests it cannot map to a service: no content type, as AWS sends them.
void ReplyXml(int status, std::string body, HttpResponse* res) {
  res->status = status;
  res->content_type.clear();
  res->body = std::move(body);
}

void ReplyAccessDenied(HttpResponse* res) {
  ReplyXml(403,
           "<AccessDeniedException>\n"
           "  <Message>Unable to determine service/operation name to be authorized</Message>\n"
           "</AccessDeniedException>\n",
           res);
}

// The legacy `application/json`: AWS parses the body and serves nothing, in Coral's envelope.
void ReplyLegacyJson(std::string_view body, HttpResponse* res) {
  const size_t first = body.find_first_not_of(" \t\r\n");
  const bool is_object = first != std::string_view::npos && body[first] == '{' &&
                         CheckJsonDepth(body).ok() && json::accept(body);
  const char* type = is_object ? "com.amazon.coral.service#UnknownOperationException"
                               : "com.amazon.coral.service#SerializationException";
  ReplyJson(is_object ? 404 : 400, {{"Output", {{"__type", type}}}, {"Version", "1.0"}},
            kLegacyJsonType, res);
}

// The request object of a JSON 1.1 body.
Result<json> ParseJsonRequest(std::string_view body) {
  // nlohmann's own parser is iterative, but what it builds is walked recursively later.
  RETURN_IF_ERROR(CheckJsonDepth(body));
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the request body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return j;
}

}  // namespace

void KinesisRoute::Handle(const HttpRequest& req, HttpResponse* res) {
  if (req.method != "POST") return ReplyAccessDenied(res);
  const std::string_view type = RawMediaTypeOf(req);
  const Target target = ParseTarget(req.Header("X-Amz-Target"));
  const bool known = target.service == kService && KinesisApi::HasAction(target.operation);
  const std::string_view body = req.Body();
  if (body.empty()) {
    const KinesisWire wire =
        MediaTypeIs(type, kAmzJsonType) ? KinesisWire::kJson : KinesisWire::kCbor;
    return ReplyKinesisError(
        wire, {400, known ? "SerializationException" : "UnknownOperationException", "", 0}, res);
  }
  KinesisWire wire = KinesisWire::kJson;
  if (MediaTypeIs(type, kAmzCborType)) {
    wire = KinesisWire::kCbor;
  } else if (MediaTypeIs(type, kLegacyJsonType)) {
    return ReplyLegacyJson(body, res);
  } else if (!MediaTypeIs(type, kAmzJsonType)) {
    if (target.service.empty() || target.operation.empty()) return ReplyAccessDenied(res);
    return ReplyXml(404, "<UnknownOperationException/>\n", res);
  }

  if (wire == KinesisWire::kJson && known && target.operation == "PutRecords" &&
      TryPutRecordsJson(req, res)) {
    return;
  }
  auto request = wire == KinesisWire::kCbor ? DecodeCborRequest(body) : ParseJsonRequest(body);
  // AWS names a body it cannot read by the error's type alone.
  if (!request.ok()) return ReplyKinesisError(wire, {400, "SerializationException", "", 0}, res);
  if (!known) return ReplyKinesisError(wire, {400, "UnknownOperationException", "", 0}, res);
  if (std::optional<HttpError> denied = authorize_(req)) {
    return ReplyKinesisError(wire, *denied, res);
  }
  auto response = api_->Call(target.operation, *request);
  if (!response.ok()) {
    return ReplyKinesisError(wire, ErrorFromStatus(response.status(), GatewayDialect::kKinesis),
                             res);
  }
  ReplyKinesis(wire, 200, *response, res);
}

bool KinesisRoute::TryPutRecordsJson(const HttpRequest& req, HttpResponse* res) {
  // A plain, valid batch goes to the store without a JSON DOM; anything else takes the general
  // path, which words the errors. The thread's decoded batch and results keep their buffers from
  // request to request.
  thread_local PutRecordsJson batch;
  thread_local std::vector<PutResult> results;
  const std::string_view body = req.Body();
  if (!DecodePutRecordsJson(body, body.size() + req.body_padding, &batch)) return false;
  if (std::optional<HttpError> denied = authorize_(req)) {
    ReplyKinesisError(KinesisWire::kJson, *denied, res);
    return true;
  }
  Status s = store_->PutRecords(batch.stream, batch.entries, &results);
  if (!s.ok()) {
    ReplyKinesisError(KinesisWire::kJson, ErrorFromStatus(s, GatewayDialect::kKinesis), res);
    return true;
  }
  res->status = 200;
  res->content_type = kAmzJsonType;
  res->body = EncodePutRecordsResponse(results);
  return true;
}

}  // namespace pinstream
