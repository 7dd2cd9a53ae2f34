#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_config.h"
#include "common/result.h"
#include "stream/stream_types.h"

namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace pinstream {

// A shard as ListShards describes it. Sequence numbers are the service's opaque decimal text.
struct KinesisShard {
  std::string shard_id;
  std::string parent;           // ParentShardId; empty when none
  std::string adjacent_parent;  // AdjacentParentShardId (a merge's second parent)
  std::string starting_sequence;
  std::string ending_sequence;    // set once a reshard closed the shard
  HashKey starting_hash_key = 0;  // HashKeyRange.StartingHashKey

  bool open() const { return ending_sequence.empty(); }
};

struct KinesisStreamSummary {
  std::string status;      // CREATING, ACTIVE, UPDATING, DELETING
  int64_t created_ms = 0;  // StreamCreationTimestamp: the stream's incarnation
  int open_shards = 0;
};

// One GetRecords answer, its data base64-decoded.
struct KinesisRecords {
  // Views into `buffer`. RecordView::sequence_number is not the service's: its text is in
  // `sequence_numbers`, one per record.
  std::vector<RecordView> records;
  std::vector<std::string> sequence_numbers;
  std::shared_ptr<const void> buffer;
  // Absent: a closed shard read to its end (its children, when the service names them, are
  // in `child_shards`).
  std::optional<std::string> next_iterator;
  int64_t millis_behind = 0;
  std::vector<std::string> child_shards;
  size_t bytes = 0;  // decoded data and partition keys: what counts against 2 MB/s
};

// One PutRecords entry's outcome: its sequence number, or the service's error type.
struct KinesisPutResult {
  std::string sequence_number;
  Status status;
};

// A client of the Kinesis JSON 1.1 protocol (POST / with X-Amz-Target: Kinesis_20131202.<Op>)
// over libcurl, on any Kinesis endpoint: AWS's, LocalStack, kinesalite, pinstream's gateway.
// Requests are signed with libcurl's SigV4 (CURLOPT_AWS_SIGV4 "aws:amz:<region>:kinesis") when
// the config has credentials, unsigned otherwise.
//
// Errors come back as Status with the Kinesis error type's code (Status::CodeFromTypeName);
// a request that got no answer, or a 5xx without a known type, is Unavailable. The calls do not
// retry: pacing and backoff are the caller's (GetRecords has its own rules), except
// CallWithRetry.
//
// Owns one curl handle (one keep-alive connection). Not thread-safe: a client belongs to one
// thread.
class KinesisHttpClient {
 public:
  static Result<std::unique_ptr<KinesisHttpClient>> Open(AwsConfig config);
  ~KinesisHttpClient();
  KinesisHttpClient(const KinesisHttpClient&) = delete;
  KinesisHttpClient& operator=(const KinesisHttpClient&) = delete;

  const AwsConfig& config() const { return config_; }

  // One request: `action` is the operation's name ("ListShards"); the answer's JSON body.
  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& request);
  // Call, retried with capped exponential backoff and jitter while the failure may pass
  // (throughput and limit errors, 5xx, no answer), up to `attempts` times. For control-plane
  // calls, which AWS limits to a few a second per account.
  Result<nlohmann::json> CallWithRetry(std::string_view action, const nlohmann::json& request,
                                       int attempts = 8);

  Result<KinesisStreamSummary> DescribeStreamSummary(const std::string& stream);
  // Every shard of the stream, following NextToken.
  Result<std::vector<KinesisShard>> ListShards(const std::string& stream);
  // A TRIM_HORIZON, LATEST, AT_/AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP iterator.
  Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard_id,
                                       const IteratorPosition& position);
  Result<KinesisRecords> GetRecords(const std::string& iterator, int limit);
  // CreateStream, then DescribeStreamSummary until ACTIVE (up to `wait_ms`); OK when the
  // stream exists already.
  Status EnsureStream(const std::string& stream, int shards, int64_t wait_ms = 60000);
  // One PutRecords call (at most 500 entries, 5 MiB); a result per entry, in order.
  struct PutEntry {
    std::string partition_key;
    std::string data;  // raw bytes; sent base64-encoded
  };
  Result<std::vector<KinesisPutResult>> PutRecords(const std::string& stream,
                                                   const std::vector<PutEntry>& entries);

 private:
  KinesisHttpClient(AwsConfig config, void* curl);
  // One request; the answer's body as it came (a 2xx), else the error.
  Result<std::string> Post(std::string_view action, const nlohmann::json& request);

  AwsConfig config_;
  void* curl_;         // CURL*
  std::string sigv4_;  // "aws:amz:<region>:kinesis", kept alive for the handle
  // GetRecords answers are the records' hot path (up to 10,000 records a call, base64): read
  // with simdjson, its buffers reused call to call.
  std::unique_ptr<simdjson::dom::parser> parser_;
};

// The Status of a Kinesis error answer: `__type` (namespace dropped) mapped by
// Status::CodeFromTypeName, else derived from the HTTP status (5xx: Unavailable).
Status KinesisErrorStatus(long http_status, std::string_view body);

// Whether a failed Kinesis call may succeed when tried again later.
bool IsRetryableKinesisError(const Status& status);

// Orders two Kinesis sequence numbers (decimal text without leading zeros, up to 128 digits):
// negative, zero or positive as `a` is before, at or after `b`.
int CompareKinesisSequenceNumbers(std::string_view a, std::string_view b);

}  // namespace pinstream
