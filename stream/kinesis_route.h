#pragma once

#include <atomic>
#include <cstdint>

#include "stream/http_message.h"
#include "stream/kinesis_api.h"
#include "stream/stream_store.h"

namespace pinstream {

// Kinesis JSON 1.1 (`POST /` with `X-Amz-Target: Kinesis_20131202.<Action>`), so that AWS clients
// pointed at `--endpoint-url` work. Errors are `{"__type","message"}` with Kinesis's status codes;
// an unknown action is 400 UnknownOperationException, a body that is not JSON (or nests deeper
// than kMaxJsonDepth) 400 SerializationException. Every response carries x-amzn-RequestId.
//
// PutRecords, the gateway's bulk traffic, is decoded without a DOM (stream/put_records_json.h),
// in place when the request has kPutRecordsJsonPadding bytes of body padding; each calling thread
// keeps its decoded batch for the next request.
//
// Borrows the store and the API, which must outlive the route. Thread-safe.
class KinesisRoute {
 public:
  KinesisRoute(StreamStore* store, const KinesisApi* api) : store_(store), api_(api) {}

  // `req` is a POST to "/" that the router has authorized.
  void Handle(const HttpRequest& req, HttpResponse* res);

 private:
  StreamStore* const store_;
  const KinesisApi* const api_;
  std::atomic<uint64_t> next_request_id_{1};
};

}  // namespace pinstream
