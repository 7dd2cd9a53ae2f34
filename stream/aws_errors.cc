#include "stream/aws_errors.h"

#include <ctime>
#include <string>

namespace pinstream {

namespace {

// " under account 000000000000", which most of AWS's Kinesis messages carry.
std::string UnderAccount() { return " under account " + std::string(kAccountId); }

// A time as AWS's iterator messages write it, Java's Date.toString in UTC: "Thu Jan 22 01:22:02
// UTC 2015".
std::string AmzUtcString(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm);
  return std::string(buf, n);
}

}  // namespace

Status StreamNotFound(std::string_view stream) {
  return Status::ResourceNotFound("Stream " + std::string(stream) + UnderAccount() + " not found.");
}

Status StreamInUse(std::string_view stream) {
  return Status::ResourceInUse("Stream " + std::string(stream) + UnderAccount() +
                               " already exists.");
}

Status ShardNotFound(std::string_view shard_id, std::string_view stream) {
  return Status::ResourceNotFound("Shard " + std::string(shard_id) + " in stream " +
                                  std::string(stream) + UnderAccount() + " does not exist");
}

Status ShardIdNotFound(std::string_view shard_id, std::string_view stream) {
  return Status::ResourceNotFound("Could not find shard " + std::string(shard_id) + " in stream " +
                                  std::string(stream) + UnderAccount() + ".");
}

Status IteratorStreamGone(std::string_view shard_id) {
  return Status::ResourceNotFound("Shard " + std::string(shard_id) + " in the iterator's stream" +
                                  UnderAccount() + " does not exist: the stream was deleted");
}

Status ConsumerNotFound(std::string_view consumer, std::string_view stream) {
  return Status::ResourceNotFound("Consumer " + std::string(consumer) + " under stream " +
                                  std::string(stream) + UnderAccount() + " not found.");
}

Status ConsumerInUse(std::string_view consumer, std::string_view stream) {
  return Status::ResourceInUse("Consumer " + std::string(consumer) + " under stream " +
                               std::string(stream) + " already exists for account " +
                               std::string(kAccountId) + ".");
}

Status StreamIncarnationNotFound(std::string_view stream) {
  return Status::ResourceNotFound("Stream " + std::string(stream) + UnderAccount() +
                                  " not found with the StreamCreationTimestamp given.");
}

Status InvalidShardIterator() { return Status::InvalidArgument("Invalid ShardIterator."); }

Status ExpiredShardIterator(int64_t created_ms, int64_t now_ms, int64_t lifetime_ms) {
  return Status::ExpiredIterator("Iterator expired. The iterator was created at time " +
                                 AmzUtcString(created_ms) + " while right now it is " +
                                 AmzUtcString(now_ms) +
                                 " which is further in the future than the tolerated delay of " +
                                 std::to_string(lifetime_ms) + " milliseconds.");
}

Status IteratorTypeMismatch(std::string_view type, bool has_sequence_number) {
  return Status::InvalidArgument(
      "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
      "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
      "Request specified " +
      std::string(type) + (has_sequence_number ? " and also a" : " and no") +
      " StartingSequenceNumber.");
}

Status InvalidStartingSequenceNumber(std::string_view sequence_number, std::string_view shard_id,
                                     std::string_view stream) {
  return Status::InvalidArgument("StartingSequenceNumber " + std::string(sequence_number) +
                                 " used in GetShardIterator on shard " + std::string(shard_id) +
                                 " in stream " + std::string(stream) + UnderAccount() +
                                 " is invalid.");
}

Status StartingSequenceNumberNotFromStream(std::string_view sequence_number,
                                           std::string_view shard_id, std::string_view stream) {
  return Status::InvalidArgument("StartingSequenceNumber " + std::string(sequence_number) +
                                 " used in GetShardIterator on shard " + std::string(shard_id) +
                                 " in stream " + std::string(stream) + UnderAccount() +
                                 " is invalid because it did not come from this stream.");
}

Status StartingSequenceNumberOfOtherShard(std::string_view encoded_shard_id,
                                          std::string_view shard_id) {
  return Status::InvalidArgument(
      "Invalid StartingSequenceNumber. It encodes " + std::string(encoded_shard_id) +
      ", while it was used in a call to a shard with " + std::string(shard_id));
}

Status TimestampMissing() {
  return Status::InvalidArgument(
      "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
      "request has no timestamp parameter.");
}

Status TimestampInFuture(int64_t timestamp_ms, int64_t now_ms) {
  return Status::InvalidArgument(
      "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
      "timestampInMillis: " +
      std::to_string(timestamp_ms) + ", currentTimestampInMillis: " + std::to_string(now_ms));
}

Status InvalidExplicitHashKey(std::string_view value) {
  return Status::InvalidArgument(
      "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified "
      "value was " +
      std::string(value));
}

Status InvalidSequenceNumberForOrdering(std::string_view sequence_number, std::string_view stream) {
  return Status::InvalidArgument("ExclusiveMinimumSequenceNumber " + std::string(sequence_number) +
                                 " used in PutRecord on stream " + std::string(stream) +
                                 UnderAccount() + " is invalid.");
}

Status ShardLimitExceeded(uint64_t current, uint64_t limit, uint64_t additional) {
  return Status::LimitExceeded(
      "This request would exceed the shard limit for the account " + std::string(kAccountId) +
      " in " + std::string(kRegion) + ". Current shard count for the account: " +
      std::to_string(current) + ". Limit: " + std::to_string(limit) +
      ". Number of additional shards that would have resulted from this request: " +
      std::to_string(additional) +
      ". Shard limit increases can be requested by submitting a case to the AWS Support Center "
      "at https://aws.amazon.com/support/createCase?type=service_limit_increase&"
      "serviceLimitIncreaseType=kinesis-limits.");
}

Status ConsumerLimitExceeded(std::string_view stream, uint64_t count) {
  return Status::LimitExceeded("Stream " + std::string(stream) + UnderAccount() + " already has " +
                               std::to_string(count) + " registered consumers, the limit.");
}

Status OnDemandStreamLimitExceeded(uint64_t current, uint64_t limit) {
  return Status::LimitExceeded(
      "This request would exceed the on-demand stream count limit for the account " +
      std::string(kAccountId) + " in " + std::string(kRegion) +
      ". Current on-demand stream count: " + std::to_string(current) +
      ". Limit: " + std::to_string(limit) + ".");
}

Status StreamNotActive(std::string_view stream, std::string_view state) {
  return Status::ResourceInUse("Stream " + std::string(stream) + UnderAccount() +
                               " not ACTIVE, instead in state " + std::string(state));
}

Status ShardAlreadyResharded(std::string_view shard_id, std::string_view stream,
                             std::string_view action) {
  return Status::InvalidArgument("Shard " + std::string(shard_id) + " in stream " +
                                 std::string(stream) + UnderAccount() +
                                 " has already been merged or split, and thus is not eligible "
                                 "for " +
                                 std::string(action) + ".");
}

Status SplitKeyOutOfRange(std::string_view key, std::string_view shard_id, std::string_view stream,
                          std::string_view starting_hash_key, std::string_view ending_hash_key) {
  return Status::InvalidArgument(
      "NewStartingHashKey " + std::string(key) + " used in SplitShard() on shard " +
      std::string(shard_id) + " in stream " + std::string(stream) + UnderAccount() +
      " is not both greater than one plus the shard's StartingHashKey " +
      std::string(starting_hash_key) + " and less than the shard's EndingHashKey " +
      std::string(ending_hash_key) + ".");
}

Status ShardsNotAdjacent(std::string_view shard_a, std::string_view shard_b,
                         std::string_view stream) {
  return Status::InvalidArgument("Shards " + std::string(shard_a) + " and " + std::string(shard_b) +
                                 " in stream " + std::string(stream) + UnderAccount() +
                                 " are not an adjacent pair of shards eligible for merging");
}

Status ShardCountChangeTooLarge(bool up, int64_t open_shards, int64_t target) {
  return Status::LimitExceeded(
      std::string(up ? "UpdateShardCount cannot scale up over double your current open shard "
                       "count."
                     : "UpdateShardCount cannot scale down below half your current open shard "
                       "count.") +
      " Current open shard count: " + std::to_string(open_shards) +
      " Target shard count: " + std::to_string(target));
}

}  // namespace pinstream
