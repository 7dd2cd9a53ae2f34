// KinesisApi's describing and listing actions, with AWS's pagination: DescribeStream,
// DescribeStreamSummary, ListStreams and ListShards.
#include <algorithm>

#include "stream/aws_errors.h"
#include "stream/kinesis_api.h"
#include "stream/kinesis_api_internal.h"
#include "stream/kinesis_arn.h"
#include "stream/kinesis_request.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

// AWS's page sizes when a request names none.
constexpr int64_t kDescribeStreamDefaultLimit = 100;
constexpr int64_t kListStreamsDefaultLimit = 100;
constexpr int64_t kListShardsDefaultLimit = 1000;
constexpr int64_t kMaxPageLimit = 10000;

Result<int64_t> PageLimit(const json& req, const char* field, int64_t fallback) {
  ASSIGN_OR_RETURN(int64_t limit, OptionalInt(req, field, fallback));
  if (limit < 1 || limit > kMaxPageLimit) {
    return Status::InvalidArgument(std::string(field) + " must be between 1 and 10000");
  }
  return limit;
}

// The description's fields that DescribeStream and DescribeStreamSummary share.
json DescriptionJson(const StreamDescription& d) {
  json desc = StreamSummaryJson(d);
  desc["RetentionPeriodHours"] = RetentionHours(d.retention_ms);
  desc["EnhancedMonitoring"] = EnhancedMonitoringJson(d.settings);
  desc["EncryptionType"] = d.settings.encryption_type;
  if (!d.settings.key_id.empty()) desc["KeyId"] = d.settings.key_id;
  return desc;
}

// A ListShards ShardFilter: which shards it selects.
struct ShardFilter {
  enum class Type {
    kAll,
    kAtTrimHorizon,
    kAtLatest,
    kAtTimestamp,
    kFromTimestamp
  } type = Type::kAll;
  int64_t timestamp_ms = 0;

  bool Selects(const StreamDescription& d, const ShardDescription& s) const {
    switch (type) {
      case Type::kAll:
        return true;
      case Type::kAtLatest:
        return s.open();
      case Type::kAtTimestamp:
        return s.created_ms <= timestamp_ms && (s.open() || s.closed_ms > timestamp_ms);
      case Type::kFromTimestamp:
        return s.open() || s.closed_ms >= timestamp_ms;
      case Type::kAtTrimHorizon:
        // The oldest shards that still hold records: no parent, or parents whose records have
        // all been trimmed.
        for (auto parent : {s.parent, s.adjacent_parent}) {
          if (!parent || *parent >= d.shards.size()) continue;
          const ShardDescription& p = d.shards[*parent];
          if (p.first_counter <= p.last_counter) return false;
        }
        return true;
    }
    return true;
  }
};

// Shards whose id sorts after `exclusive_start` (all when empty), as AWS compares shard ids,
// that `filter` selects.
std::vector<const ShardDescription*> ShardsAfter(const StreamDescription& d,
                                                 std::string_view exclusive_start,
                                                 const ShardFilter& filter = {}) {
  std::vector<const ShardDescription*> out;
  for (const auto& s : d.shards) {
    if (!exclusive_start.empty() && ShardIdFromIndex(s.index) <= exclusive_start) continue;
    if (filter.Selects(d, s)) out.push_back(&s);
  }
  return out;
}

// The stream a request names, and when it gives StreamCreationTimestamp, only that incarnation.
Result<StreamDescription> DescribeIncarnation(const StreamStore& store, std::string_view name,
                                              std::optional<int64_t> created_ms) {
  ASSIGN_OR_RETURN(StreamDescription d, store.DescribeStream(name));
  // Seconds, not milliseconds: botocore sends the timestamp it was given as whole seconds.
  if (created_ms && *created_ms / 1000 != d.created_ms / 1000) {
    return StreamIncarnationNotFound(name);
  }
  return d;
}

}  // namespace

json StreamSummaryJson(const StreamDescription& d) {
  return {{"StreamName", d.name},
          {"StreamARN", StreamArn(d.name)},
          {"StreamStatus", StreamStatusName(d.status)},
          {"StreamModeDetails", {{"StreamMode", StreamModeName(d.settings.mode)}}},
          {"StreamCreationTimestamp", EpochSeconds(d.created_ms)}};
}

json EnhancedMonitoringJson(const StreamSettings& settings) {
  return json::array({{{"ShardLevelMetrics", settings.shard_level_metrics}}});
}

json TagListJson(const std::map<std::string, std::string>& tags) {
  json out = json::array();
  for (const auto& [key, value] : tags) out.push_back({{"Key", key}, {"Value", value}});
  return out;
}

Result<json> KinesisApi::DescribeStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(int64_t limit, PageLimit(req, "Limit", kDescribeStreamDefaultLimit));
  ASSIGN_OR_RETURN(auto start, OptionalString(req, "ExclusiveStartShardId"));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(name));
  json desc = DescriptionJson(d);
  const auto after = ShardsAfter(d, start.value_or(""));
  json shards = json::array();
  for (size_t i = 0; i < after.size() && static_cast<int64_t>(i) < limit; ++i) {
    shards.push_back(ShardToJson(*after[i]));
  }
  desc["Shards"] = std::move(shards);
  desc["HasMoreShards"] = static_cast<int64_t>(after.size()) > limit;
  return json{{"StreamDescription", std::move(desc)}};
}

Result<json> KinesisApi::DescribeStreamSummary(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(name));
  json desc = DescriptionJson(d);
  desc["OpenShardCount"] = d.open_shard_count();
  desc["ConsumerCount"] = d.settings.consumers.size();
  return json{{"StreamDescriptionSummary", std::move(desc)}};
}

Result<json> KinesisApi::ListStreams(const json& req) const {
  ASSIGN_OR_RETURN(int64_t limit, PageLimit(req, "Limit", kListStreamsDefaultLimit));
  ASSIGN_OR_RETURN(auto start_name, OptionalString(req, "ExclusiveStartStreamName"));
  ASSIGN_OR_RETURN(auto token, OptionalString(req, "NextToken"));
  std::string start(start_name.value_or(""));
  if (token) {
    if (start_name) {
      return Status::InvalidArgument(
          "NextToken and ExclusiveStartStreamName cannot be provided together.");
    }
    ASSIGN_OR_RETURN(json position, DecodeNextToken(*token, "ListStreams"));
    auto it = position.find("ExclusiveStartStreamName");
    if (it == position.end() || !it->is_string()) {
      return Status::InvalidArgument("Invalid NextToken for ListStreams.");
    }
    start = it->get<std::string>();
  }
  json names = json::array();
  json summaries = json::array();
  bool more = false;
  for (const auto& name : store_->ListStreams()) {  // sorted by name
    if (!start.empty() && name <= start) continue;
    if (static_cast<int64_t>(names.size()) >= limit) {
      more = true;
      break;
    }
    // A stream deleted since the listing is left out.
    auto d = store_->DescribeStream(name);
    if (!d.ok()) continue;
    names.push_back(name);
    summaries.push_back(StreamSummaryJson(*d));
  }
  json out = {{"StreamNames", names}, {"HasMoreStreams", more}, {"StreamSummaries", summaries}};
  if (more) out["NextToken"] = EncodeNextToken({{"ExclusiveStartStreamName", names.back()}});
  return out;
}

Result<json> KinesisApi::ListShards(const json& req) const {
  ASSIGN_OR_RETURN(auto token, OptionalString(req, "NextToken"));
  ASSIGN_OR_RETURN(int64_t limit, PageLimit(req, "MaxResults", kListShardsDefaultLimit));
  ASSIGN_OR_RETURN(auto created, OptionalTimestampMillis(req, "StreamCreationTimestamp"));
  ASSIGN_OR_RETURN(auto start, OptionalString(req, "ExclusiveStartShardId"));
  const bool names_stream = req.contains("StreamName") || req.contains("StreamARN");
  std::string name;
  std::string after(start.value_or(""));
  json filter = req.value("ShardFilter", json());
  if (token) {
    // AWS's words; the token alone names the stream, its incarnation and the filter.
    if (names_stream) {
      return Status::InvalidArgument("NextToken and StreamName cannot be provided together.");
    }
    if (start) {
      return Status::InvalidArgument(
          "NextToken and ExclusiveStartShardId cannot be provided together.");
    }
    if (created) {
      return Status::InvalidArgument(
          "NextToken and StreamCreationTimestamp cannot be provided together.");
    }
    if (!filter.is_null()) {
      return Status::InvalidArgument("NextToken and ShardFilter cannot be provided together.");
    }
    ASSIGN_OR_RETURN(json position, DecodeNextToken(*token, "ListShards"));
    auto n = position.find("StreamName");
    auto c = position.find("StreamCreationTimestamp");
    auto a = position.find("ExclusiveStartShardId");
    if (n == position.end() || !n->is_string() || c == position.end() || !c->is_number_integer() ||
        a == position.end() || !a->is_string()) {
      return Status::InvalidArgument("Invalid NextToken for ListShards.");
    }
    name = n->get<std::string>();
    created = c->get<int64_t>();
    after = a->get<std::string>();
    filter = position.value("ShardFilter", json());
  } else if (!names_stream) {
    return Status::InvalidArgument("Either NextToken or StreamName should be provided.");
  } else {
    ASSIGN_OR_RETURN(std::string_view n, StreamNameOf(req));
    name = n;
  }
  ShardFilter selected;
  if (!filter.is_null()) {
    if (!filter.is_object() || !filter.contains("Type") || !filter["Type"].is_string()) {
      return Status::InvalidArgument("ShardFilter must have a Type.");
    }
    const std::string type = filter["Type"].get<std::string>();
    if (type == "AFTER_SHARD_ID") {
      ASSIGN_OR_RETURN(std::string_view shard, RequiredString(filter, "ShardId"));
      if (!token && shard > after) after = shard;
    } else if (type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") {
      ASSIGN_OR_RETURN(auto ts, OptionalTimestampMillis(filter, "Timestamp"));
      if (!ts) {
        return Status::InvalidArgument("Timestamp is required for ShardFilter type " + type + ".");
      }
      selected.type = type == "AT_TIMESTAMP" ? ShardFilter::Type::kAtTimestamp
                                             : ShardFilter::Type::kFromTimestamp;
      selected.timestamp_ms = *ts;
    } else if (type == "AT_TRIM_HORIZON") {
      selected.type = ShardFilter::Type::kAtTrimHorizon;
    } else if (type == "AT_LATEST") {
      selected.type = ShardFilter::Type::kAtLatest;
    } else if (type != "FROM_TRIM_HORIZON") {
      return Status::InvalidArgument("Unknown ShardFilter type " + type + ".");
    }
  }
  ASSIGN_OR_RETURN(StreamDescription d, DescribeIncarnation(*store_, name, created));
  const auto shards_after = ShardsAfter(d, after, selected);
  json shards = json::array();
  for (size_t i = 0; i < shards_after.size() && static_cast<int64_t>(i) < limit; ++i) {
    shards.push_back(ShardToJson(*shards_after[i]));
  }
  json out = {{"Shards", shards}};
  if (static_cast<int64_t>(shards_after.size()) > limit) {
    json position = {{"StreamName", d.name},
                     {"StreamCreationTimestamp", d.created_ms},
                     {"ExclusiveStartShardId", shards.back()["ShardId"]}};
    if (!filter.is_null()) position["ShardFilter"] = filter;
    out["NextToken"] = EncodeNextToken(position);
  }
  return out;
}

}  // namespace pinstream
