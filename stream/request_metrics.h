#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/histogram.h"

namespace pinstream {

// Requests the stream service answered, per transport ("http", "zmq") and action (a Kinesis
// action such as "PutRecords", or "rest_proxy" and "kafka_rest" for the gateway's other
// dialects): how many, their latency, and the failures by error type (a Kinesis error name:
// "ProvisionedThroughputExceededException", "LimitExceededException", ...).
//
// Action names come from clients, so the caller names only actions the service knows and
// "unknown" for the rest: the set of series stays bounded whatever a client sends.
//
// Thread-safe. Recording an action seen before takes a shared lock and relaxed atomic adds.
class RequestMetrics {
 public:
  // Latency buckets from 100 us to about 13 s (factor 2.5), in seconds.
  RequestMetrics();
  ~RequestMetrics();

  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // `error_type` empty: the request succeeded.
  void Record(std::string_view transport, std::string_view action, std::string_view error_type,
              std::chrono::steady_clock::duration latency);

  struct Action {
    std::string transport;
    std::string action;
    uint64_t requests = 0;
    std::map<std::string, uint64_t> errors;  // by error type
    Histogram::Snapshot latency_seconds;
  };
  // Every transport and action recorded so far, in name order.
  std::vector<Action> Read() const;

 private:
  struct Slot;
  Slot* Find(std::string_view transport, std::string_view action);

  mutable std::shared_mutex mu_;
  // Keyed "transport\naction"; slots are never removed, so a pointer stays valid.
  std::map<std::string, std::unique_ptr<Slot>, std::less<>> slots_;  // GUARDED_BY(mu_)
};

}  // namespace pinstream
