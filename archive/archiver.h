#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "archive/archive_line.h"
#include "archive/object_store.h"
#include "archive/object_uploader.h"
#include "archive/partition_writer.h"
#include "common/clock.h"
#include "stream/stream_client.h"

namespace pinstream {

class ShardReader;

// The S3 sink connector of pinstream: reads every shard of some streams from a broker (closed
// parents of a reshard included; each shard is a partition with its own series of objects)
// and writes them to an ObjectStore as archive_layout.h lays them out, rotating objects as
// RotationPolicy says.
//
// Exactly once with no state of its own: object names come from offsets, every object is
// written whole, and a start resumes each partition from the objects already there
// (archive_resume.h). A run killed at any instant and started again leaves no duplicate and no
// gap: an object being written when it died is either absent (and written again, with the same
// name, from the same records) or whole.
//
// Borrows the context and the store, which must outlive the archiver; opens one connection per
// shard (a ShardReader needs its own) and one for ListShards. While Run runs, the store is the
// uploader's (one thread of its own, by default). Not thread-safe: Run belongs to one thread.
class Archiver {
 public:
  struct Options {
    std::string broker;  // the ZeroMQ endpoint
    StreamClient::Options client;
    std::vector<std::string> streams;  // each is a topic of the archive
    RotationPolicy rotation;
    // Archive what is there now and return (every shard caught up), instead of running until
    // stopped.
    bool once = false;
    // How long to wait when every shard is caught up, and how often to look for new shards.
    std::chrono::milliseconds idle_wait{200};
    std::chrono::milliseconds relist_interval{5000};
    // Write objects from a thread of its own while the next records are read and encoded
    // (see ObjectUploader); off, every object is written before reading goes on.
    bool background_writes = true;
  };

  Archiver(zmq::context_t* ctx, ObjectStore* store, Options options, Clock* clock = Clock::Real());
  ~Archiver();

  // Archives until `stop` is requested (or, with once, until caught up), then writes the objects
  // it holds and returns. The first error stops it; what was written before it stays.
  Status Run(std::stop_token stop);

  // Per topic, what this run wrote.
  const std::map<std::string, ArchiveStats>& stats() const { return stats_; }

 private:
  struct Shard;
  struct Topic {
    std::map<uint32_t, uint64_t> resume;  // partition -> offset of the first record to archive
    std::set<uint32_t> opened;
  };

  // Opens the shards of `name` not opened yet; true when it opened any.
  Result<bool> OpenNewShards(const std::string& name, Topic* topic);
  Status FlushAll();

  zmq::context_t* ctx_;
  ObjectStore* store_;
  const Options options_;
  Clock* clock_;
  ArchiveLineEncoder encoder_;
  std::unique_ptr<ObjectUploader> uploader_;  // during Run
  std::unique_ptr<StreamClient> control_;
  std::map<std::string, Topic> topics_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::map<std::string, ArchiveStats> stats_;
};

}  // namespace pinstream
