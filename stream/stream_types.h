#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash_key.h"
#include "common/status.h"
#include "stream/stream_settings.h"

namespace pinstream {

// Kinesis's limits, enforced alike on every path into the store.
inline constexpr size_t kMaxPartitionKeyLength = 256;
inline constexpr size_t kMaxRecordDataBytes = size_t{1} << 20;
inline constexpr size_t kMaxPutRecordsEntries = 500;
inline constexpr size_t kMaxPutRecordsBytes = size_t{5} << 20;
inline constexpr int kMaxGetRecordsLimit = 10000;
inline constexpr size_t kMaxGetRecordsBytes = size_t{10} << 20;
inline constexpr uint32_t kDefaultShardLimit = 500;
inline constexpr uint32_t kMaxShardsPerStream = 1024;
inline constexpr int64_t kIteratorLifetimeMs = 5 * 60 * 1000;

// A record's position: its shard and its place in that shard (1, 2, ...), and when it arrived.
// Rendered as AWS's are, 56 decimal digits: "49", then the shard (10 digits), the counter (20),
// the arrival time in ms (13) and 11 reserved zeros. The width is fixed, so sequence numbers are
// unique in a stream, strictly increasing in a shard, and compare the same as text or numbers.
// Parse also reads the 38-digit numbers of earlier versions (2^124 + shard * 2^64 + counter),
// which checkpoints may hold; their arrival time reads as 0.
struct SequenceNumber {
  static constexpr size_t kDigits = 56;

  uint32_t shard_index = 0;
  uint64_t counter = 0;
  int64_t arrival_ms = 0;  // carried in the text; not part of the position

  std::string ToString() const;
  // ToString()'s text appended to `out`, for responses that hold hundreds of them.
  void AppendTo(std::string* out) const;
  static Result<SequenceNumber> Parse(std::string_view text);
  // Positions compare by shard and counter alone.
  bool operator==(const SequenceNumber& o) const {
    return shard_index == o.shard_index && counter == o.counter;
  }
  auto operator<=>(const SequenceNumber& o) const {
    if (auto c = shard_index <=> o.shard_index; c != 0) return c;
    return counter <=> o.counter;
  }
};

// A sequence number of any Kinesis service (pinstream's broker, kinesalite, AWS), as Kinesis's
// API takes one: a decimal without leading zeros of at most 129 digits ("0|([1-9]\d{0,128})").
// Other services' numbers are opaque, but those of one shard grow with each record, so two of one
// shard compare as numbers (CompareDecimals); pinstream's compare so too.
bool IsSequenceNumberText(std::string_view text);

// "shardId-000000000003" for shard 3.
std::string ShardIdFromIndex(uint32_t index);
// ShardIdFromIndex's text appended to `out`.
void AppendShardId(uint32_t index, std::string* out);
Result<uint32_t> ShardIndexFromId(std::string_view shard_id);

// One entry of a PutRecords request. The views are borrowed from the caller's buffers and must
// outlive the call that takes them.
struct PutEntry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<std::string_view> explicit_hash_key;  // decimal text, when given
};

// The outcome of one PutRecords entry: its position, or why it was refused.
struct PutResult {
  Status status;
  SequenceNumber sequence_number;
};

// A record as read from a shard; the views live as long as the buffer they point into.
struct RecordView {
  SequenceNumber sequence_number;
  int64_t arrival_ms = 0;  // ApproximateArrivalTimestamp
  std::string_view partition_key;
  std::string_view data;
};

struct ShardDescription {
  uint32_t index = 0;
  HashKey starting_hash_key = 0;
  HashKey ending_hash_key = 0;
  uint64_t first_counter = 1;  // the oldest record still retained (trim horizon)
  uint64_t last_counter = 0;   // the newest record; 0 when the shard is empty
  // The lineage a reshard leaves: a split's children name the split shard, a merge's child
  // names both (ParentShardId, AdjacentParentShardId).
  std::optional<uint32_t> parent;
  std::optional<uint32_t> adjacent_parent;
  // Set once a reshard closed the shard: its last counter (EndingSequenceNumber); nothing is
  // written to it after.
  std::optional<uint64_t> ending_counter;
  int64_t created_ms = 0;  // when the stream or the reshard made it
  int64_t closed_ms = 0;   // when a reshard closed it; 0 while open

  bool open() const { return !ending_counter.has_value(); }
};

// A shard that a closed shard's hash keys went to, as GetRecords reports at the parent's end.
struct ChildShard {
  uint32_t index = 0;
  std::vector<uint32_t> parents;
  HashKey starting_hash_key = 0;
  HashKey ending_hash_key = 0;
};

// Kinesis's stream states. A stream is CREATING, UPDATING (after a reshard or a mode change) or
// DELETING for as long as the store's Options delays say, so that waiters are exercised.
enum class StreamStatus { kCreating, kActive, kUpdating, kDeleting };
std::string_view StreamStatusName(StreamStatus status);

struct StreamDescription {
  std::string name;
  StreamStatus status = StreamStatus::kActive;
  uint32_t id = 0;  // never reused, so a re-created stream never sees a deleted one's records
  int64_t created_ms = 0;
  int64_t retention_ms = 0;  // the stream's own (settings.retention_ms, or the store's default)
  std::vector<ShardDescription> shards;  // every shard, open and closed, by index
  StreamSettings settings;

  size_t open_shard_count() const;
};

enum class IteratorType {
  kTrimHorizon,
  kLatest,
  kAtSequenceNumber,
  kAfterSequenceNumber,
  kAtTimestamp
};

Result<IteratorType> ParseIteratorType(std::string_view name);
std::string_view IteratorTypeName(IteratorType type);

// Where a GetShardIterator starts.
struct IteratorPosition {
  IteratorType type = IteratorType::kTrimHorizon;
  std::string sequence_number;  // AT_/AFTER_SEQUENCE_NUMBER
  int64_t timestamp_ms = 0;     // AT_TIMESTAMP
};

// "TYPE" or "TYPE:ARG" as the command line and topology files write a position, e.g.
// "TRIM_HORIZON", "AT_SEQUENCE_NUMBER:4955...", "AT_TIMESTAMP:2024-01-01T00:00:00Z" (the time
// may hold colons). A sequence number may be any service's (IsSequenceNumberText): the service
// judges it. FormatIteratorPosition writes what ParseIteratorPosition reads.
Result<IteratorPosition> ParseIteratorPosition(std::string_view text);
std::string FormatIteratorPosition(const IteratorPosition& pos);

// What a GetRecords returns besides the records themselves.
struct GetRecordsResult {
  std::string next_iterator;  // empty at a closed shard's end (Kinesis's null)
  // The counter the next iterator reads from. Iterators are opaque, so clients that predict
  // their next reads (ShardReader's prefetching) learn positions from here.
  uint64_t next_counter = 0;
  int64_t millis_behind_latest = 0;
  uint32_t shard_index = 0;
  // At a closed shard's end: where its hash keys went (GetRecords's ChildShards).
  std::vector<ChildShard> child_shards;

  bool shard_end() const { return next_iterator.empty(); }
};

// A shard's traffic since the store opened (not persisted: counters restart with the process,
// as Prometheus expects of counters), as CloudWatch's enhanced shard-level Kinesis metrics count
// it. Bytes are a record's data and partition key, what counts against the 5 MiB a request.
struct ShardMetrics {
  std::string stream;
  std::string shard_id;
  bool open = true;
  uint64_t incoming_records = 0;
  uint64_t incoming_bytes = 0;
  uint64_t get_records_calls = 0;
  uint64_t outgoing_records = 0;
  uint64_t outgoing_bytes = 0;
  // GetRecords.IteratorAgeMilliseconds: at the last GetRecords, how long before it the last
  // record it returned had arrived; 0 when it returned none (caught up).
  int64_t iterator_age_ms = 0;
  uint64_t trimmed_records = 0;   // moved past by retention
  uint64_t retained_records = 0;  // readable now: from the trim horizon to the newest
};

// Checks a stream name as Kinesis does: 1..128 characters of [a-zA-Z0-9_.-].
Status ValidateStreamName(std::string_view name);

}  // namespace pinstream
