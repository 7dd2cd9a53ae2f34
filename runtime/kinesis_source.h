#pragma once

#include <memory>
#include <set>
#include <string>

#include "common/aws_config.h"
#include "common/clock.h"
#include "runtime/shard_assignment.h"
#include "runtime/source.h"
#include "stream/kinesis_http_client.h"

namespace pinstream {

// A stream on any Kinesis endpoint (AWS, LocalStack, kinesalite, pinstream's HTTP gateway),
// read over AWS's JSON protocol (KinesisHttpClient). Each shard is read by a thread of its own
// that runs one GetRecords ahead of the processor, by AWS's rules for a shard: at most 5 calls
// and 2 MB a second (GetRecordsPacer); backoff with jitter on ProvisionedThroughputExceeded,
// LimitExceeded and 5xx answers; on ExpiredIterator a fresh iterator AFTER the last record
// read (else at the shard's start position). Offsets are the service's sequence numbers
// (ShardBatch::sequence_numbers), committed with the rows as the broker's are. A record at or
// before one already returned is dropped (some emulators' AFTER_SEQUENCE_NUMBER repeats it).
//
// Reshards: a shard's children are opened once it was read to its end (a GetRecords without a
// NextShardIterator) and every parent has been, and start at TRIM_HORIZON, as the KCL reads a
// lineage.
//
// Data loss, where Kinesis lets it be told:
//  - the stream was created again: its StreamCreationTimestamp (the incarnation) is not the
//    checkpoint's;
//  - a checkpointed shard is gone from ListShards (its records aged out before they were read);
//  - records trimmed by retention before they were read: Kinesis's sequence numbers are not
//    dense and an iterator AFTER a trimmed record reads from the trim horizon without a word,
//    so when a shard resumes from a checkpointed sequence number the source also reads the
//    shard's first record (TRIM_HORIZON, Limit 1): when that is past the checkpoint, the
//    checkpointed record itself was trimmed, and records after it may have been too. That is
//    reported as a gap (records_lost unknown) with the first record still there. It may be a
//    false alarm (the next record after the checkpoint can be that first one), never a silent
//    skip. A reader that falls more than the retention behind while its iterator stays fresh
//    is not detected.
//
// With several instances (Options::split), only this instance's shards are opened (ShardOwner);
// a parent read by another instance does not hold its child back.
//
// Not thread-safe (the processor's thread calls it); owns its clients and shard threads. The
// clock must outlive the source and its shards.
class KinesisSource final : public Source {
 public:
  struct Options {
    AwsConfig aws;  // the endpoint, region and credentials, resolved (ResolveAwsConfig)
    std::string stream;
    IteratorPosition start;  // for shards without a checkpoint, and a new incarnation
    Clock* clock = Clock::Real();
    InstanceSplit split;  // which shards are this instance's; default: all
  };

  explicit KinesisSource(Options options) : options_(std::move(options)) {}

  const std::string& stream() const override { return options_.stream; }
  Result<Opened> Open(const Checkpoint& checkpoint) override;
  Result<std::vector<std::unique_ptr<ShardInput>>> OpenChildren(
      const Checkpoint& checkpoint) override;

 private:
  Result<std::vector<std::unique_ptr<ShardInput>>> OpenReady(
      const std::vector<KinesisShard>& shards, const std::map<std::string, std::string>& offsets,
      bool known_incarnation);
  // The gap when the checkpointed record `after` of `shard` is older than its first record.
  Result<std::optional<DataGap>> FindTrimmed(const std::string& shard, const std::string& after);

  Options options_;
  std::unique_ptr<KinesisHttpClient> control_;  // ListShards, GetShardIterator
  std::set<std::string> opened_;                // shards opened since Open
};

// The shard index a Kinesis shard id stands for ("shardId-000000000007": 7); a stable hash
// of the id for ids of another form.
uint32_t KinesisShardIndex(const std::string& shard_id);

}  // namespace pinstream
