#include "stream/gateway_reply.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "common/json_dump.h"
#include "stream/cbor_body.h"

namespace pinstream {

namespace {

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

}  // namespace

GatewayDialect DialectOfPath(std::string_view path) {
  if (path == "/") return GatewayDialect::kKinesis;
  if (path.rfind("/topics", 0) == 0) return GatewayDialect::kKafka;
  return GatewayDialect::kRest;
}

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

HttpError ErrorFromStatus(const Status& s, GatewayDialect dialect) {
  const int status =
      dialect == GatewayDialect::kKinesis ? KinesisStatusOf(s.code()) : RestStatusOf(s.code());
  std::string type =
      KinesisStatusOf(s.code()) == 500 ? "InternalFailure" : std::string(s.TypeName());
  return HttpError{status, std::move(type), s.message()};
}

void ReplyJson(int status, const nlohmann::json& body, const char* content_type,
               HttpResponse* res) {
  res->status = status;
  res->content_type = content_type;
  res->body = DumpJson(body);
}

void ReplyError(GatewayDialect dialect, const HttpError& e, HttpResponse* res) {
  // 503 is the transport refusing a connection past its cap: the server logs those in bulk.
  if (e.status >= 500 && e.status != 503)
    spdlog::warn("http gateway error status={} error={}", e.status, e.message);
  res->error_type = e.type;
  if (dialect == GatewayDialect::kKafka) {
    const int code = e.kafka_detail == 0 ? e.status : e.status * 100 + e.kafka_detail;
    ReplyJson(e.status, {{"error_code", code}, {"message", e.message}}, kKafkaV2Type, res);
    return;
  }
  ReplyJson(e.status, {{"__type", e.type}, {"message", e.message}},
            dialect == GatewayDialect::kKinesis ? kAmzJsonType : kJsonType, res);
}

std::string_view RawMediaTypeOf(const HttpRequest& req) {
  std::string_view type = req.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type;
}

bool MediaTypeIs(std::string_view raw, std::string_view type) {
  return HttpHeaderNameEquals(raw, type);  // the same ASCII case folding
}

KinesisWire KinesisWireOf(const HttpRequest& req) {
  return MediaTypeIs(RawMediaTypeOf(req), kAmzCborType) ? KinesisWire::kCbor : KinesisWire::kJson;
}

void ReplyKinesis(KinesisWire wire, int status, const nlohmann::json& body, HttpResponse* res) {
  if (wire == KinesisWire::kJson) return ReplyJson(status, body, kAmzJsonType, res);
  res->status = status;
  res->content_type = kAmzCborType;
  res->body = EncodeCborReply(body);
}

void ReplyKinesisError(KinesisWire wire, const HttpError& e, HttpResponse* res) {
  if (e.status >= 500 && e.status != 503)
    spdlog::warn("http gateway error status={} error={}", e.status, e.message);
  nlohmann::json body = {{"__type", e.type}};
  if (!e.message.empty()) body["message"] = e.message;
  ReplyKinesis(wire, e.status, body, res);
  res->error_type = e.type;
}

std::string MediaTypeOf(const HttpRequest& req) {
  std::string_view type = req.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string out(type);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace pinstream
