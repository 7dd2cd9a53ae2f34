#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "stream/stream_client.h"

namespace pinstream {

// Batches records into PutRecords requests, keeps several in flight, and retries what failed:
// entries refused for throughput or internal reasons, and whole requests that timed out
// (delivery is at least once, as with the Kinesis Producer Library). Entries refused as
// invalid fail at once. The broker applies one connection's requests in the order sent, so
// records of a partition key keep their order while nothing is retried; a retry may reorder
// them, as with Kinesis.
//
// Borrows the client (its thread is the producer's thread), which must outlive the producer.
// Not thread-safe.
class Producer {
 public:
  struct Options {
    size_t max_batch_records = kMaxPutRecordsEntries;
    size_t max_batch_bytes = size_t{4} << 20;
    int max_in_flight = 4;
    int max_attempts = 20;
    std::chrono::milliseconds retry_backoff{50};
  };

  struct Stats {
    uint64_t acked = 0;
    uint64_t failed = 0;   // refused for good, or out of attempts
    uint64_t retried = 0;  // entry attempts beyond the first
    uint64_t requests = 0;
  };

  // Called once per record when it is acknowledged (status OK, with its sequence number) or
  // has failed for good.
  using Callback = std::function<void(std::string_view partition_key, std::string_view data,
                                      const Status& status, const SequenceNumber& seq)>;

  Producer(StreamClient* client, std::string stream, const Options& options,
           Callback on_done = nullptr);
  Producer(StreamClient* client, std::string stream)
      : Producer(client, std::move(stream), Options{}) {}

  // Queues a record, sending a batch when one is full. May block while the in-flight window is
  // full. Fails only when the broker cannot be reached at all.
  Status Put(std::string partition_key, std::string data);

  // Sends everything queued and waits until each record is acknowledged or failed.
  Status Flush();

  const Stats& stats() const { return stats_; }

 private:
  struct Pending {
    std::string partition_key;
    std::string data;
    int attempts = 0;
  };
  struct InFlight {
    std::vector<Pending> entries;
    std::chrono::steady_clock::time_point sent;
  };

  Status SendBatch();
  // Handles replies (and timeouts) until at most `max_in_flight` requests are outstanding.
  Status Drain(size_t max_in_flight);
  void Requeue(Pending&& p, const Status& why);
  void Finish(const Pending& p, const Status& status, const SequenceNumber& seq);

  StreamClient* client_;
  std::string stream_;
  Options options_;
  Callback on_done_;
  std::deque<Pending> queue_;
  size_t queued_bytes_ = 0;
  std::map<uint64_t, InFlight> in_flight_;
  Stats stats_;
};

}  // namespace pinstream
