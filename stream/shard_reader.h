#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "stream/stream_client.h"

namespace pinstream {

// Reads one shard in order through GetRecords, keeping a few requests in flight so that the
// broker reads the next batch while the caller works on this one (the Kinesis Client
// Library's prefetching). Counters within a shard are dense, so where the read after a full
// batch starts can be predicted before its reply arrives; clients cannot make iterators (they are
// opaque and signed), so a speculative request names the last iterator the broker issued and how
// many records past it to start. Each reply says where its NextShardIterator reads from, which
// is checked against the prediction the next request was sent with; on a mismatch (caught up,
// or the trim horizon moved) the
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

  // The next batch; empty records when the reader is caught up with the shard. At a closed
  // shard's end the batch's meta.shard_end() holds (its children are ListShards's to tell), and
  // every later call returns an empty batch that says so again.
  Result<GetRecordsReply> Next();

  // The iterator after everything Next() has returned; empty at a closed shard's end.
  const std::string& iterator() const { return iterator_; }
  bool ended() const { return ended_; }

 private:
  Status Fill();
  void DropInFlight();
  // Drops the speculative requests and reads on from iterator_.
  void Resync();

  StreamClient* client_;
  Options options_;
  static constexpr uint64_t kUnknown = UINT64_MAX;

  std::string iterator_;                      // after the last batch returned
  std::optional<uint64_t> iterator_counter_;  // where iterator_ reads from, once a reply said
  bool ended_ = false;                        // a closed shard, read to its end
  uint32_t shard_index_ = 0;
  std::string send_base_;  // an iterator the broker issued, that the next request names
  std::optional<uint64_t> send_base_counter_;  // where it reads from, when known
  uint64_t send_skip_ = 0;  // and how many records past it the next request starts
  struct Request {
    uint64_t id;
    uint64_t start_counter;  // where the request reads from (kUnknown), to check predictions
  };
  std::deque<Request> in_flight_;
  // Replies that overtook an earlier request (the broker's workers run them in parallel).
  std::map<uint64_t, StreamClient::Reply> early_;
};

}  // namespace pinstream
