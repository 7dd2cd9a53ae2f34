#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <zmq.hpp>

#include "runtime/shard_assignment.h"
#include "runtime/source.h"
#include "stream/stream_client.h"

namespace pinstream {

// A stream on a pinstream broker, read over ZeroMQ: one connection per shard, each read
// prefetched by a ShardReader.
//
// Data loss is found from what the broker tells: the stream's creation time is its incarnation
// (a stream deleted and created again has a new one); a checkpointed shard missing from
// ListShards is gone; and since a shard's counters are dense, a read that starts past the next
// expected record means the records between were trimmed before they were read (the broker
// moves a reader on to its trim horizon).
//
// With several instances (Options::split), only this instance's shards are opened (ShardOwner);
// a parent read by another instance does not hold its child back.
//
// Borrows the context, which must outlive the source and its shards.
class BrokerSource final : public Source {
 public:
  struct Options {
    std::string broker;  // the ZeroMQ endpoint
    std::string stream;
    IteratorPosition start;  // for shards without a checkpoint, and a new incarnation
    StreamClient::Options client;
    InstanceSplit split;  // which shards are this instance's; default: all
  };

  BrokerSource(zmq::context_t* ctx, Options options) : ctx_(ctx), options_(std::move(options)) {}

  const std::string& stream() const override { return options_.stream; }
  Result<Opened> Open(const Checkpoint& checkpoint) override;
  Result<std::vector<std::unique_ptr<ShardInput>>> OpenChildren(
      const Checkpoint& checkpoint) override;

 private:
  // Opens the shards of `shards` that are readable and not open yet; `offsets` are the stream's
  // checkpointed ones (none for a new incarnation).
  Result<std::vector<std::unique_ptr<ShardInput>>> OpenReady(
      const std::vector<ShardDescription>& shards,
      const std::map<std::string, std::string>& offsets, bool known_incarnation);

  zmq::context_t* ctx_;
  Options options_;
  std::unique_ptr<StreamClient> control_;  // for ListShards and GetShardIterator
  std::set<uint32_t> opened_;              // shards opened since Open
};

}  // namespace pinstream
