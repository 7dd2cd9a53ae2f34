#pragma once

#include <string>
#include <vector>
#include <zmq.hpp>

#include "stream/kinesis_api.h"
#include "stream/request_metrics.h"
#include "stream/stream_store.h"

namespace pinstream {

// Turns one wire request (the frames after the envelope: header, target, body) into its reply
// frames, calling the store directly for the binary data plane and KinesisApi for the rest.
// Never throws: a malformed request gets an InvalidArgument reply, and anything a request makes
// throw (a bug, an allocation failure) becomes an InternalFailure reply and a log line, so that
// no request can take the broker down.
//
// With `metrics`, every request is recorded there (transport "zmq").
//
// Borrows the store and the metrics, which must outlive it. Thread-safe: workers share one
// handler.
class RequestHandler {
 public:
  explicit RequestHandler(StreamStore* store, RequestMetrics* metrics = nullptr)
      : store_(store), api_(store), metrics_(metrics) {}

  std::vector<zmq::message_t> Handle(std::vector<zmq::message_t>& request) const;

 private:
  std::vector<zmq::message_t> Dispatch(std::vector<zmq::message_t>& request) const;
  void Record(const std::vector<zmq::message_t>& request, const std::vector<zmq::message_t>& reply,
              std::chrono::steady_clock::time_point start) const;

  StreamStore* store_;
  KinesisApi api_;
  RequestMetrics* metrics_;
};

}  // namespace pinstream
