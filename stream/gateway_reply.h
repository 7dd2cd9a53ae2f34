#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stream/http_message.h"

namespace pinstream {

// How the HTTP gateway's three dialects answer: the media types, the mapping of a Status onto an
// HTTP status and an error type, and the error bodies. Shared by the routes and the router so
// that every route words an error the same way. Plain functions, thread-safe.

inline constexpr char kAmzJsonType[] = "application/x-amz-json-1.1";
inline constexpr char kAmzCborType[] = "application/x-amz-cbor-1.1";
inline constexpr char kJsonType[] = "application/json";
inline constexpr char kKafkaV2Type[] = "application/vnd.kafka.v2+json";

// The three dialects differ in how they report errors.
enum class GatewayDialect { kKinesis, kRest, kKafka };

// The dialect a request path belongs to: "/" Kinesis, "/topics..." Kafka, anything else REST.
GatewayDialect DialectOfPath(std::string_view path);

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
int KinesisStatusOf(Status::Code code);

// The dialect's HTTP status and Kinesis error type for a Status (the store's own failures are
// InternalFailure, as Kinesis calls them; the REST proxies answer 404 and 409 where they apply).
HttpError ErrorFromStatus(const Status& s, GatewayDialect dialect);

void ReplyJson(int status, const nlohmann::json& body, const char* content_type, HttpResponse* res);
void ReplyError(GatewayDialect dialect, const HttpError& e, HttpResponse* res);

// The media type of the request without parameters, lower case: "application/json".
std::string MediaTypeOf(const HttpRequest& req);

// The media type of the request without parameters or surrounding blanks, as sent (no copy):
// compare it with MediaTypeIs.
std::string_view RawMediaTypeOf(const HttpRequest& req);
// Whether a RawMediaTypeOf result is `type` (media types ignore case).
bool MediaTypeIs(std::string_view raw, std::string_view type);

// The two wires a Kinesis client speaks: JSON 1.1, or CBOR 1.1 (the Java SDKs'). A reply goes out
// in the request's wire.
enum class KinesisWire { kJson, kCbor };

// The wire of a Kinesis request by its Content-Type: CBOR for the CBOR type, JSON otherwise.
KinesisWire KinesisWireOf(const HttpRequest& req);

// A Kinesis reply object in the wire's encoding and content type (CBOR: see cbor_body.h).
void ReplyKinesis(KinesisWire wire, int status, const nlohmann::json& body, HttpResponse* res);

// A Kinesis error as AWS shapes it in either wire: {"__type","message"}, without "message" when
// it is empty (AWS words some errors by their type alone).
void ReplyKinesisError(KinesisWire wire, const HttpError& e, HttpResponse* res);

}  // namespace pinstream
