#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "stream/reshard_plan.h"
#include "stream/stream_types.h"

namespace pinstream {

// The sharded stream service's core: Kinesis's actions over a RocksDB store. The ZeroMQ broker
// and the HTTP gateway are thin adapters over this one class.
//
// Records live in their own column family under (stream id, shard, counter) keys, written with
// the WAL on: a PutRecords that returned has reached the operating system and survives kill -9
// of the process (`sync` makes it survive power loss too). The records family uses FIFO
// compaction: a shard is an append-only log, so whole files age out, as Kafka's segments do,
// while retention is enforced exactly by a per-shard trim horizon that readers never pass.
//
// Shard iterators are signed under a secret kept in the store (see IteratorSigner): only tokens
// this store issued are read.
//
// A write that fails (a full disk, an I/O error) fails every write after it with Unavailable, a
// type clients retry, while reads go on; each later write first tries to resume the database
// (RocksDB's DB::Resume, at most once a second), so writes come back by themselves once the
// cause is gone. Nothing acknowledged is lost: an acknowledged write had reached the WAL.
//
// Thread-safe: any number of threads may call any method concurrently. Writes are serialized,
// so a record becomes visible only after every record before it in its shard.
class StreamStore {
 public:
  struct Options {
    std::string path;  // the RocksDB directory; created when missing
    // Records older than this are trimmed: the retention of a stream that sets none of its own.
    int64_t retention_ms = 24 * 3600 * 1000;
    bool sync = false;             // fsync the WAL on every write
    Clock* clock = Clock::Real();  // borrowed; must outlive the store
    size_t write_buffer_bytes = size_t{128} << 20;
    // The account's shard limit, as AWS's per-region quota (500 in us-east-1): a CreateStream
    // that would take the open shards of all streams past it is LimitExceeded.
    uint32_t shard_limit = kDefaultShardLimit;
    // How long a stream is CREATING, UPDATING after a reshard or a mode change, and DELETING
    // (listed, but gone for reads and writes), as AWS's take a while; 0: at once.
    int64_t create_stream_ms = 0;
    int64_t update_stream_ms = 0;
    int64_t delete_stream_ms = 0;
    // How long a shard iterator stays valid after its issue (Kinesis: five minutes).
    int64_t iterator_lifetime_ms = kIteratorLifetimeMs;
    // Count each shard's traffic for Metrics(); off, the counters stay 0 (to measure their cost).
    bool count_traffic = true;
  };

  // Called once per record by GetRecords; the views are valid only during the call.
  using RecordVisitor = std::function<void(const RecordView&)>;

  static Result<std::unique_ptr<StreamStore>> Open(const Options& options);
  ~StreamStore();

  StreamStore(const StreamStore&) = delete;
  StreamStore& operator=(const StreamStore&) = delete;

  Status CreateStream(std::string_view name, uint32_t shard_count);
  // A stream that starts with `settings` (a retention_ms of 0 takes Options::retention_ms).
  Status CreateStream(std::string_view name, uint32_t shard_count, const StreamSettings& settings);
  Status DeleteStream(std::string_view name);
  // The stream's shards and its settings (StreamDescription::settings).
  Result<StreamDescription> DescribeStream(std::string_view name) const;
  std::vector<std::string> ListStreams() const;

  // Changes a stream's settings: `update` gets a copy of them and may refuse with a Status, which
  // is returned. Atomic against other updates and durable before it returns. A new retention
  // applies from the next TrimExpired on.
  using SettingsUpdate = std::function<Status(StreamSettings*)>;
  Status UpdateStreamSettings(std::string_view name, const SettingsUpdate& update);

  // Reshards `stream`: `planner` gets the stream's description and returns the plan (or refuses
  // with a Status, which is returned), which is applied atomically and durably. The stream must
  // be ACTIVE (ResourceInUse otherwise); the account's shard limit counts the shards it opens.
  // Closed shards keep their records until retention trims them, and stay listed.
  using ReshardPlanner = std::function<Result<ReshardPlan>(const StreamDescription&)>;
  Status Reshard(std::string_view name, const ReshardPlanner& planner);

  // Appends `entries` to `stream`, routing each by MD5(partition key) or its explicit hash key.
  // Fills `results` with one PutResult per entry: an invalid entry fails alone and the others
  // are written. Returns non-OK only when the request as a whole is refused (no such stream,
  // too many entries, too many bytes) or the write could not be persisted.
  Status PutRecords(std::string_view stream, std::span<const PutEntry> entries,
                    std::vector<PutResult>* results);

  Result<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                       const IteratorPosition& position) const;

  // Reads up to `limit` records at `iterator`, in order, calling `visit` for each, and stops
  // before a record that would take the call past kMaxGetRecordsBytes. `skip` starts the read
  // that many records past the iterator's position: a client that prefetches predicts its next
  // reads this way, since it cannot make iterators. A position past the shard's newest record
  // reads nothing yet, so a client must only follow a reply that starts where its previous one
  // ended (ShardReader checks this).
  Result<GetRecordsResult> GetRecords(std::string_view iterator, int limit,
                                      const RecordVisitor& visit, uint64_t skip = 0) const;

  // Moves every shard's trim horizon past the records older than its stream's retention period.
  // The broker calls this periodically; tests call it after moving their clock.
  Status TrimExpired();

  // Every shard of every stream (not those deleted), by stream name and shard index.
  std::vector<ShardMetrics> Metrics() const;

  const Options& options() const { return options_; }

 private:
  struct Impl;
  StreamStore(const Options& options, std::unique_ptr<Impl> impl);

  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinstream
