#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace pinstream {

// AWS's own words for Kinesis's errors, in one table: the texts people paste into a search box,
// so every layer (the store, KinesisApi's actions, the gateway's dialects) builds them here and
// nowhere else. Where AWS's exact wording is not documented, kinesalite's (which was recorded
// against AWS) is the reference. Stateless and thread-safe.

// The account and region that pinstream names in ARNs and messages: one machine is one account
// in one region.
inline constexpr std::string_view kAccountId = "000000000000";
inline constexpr std::string_view kRegion = "us-east-1";

// ResourceNotFoundException "Stream NAME under account 000000000000 not found."
Status StreamNotFound(std::string_view stream);
// ResourceInUseException "Stream NAME under account 000000000000 already exists."
Status StreamInUse(std::string_view stream);
// ResourceNotFoundException "Shard shardId-000000000009 in stream NAME under account
// 000000000000 does not exist": `shard_id` as AWS normalizes it (ShardIdFromIndex).
Status ShardNotFound(std::string_view shard_id, std::string_view stream);
// ResourceNotFoundException for a ShardId that names no shard at all ("Could not find shard X in
// stream NAME under account 000000000000."), `shard_id` as the request gave it.
Status ShardIdNotFound(std::string_view shard_id, std::string_view stream);
// ResourceNotFoundException "Consumer C under stream S under account 000000000000 not found."
Status ConsumerNotFound(std::string_view consumer, std::string_view stream);

// ResourceInUseException "Consumer C under stream S already exists for account 000000000000."
Status ConsumerInUse(std::string_view consumer, std::string_view stream);
// ResourceNotFoundException for a stream whose StreamCreationTimestamp is not the one a request
// gave (an earlier incarnation of the name).
Status StreamIncarnationNotFound(std::string_view stream);

// ResourceNotFoundException for an iterator whose stream was deleted since it was issued. AWS
// names the stream ("Shard S in stream NAME under account 000000000000 does not exist"); the
// store knows a deleted stream by its id only, so the name is left out.
Status IteratorStreamGone(std::string_view shard_id);
// InvalidArgumentException "Invalid ShardIterator.": a token that is not one, or was forged.
Status InvalidShardIterator();
// ExpiredIteratorException "Iterator expired. The iterator was created at time Thu Jan 22
// 01:22:02 UTC 2015 while right now it is ... which is further in the future than the tolerated
// delay of 300000 milliseconds."
Status ExpiredShardIterator(int64_t created_ms, int64_t now_ms, int64_t lifetime_ms);

// GetShardIterator's InvalidArgumentException when the type and StartingSequenceNumber do not
// go together: TRIM_HORIZON/LATEST/AT_TIMESTAMP with one (`has_sequence_number`), or
// AT_/AFTER_SEQUENCE_NUMBER without.
Status IteratorTypeMismatch(std::string_view type, bool has_sequence_number);
// InvalidArgumentException "StartingSequenceNumber N used in GetShardIterator on shard S in
// stream NAME under account 000000000000 is invalid." (not a sequence number at all).
Status InvalidStartingSequenceNumber(std::string_view sequence_number, std::string_view shard_id,
                                     std::string_view stream);
// InvalidArgumentException "... is invalid because it did not come from this stream."
Status StartingSequenceNumberNotFromStream(std::string_view sequence_number,
                                           std::string_view shard_id, std::string_view stream);
// InvalidArgumentException "Invalid StartingSequenceNumber. It encodes shardId-..., while it was
// used in a call to a shard with shardId-...".
Status StartingSequenceNumberOfOtherShard(std::string_view encoded_shard_id,
                                          std::string_view shard_id);
// InvalidArgumentException for an AT_TIMESTAMP iterator without a Timestamp, in kinesalite's
// words: "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current
// request has no timestamp parameter."
Status TimestampMissing();
// InvalidArgumentException for an AT_TIMESTAMP later than now ("The timestampInMillis parameter
// cannot be greater than the currentTimestampInMillis. ...").
Status TimestampInFuture(int64_t timestamp_ms, int64_t now_ms);

// InvalidArgumentException "Invalid ExplicitHashKey. ExplicitHashKey must be in the range:
// [0, 2^128-1]. Specified value was V": for PutRecords it fails the whole call, as AWS's does.
Status InvalidExplicitHashKey(std::string_view value);
// InvalidArgumentException "ExclusiveMinimumSequenceNumber N used in PutRecord on stream NAME
// under account 000000000000 is invalid.": a SequenceNumberForOrdering the stream never issued.
Status InvalidSequenceNumberForOrdering(std::string_view sequence_number, std::string_view stream);

// LimitExceededException for a CreateStream (or a reshard) past the account's shard limit.
Status ShardLimitExceeded(uint64_t current, uint64_t limit, uint64_t additional);
// LimitExceededException for a stream that has all the consumers it may have.
Status ConsumerLimitExceeded(std::string_view stream, uint64_t count);
// LimitExceededException for an ON_DEMAND stream past the account's limit of such streams.
Status OnDemandStreamLimitExceeded(uint64_t current, uint64_t limit);

// Resharding (SplitShard, MergeShards, UpdateShardCount), in kinesalite's words.
// ResourceInUseException "Stream NAME under account 000000000000 not ACTIVE, instead in state
// UPDATING".
Status StreamNotActive(std::string_view stream, std::string_view state);
// InvalidArgumentException for a shard that a reshard closed already; `action` is "splitting"
// or "merging".
Status ShardAlreadyResharded(std::string_view shard_id, std::string_view stream,
                             std::string_view action);
// InvalidArgumentException "NewStartingHashKey K used in SplitShard() on shard S in stream NAME
// under account 000000000000 is not both greater than one plus the shard's StartingHashKey A and
// less than the shard's EndingHashKey B."
Status SplitKeyOutOfRange(std::string_view key, std::string_view shard_id, std::string_view stream,
                          std::string_view starting_hash_key, std::string_view ending_hash_key);
// InvalidArgumentException "Shards A and B in stream NAME under account 000000000000 are not an
// adjacent pair of shards eligible for merging".
Status ShardsNotAdjacent(std::string_view shard_a, std::string_view shard_b,
                         std::string_view stream);
// LimitExceededException for an UpdateShardCount past double (`up`) or below half the stream's
// open shards.
Status ShardCountChangeTooLarge(bool up, int64_t open_shards, int64_t target);

}  // namespace pinstream
