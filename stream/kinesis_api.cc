#include "stream/kinesis_api.h"

#include <algorithm>
#include <cmath>

#include "common/base64.h"
#include "common/time_format.h"
#include "stream/aws_errors.h"
#include "stream/kinesis_request.h"
#include "stream/kinesis_validation.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

// 9999-12-31T23:59:59Z, the last instant an ISO-8601 timestamp can write.
constexpr double kMaxTimestampSeconds = 253402300799.0;

}  // namespace

json ShardToJson(const ShardDescription& shard) {
  json range = {
      {"StartingSequenceNumber", SequenceNumber{shard.index, 0, shard.created_ms}.ToString()}};
  if (shard.ending_counter) {
    range["EndingSequenceNumber"] =
        SequenceNumber{shard.index, *shard.ending_counter, shard.closed_ms}.ToString();
  }
  json out = {{"ShardId", ShardIdFromIndex(shard.index)},
              {"HashKeyRange",
               {{"StartingHashKey", HashKeyToString(shard.starting_hash_key)},
                {"EndingHashKey", HashKeyToString(shard.ending_hash_key)}}},
              {"SequenceNumberRange", std::move(range)}};
  if (shard.parent) out["ParentShardId"] = ShardIdFromIndex(*shard.parent);
  if (shard.adjacent_parent)
    out["AdjacentParentShardId"] = ShardIdFromIndex(*shard.adjacent_parent);
  return out;
}

json ChildShardToJson(const ChildShard& child) {
  json parents = json::array();
  for (uint32_t p : child.parents) parents.push_back(ShardIdFromIndex(p));
  return {{"ShardId", ShardIdFromIndex(child.index)},
          {"ParentShards", std::move(parents)},
          {"HashKeyRange",
           {{"StartingHashKey", HashKeyToString(child.starting_hash_key)},
            {"EndingHashKey", HashKeyToString(child.ending_hash_key)}}}};
}

bool KinesisApi::HasAction(std::string_view action) {
  static constexpr std::string_view kActions[] = {
      "PutRecords", "GetRecords", "PutRecord", "GetShardIterator", "CreateStream", "DeleteStream",
      "DescribeStream", "DescribeStreamSummary", "ListStreams", "ListShards",
      // The control plane (kinesis_tags.cc, kinesis_stream_settings.cc, kinesis_consumers.cc).
      "AddTagsToStream", "RemoveTagsFromStream", "ListTagsForStream", "TagResource",
      "UntagResource", "ListTagsForResource", "IncreaseStreamRetentionPeriod",
      "DecreaseStreamRetentionPeriod", "StartStreamEncryption", "StopStreamEncryption",
      "EnableEnhancedMonitoring", "DisableEnhancedMonitoring", "UpdateStreamMode", "DescribeLimits",
      "RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
      "DeregisterStreamConsumer",
      // Resharding (kinesis_reshard.cc).
      "SplitShard", "MergeShards", "UpdateShardCount"};
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

Result<json> KinesisApi::Call(std::string_view action, const json& request) const {
  if (!request.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  // AWS's order: every member's type (SerializationException), then every constraint
  // (ValidationException), and only then the action, which checks existence and state.
  RETURN_IF_ERROR(ValidateKinesisRequest(action, request));
  try {
    if (action == "PutRecords") return PutRecords(request);
    if (action == "GetRecords") return GetRecords(request);
    if (action == "PutRecord") return PutRecord(request);
    if (action == "GetShardIterator") return GetShardIterator(request);
    if (action == "CreateStream") return CreateStream(request);
    if (action == "DeleteStream") return DeleteStream(request);
    if (action == "DescribeStream") return DescribeStream(request);
    if (action == "DescribeStreamSummary") return DescribeStreamSummary(request);
    if (action == "ListStreams") return ListStreams(request);
    if (action == "ListShards") return ListShards(request);
    if (action == "AddTagsToStream") return AddTagsToStream(request);
    if (action == "RemoveTagsFromStream") return RemoveTagsFromStream(request);
    if (action == "ListTagsForStream") return ListTagsForStream(request);
    if (action == "TagResource") return TagResource(request);
    if (action == "UntagResource") return UntagResource(request);
    if (action == "ListTagsForResource") return ListTagsForResource(request);
    if (action == "IncreaseStreamRetentionPeriod") return ChangeRetention(request, true);
    if (action == "DecreaseStreamRetentionPeriod") return ChangeRetention(request, false);
    if (action == "StartStreamEncryption") return SetEncryption(request, true);
    if (action == "StopStreamEncryption") return SetEncryption(request, false);
    if (action == "EnableEnhancedMonitoring") return SetMonitoring(request, true);
    if (action == "DisableEnhancedMonitoring") return SetMonitoring(request, false);
    if (action == "UpdateStreamMode") return UpdateStreamMode(request);
    if (action == "DescribeLimits") return DescribeLimits(request);
    if (action == "RegisterStreamConsumer") return RegisterStreamConsumer(request);
    if (action == "DescribeStreamConsumer") return DescribeStreamConsumer(request);
    if (action == "ListStreamConsumers") return ListStreamConsumers(request);
    if (action == "DeregisterStreamConsumer") return DeregisterStreamConsumer(request);
    if (action == "SplitShard") return SplitShard(request);
    if (action == "MergeShards") return MergeShards(request);
    if (action == "UpdateShardCount") return UpdateShardCount(request);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("malformed request: ") + e.what());
  }
  return Status::InvalidArgument("unknown action '" + std::string(action) + "'");
}

Result<json> KinesisApi::CreateStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(StreamSettings settings, NewStreamSettings(req));
  ASSIGN_OR_RETURN(int64_t shards, OptionalInt(req, "ShardCount", 1));
  // An ON_DEMAND stream sizes itself, as AWS's does.
  if (settings.mode == StreamMode::kOnDemand) shards = kOnDemandInitialShards;
  if (shards < 1) return Status::InvalidArgument("ShardCount must be at least 1");
  if (shards > kMaxShardsPerStream) {
    return Status::LimitExceeded("ShardCount " + std::to_string(shards) + " exceeds the limit of " +
                                 std::to_string(kMaxShardsPerStream));
  }
  RETURN_IF_ERROR(store_->CreateStream(name, static_cast<uint32_t>(shards), settings));
  return json::object();
}

Result<json> KinesisApi::DeleteStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  RETURN_IF_ERROR(store_->DeleteStream(name));
  return json::object();
}

namespace {

// Owns the decoded bytes that a PutEntry's views point into.
struct DecodedEntry {
  std::string data;
  PutEntry entry;
  Status status;
};

DecodedEntry DecodeEntry(const json& e) {
  DecodedEntry out;
  if (!e.is_object()) {
    out.status = Status::InvalidArgument("each record must be an object");
    return out;
  }
  auto pk = RequiredString(e, "PartitionKey");
  auto data = RequiredString(e, "Data");
  if (!pk.ok()) {
    out.status = pk.status();
    return out;
  }
  if (!data.ok()) {
    out.status = data.status();
    return out;
  }
  auto bytes = Base64Decode(*data);
  if (!bytes.ok()) {
    out.status = bytes.status().WithContext("Data");
    return out;
  }
  out.data = std::move(bytes).value();
  out.entry.partition_key = *pk;
  if (auto it = e.find("ExplicitHashKey"); it != e.end() && !it->is_null()) {
    if (!it->is_string()) {
      out.status = Status::InvalidArgument("ExplicitHashKey must be a string");
      return out;
    }
    out.entry.explicit_hash_key = std::string_view(it->get_ref<const std::string&>());
  }
  return out;
}

// AWS fails a whole PutRecord(s) call for an ExplicitHashKey past 2^128-1 (the model's pattern
// lets 39 digits through), once it knows the stream exists.
Status CheckExplicitHashKeys(const StreamStore& store, std::string_view stream,
                             std::span<const DecodedEntry> entries) {
  for (const auto& d : entries) {
    if (!d.status.ok() || !d.entry.explicit_hash_key) continue;
    if (ParseHashKey(*d.entry.explicit_hash_key).ok()) continue;
    RETURN_IF_ERROR(store.DescribeStream(stream).status());
    return InvalidExplicitHashKey(*d.entry.explicit_hash_key);
  }
  return Status::OK();
}

// A SequenceNumberForOrdering must be one the stream issued, as AWS checks it (it orders
// nothing here: a shard's records are ordered by arrival, which already follows it).
Status CheckSequenceNumberForOrdering(const StreamStore& store, std::string_view stream,
                                      const json& req) {
  auto it = req.find("SequenceNumberForOrdering");
  if (it == req.end() || it->is_null()) return Status::OK();
  const std::string& text = it->get_ref<const std::string&>();
  ASSIGN_OR_RETURN(StreamDescription d, store.DescribeStream(stream));
  auto seq = SequenceNumber::Parse(text);
  const bool issued = seq.ok() && std::any_of(d.shards.begin(), d.shards.end(), [&](const auto& s) {
                        return s.index == seq->shard_index && seq->counter <= s.last_counter;
                      });
  if (!issued) return InvalidSequenceNumberForOrdering(text, stream);
  return Status::OK();
}

json PutResultToJson(const PutResult& r) {
  if (!r.status.ok()) {
    return {{"ErrorCode", r.status.TypeName()}, {"ErrorMessage", r.status.message()}};
  }
  return {{"SequenceNumber", r.sequence_number.ToString()},
          {"ShardId", ShardIdFromIndex(r.sequence_number.shard_index)}};
}

}  // namespace

Result<json> KinesisApi::PutRecord(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  DecodedEntry d = DecodeEntry(req);
  RETURN_IF_ERROR(d.status);
  d.entry.data = d.data;
  RETURN_IF_ERROR(CheckExplicitHashKeys(*store_, name, std::span(&d, 1)));
  RETURN_IF_ERROR(CheckSequenceNumberForOrdering(*store_, name, req));
  std::vector<PutResult> results;
  RETURN_IF_ERROR(store_->PutRecords(name, std::span(&d.entry, 1), &results));
  RETURN_IF_ERROR(results[0].status);
  json out = PutResultToJson(results[0]);
  out["EncryptionType"] = "NONE";
  return out;
}

Result<json> KinesisApi::PutRecords(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  auto records = req.find("Records");
  if (records == req.end() || !records->is_array()) {
    return Status::InvalidArgument("Records is required and must be an array");
  }
  if (records->size() > kMaxPutRecordsEntries) {
    return Status::InvalidArgument("Records has " + std::to_string(records->size()) +
                                   " entries; the limit is 500");
  }
  // Entries that fail to decode are reported in place; the rest go to the store together.
  std::vector<DecodedEntry> decoded;
  decoded.reserve(records->size());
  for (const auto& e : *records) decoded.push_back(DecodeEntry(e));
  RETURN_IF_ERROR(CheckExplicitHashKeys(*store_, name, decoded));
  std::vector<PutEntry> valid;
  std::vector<size_t> valid_index;
  for (size_t i = 0; i < decoded.size(); ++i) {
    if (!decoded[i].status.ok()) continue;
    decoded[i].entry.data = decoded[i].data;
    valid.push_back(decoded[i].entry);
    valid_index.push_back(i);
  }
  std::vector<PutResult> results(decoded.size());
  for (size_t i = 0; i < decoded.size(); ++i) results[i].status = decoded[i].status;
  if (!valid.empty()) {
    std::vector<PutResult> stored;
    RETURN_IF_ERROR(store_->PutRecords(name, valid, &stored));
    for (size_t k = 0; k < stored.size(); ++k) results[valid_index[k]] = std::move(stored[k]);
  } else if (decoded.empty()) {
    return Status::InvalidArgument("Records must contain at least one entry");
  } else if (!store_->DescribeStream(name).ok()) {
    return StreamNotFound(name);
  }
  json out_records = json::array();
  int failed = 0;
  for (const auto& r : results) {
    failed += !r.status.ok();
    out_records.push_back(PutResultToJson(r));
  }
  return json{{"FailedRecordCount", failed},
              {"Records", std::move(out_records)},
              {"EncryptionType", "NONE"}};
}

Result<json> KinesisApi::GetShardIterator(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(std::string_view shard_id, RequiredString(req, "ShardId"));
  ASSIGN_OR_RETURN(std::string_view type_name, RequiredString(req, "ShardIteratorType"));
  IteratorPosition pos;
  ASSIGN_OR_RETURN(pos.type, ParseIteratorType(type_name));
  // Kinesalite's order, which follows AWS's: the shard id, the stream and shard, then the type.
  auto index = ShardIndexFromId(shard_id);
  if (!index.ok()) return ShardIdNotFound(shard_id, name);
  auto stream = store_->DescribeStream(name);
  // AWS names the shard it looked for, not the stream.
  if (stream.status().code() == Status::Code::kResourceNotFound) {
    return ShardNotFound(ShardIdFromIndex(*index), name);
  }
  RETURN_IF_ERROR(stream.status());
  if (std::none_of(stream->shards.begin(), stream->shards.end(),
                   [&](const ShardDescription& s) { return s.index == *index; })) {
    return ShardNotFound(ShardIdFromIndex(*index), name);
  }
  ASSIGN_OR_RETURN(auto starting, OptionalString(req, "StartingSequenceNumber"));
  const bool by_sequence_number =
      pos.type == IteratorType::kAtSequenceNumber || pos.type == IteratorType::kAfterSequenceNumber;
  if (by_sequence_number != starting.has_value()) {
    return IteratorTypeMismatch(type_name, starting.has_value());
  }
  if (by_sequence_number) {
    if (!SequenceNumber::Parse(*starting).ok()) {
      return InvalidStartingSequenceNumber(*starting, ShardIdFromIndex(*index), name);
    }
    pos.sequence_number = *starting;
  } else if (pos.type == IteratorType::kAtTimestamp) {
    auto it = req.find("Timestamp");
    if (it == req.end() || it->is_null()) {
      return TimestampMissing();
    }
    if (it->is_number()) {
      // Epoch seconds, as AWS's SDKs send them; anything past year 9999 (or not a number at
      // all) would overflow the milliseconds.
      const double seconds = it->get<double>();
      if (!std::isfinite(seconds) || std::abs(seconds) > kMaxTimestampSeconds) {
        return Status::InvalidArgument("Timestamp " + it->dump() + " is out of range");
      }
      pos.timestamp_ms = static_cast<int64_t>(seconds * 1000.0);
    } else if (it->is_string()) {
      ASSIGN_OR_RETURN(pos.timestamp_ms, ParseTimestampMillis(it->get<std::string>()));
    } else {
      return Status::InvalidArgument("Timestamp must be a number or a string");
    }
  }
  ASSIGN_OR_RETURN(std::string iterator, store_->GetShardIterator(name, shard_id, pos));
  return json{{"ShardIterator", iterator}};
}

Result<json> KinesisApi::GetRecords(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view iterator, RequiredString(req, "ShardIterator"));
  ASSIGN_OR_RETURN(int64_t limit, OptionalInt(req, "Limit", kMaxGetRecordsLimit));
  if (limit < 1 || limit > kMaxGetRecordsLimit) {
    return Status::InvalidArgument("Limit must be between 1 and 10000");
  }
  json records = json::array();
  ASSIGN_OR_RETURN(GetRecordsResult meta,
                   store_->GetRecords(iterator, static_cast<int>(limit), [&](const RecordView& r) {
                     records.push_back({{"SequenceNumber", r.sequence_number.ToString()},
                                        {"ApproximateArrivalTimestamp", EpochSeconds(r.arrival_ms)},
                                        {"Data", Base64Encode(r.data)},
                                        {"PartitionKey", r.partition_key}});
                   }));
  json out = {{"Records", std::move(records)}, {"MillisBehindLatest", meta.millis_behind_latest}};
  if (meta.shard_end()) {
    // A closed shard read to its end: AWS's null iterator, and where its hash keys went.
    out["NextShardIterator"] = nullptr;
    json children = json::array();
    for (const ChildShard& c : meta.child_shards) children.push_back(ChildShardToJson(c));
    out["ChildShards"] = std::move(children);
  } else {
    out["NextShardIterator"] = meta.next_iterator;
  }
  return out;
}

}  // namespace pinstream
