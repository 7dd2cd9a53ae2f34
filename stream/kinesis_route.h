#pragma once

#include <functional>
#include <optional>

#include "stream/gateway_reply.h"
#include "stream/http_message.h"
#include "stream/kinesis_api.h"
#include "stream/stream_store.h"

namespace pinstream {

// Kinesis's own protocol on `/`, answered as AWS answers it, so that AWS clients pointed at
// `--endpoint-url` work and see AWS's replies off the happy path too:
//
//   - `POST` with `X-Amz-Target: Kinesis_20131202.<Action>` and a body in JSON 1.1
//     (`application/x-amz-json-1.1`) or CBOR 1.1 (`application/x-amz-cbor-1.1`, the Java SDKs',
//     see cbor_body.h); the reply is in the request's wire. Errors are {"__type","message"} with
//     Kinesis's status codes.
//   - What AWS answers otherwise, in its order (kinesalite's captures of AWS), all before
//     authentication: a method other than POST is 403 with an XML AccessDeniedException; an empty
//     body 400 SerializationException (UnknownOperationException for an unknown target), in JSON
//     for a JSON 1.1 request and in CBOR for any other; another content type is 403
//     AccessDeniedException (XML) without a `Service.Operation` target, else 404
//     `<UnknownOperationException/>`; the legacy `application/json` gets Coral's envelope and no
//     action ({"Output":{"__type":"com.amazon.coral.service#..."},"Version":"1.0"}: 400
//     SerializationException for a body that is not an object, else 404
//     UnknownOperationException); a body that is not an object is 400 SerializationException; an
//     unknown service or action 400 UnknownOperationException. Only then is the request
//     authorized (`authorize`) and run.
//
// PutRecords in JSON, the gateway's bulk traffic, is decoded without a DOM
// (stream/put_records_json.h), in place when the request has kPutRecordsJsonPadding bytes of body
// padding; each calling thread keeps its decoded batch for the next request. CBOR goes through
// KinesisApi.
//
// Borrows the store and the API, which must outlive the route. Thread-safe if `authorize` is.
class KinesisRoute {
 public:
  // The error to answer a request with, or nullopt when it may run.
  using Authorizer = std::function<std::optional<HttpError>(const HttpRequest&)>;

  KinesisRoute(StreamStore* store, const KinesisApi* api, Authorizer authorize)
      : store_(store), api_(api), authorize_(std::move(authorize)) {}

  // `req` is any request to "/".
  void Handle(const HttpRequest& req, HttpResponse* res);

 private:
  // The fast path: true when it answered (a plain, valid batch), false to take the general path.
  bool TryPutRecordsJson(const HttpRequest& req, HttpResponse* res);

  StreamStore* const store_;
  const KinesisApi* const api_;
  const Authorizer authorize_;
};

}  // namespace pinstream
