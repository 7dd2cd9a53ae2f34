#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "stream/stream_store.h"

namespace pinstream {

// Kinesis's JSON API (the shapes of Kinesis_20131202) over a StreamStore: request objects in,
// response objects out, record data base64-encoded as on Kinesis's wire. The ZeroMQ broker
// serves it for control actions and the HTTP gateway for everything, so both speak one API.
//
// Borrows the store, which must outlive it. Thread-safe as the store is.
class KinesisApi {
 public:
  explicit KinesisApi(StreamStore* store) : store_(store) {}

  // Runs `action` (e.g. "PutRecords") on `request`; the response object or the error.
  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& request) const;

  // Whether Call() knows `action`; adapters answer an unknown one in their own protocol's terms.
  static bool HasAction(std::string_view action);

 private:
  Result<nlohmann::json> CreateStream(const nlohmann::json& req) const;
  Result<nlohmann::json> DeleteStream(const nlohmann::json& req) const;
  Result<nlohmann::json> DescribeStream(const nlohmann::json& req) const;
  Result<nlohmann::json> DescribeStreamSummary(const nlohmann::json& req) const;
  Result<nlohmann::json> ListStreams(const nlohmann::json& req) const;
  Result<nlohmann::json> ListShards(const nlohmann::json& req) const;
  Result<nlohmann::json> PutRecord(const nlohmann::json& req) const;
  Result<nlohmann::json> PutRecords(const nlohmann::json& req) const;
  Result<nlohmann::json> GetShardIterator(const nlohmann::json& req) const;
  Result<nlohmann::json> GetRecords(const nlohmann::json& req) const;

  // Resharding (kinesis_reshard.cc).
  Result<nlohmann::json> SplitShard(const nlohmann::json& req) const;
  Result<nlohmann::json> MergeShards(const nlohmann::json& req) const;
  Result<nlohmann::json> UpdateShardCount(const nlohmann::json& req) const;

  // The control plane, one file per concern (kinesis_tags.cc, kinesis_stream_settings.cc,
  // kinesis_consumers.cc); the stream's settings live in the store (StreamSettings).
  Result<nlohmann::json> AddTagsToStream(const nlohmann::json& req) const;
  Result<nlohmann::json> RemoveTagsFromStream(const nlohmann::json& req) const;
  Result<nlohmann::json> ListTagsForStream(const nlohmann::json& req) const;
  Result<nlohmann::json> TagResource(const nlohmann::json& req) const;
  Result<nlohmann::json> UntagResource(const nlohmann::json& req) const;
  Result<nlohmann::json> ListTagsForResource(const nlohmann::json& req) const;
  Result<nlohmann::json> ChangeRetention(const nlohmann::json& req, bool increase) const;
  Result<nlohmann::json> SetEncryption(const nlohmann::json& req, bool start) const;
  Result<nlohmann::json> SetMonitoring(const nlohmann::json& req, bool enable) const;
  Result<nlohmann::json> UpdateStreamMode(const nlohmann::json& req) const;
  Result<nlohmann::json> DescribeLimits(const nlohmann::json& req) const;
  Result<nlohmann::json> RegisterStreamConsumer(const nlohmann::json& req) const;
  Result<nlohmann::json> DescribeStreamConsumer(const nlohmann::json& req) const;
  Result<nlohmann::json> ListStreamConsumers(const nlohmann::json& req) const;
  Result<nlohmann::json> DeregisterStreamConsumer(const nlohmann::json& req) const;
  // CreateStream's StreamModeDetails and Tags as a new stream's settings.
  Result<StreamSettings> NewStreamSettings(const nlohmann::json& req) const;

  StreamStore* store_;
};

// The JSON shape of a shard ({"ShardId","HashKeyRange","SequenceNumberRange"}, and its parents
// once resharded).
nlohmann::json ShardToJson(const ShardDescription& shard);
// GetRecords's ChildShards entry ({"ShardId","ParentShards","HashKeyRange"}).
nlohmann::json ChildShardToJson(const ChildShard& child);

}  // namespace pinstream
