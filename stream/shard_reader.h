#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "stream/stream_client.h"

namespace pinstream {

// Reads one shard in order through GetRecords, keeping a few requests in flight so that the
// broker reads the next batch while the caller works on this one (the Kinesis Client
// Library's prefetching). Counters within a shard are dense, so where the read after a full
// batch starts can be predicted before its reply arrives; clients cannot make iterators (they are
// signed), so a speculative request names the last iterator the broker issued and how many
// records past it to start. Each reply's NextShardIterator is checked against the prediction the
// next request was sent with; on a mismatch (caught up, or the trim horizon moved) the
// speculative requests are dropped and reading resumes from the reply's iterator. Records are
// returned exactly once, in order.
//
// Borrows the client, which must outlive the reader and must carry no other requests while
// the reader has some in flight. Not thread-safe.
class ShardReader {
 public:
  struct Options {
    int limit = kMaxGetRecordsLimit;
    int prefetch = 2;  // requests in flight
  };

  ShardReader(StreamClient* client, std::string iterator, const Options& options);
  ShardReader(StreamClient* client, std::string iterator)
      : ShardReader(client, std::move(iterator), Options{}) {}

  // The next batch; empty records when the reader is caught up with the shard.
  Result<GetRecordsReply> Next();

  // The iterator after everything Next() has returned.
  const std::string& iterator() const { return iterator_; }

 private:
  Status Fill();
  void DropInFlight();
  // Drops the speculative requests and reads on from iterator_.
  void Resync();

  StreamClient* client_;
  Options options_;
  std::string iterator_;    // after the last batch returned
  std::string send_base_;   // an iterator the broker issued, that the next request names
  uint64_t send_skip_ = 0;  // and how many records past it the next request starts
  struct Request {
    uint64_t id;
    uint64_t start_counter;  // where the request reads from, to check predictions against
  };
  std::deque<Request> in_flight_;
  // Replies that overtook an earlier request (the broker's workers run them in parallel).
  std::map<uint64_t, StreamClient::Reply> early_;
};

}  // namespace pinstream
