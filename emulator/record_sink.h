#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace pinstream {

// Where the emulator's records go: a broker over ZeroMQ (BrokerSink) or the HTTP gateway
// (HttpSink). Not thread-safe: a sink belongs to the thread that emulates.
class RecordSink {
 public:
  struct Counts {
    uint64_t acked = 0;
    uint64_t failed = 0;  // refused for good, or out of retries
  };

  virtual ~RecordSink() = default;

  // Creates `stream` with `shards` shards unless it exists already.
  virtual Status EnsureStream(const std::string& stream, uint32_t shards) = 0;
  // Sends (or queues) one record; `data` is the row as JSON text. Fails only when the
  // destination cannot be reached at all; a record that is refused is counted as failed.
  virtual Status Put(const std::string& stream, std::string partition_key, std::string data) = 0;
  // Returns once every record put so far is acknowledged or failed.
  virtual Status Flush() = 0;

  // Records of `stream` acknowledged and failed so far (complete after Flush()).
  virtual Counts counts(const std::string& stream) const = 0;
  // Why the first failed record failed; OK while none has.
  virtual Status first_failure() const = 0;
  // "tcp://127.0.0.1:7400", "http://127.0.0.1:8080".
  virtual std::string destination() const = 0;
};

}  // namespace pinstream
