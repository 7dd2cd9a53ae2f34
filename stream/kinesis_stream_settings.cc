// KinesisApi's actions on a stream's settings: Increase-/DecreaseStreamRetentionPeriod,
// Start-/StopStreamEncryption, Enable-/DisableEnhancedMonitoring, UpdateStreamMode and
// DescribeLimits. Retention is the one the store acts on; encryption and monitoring are recorded
// and reported (there is no KMS to encrypt with and no CloudWatch to send metrics to).
#include "stream/aws_errors.h"
#include "stream/kinesis_api.h"
#include "stream/kinesis_api_internal.h"
#include "stream/kinesis_arn.h"
#include "stream/kinesis_request.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

// ShardLevelMetrics' names; "ALL" stands for every one of them.
constexpr std::string_view kAllMetrics = "ALL";
constexpr std::string_view kMetrics[] = {"IncomingBytes",
                                         "IncomingRecords",
                                         "OutgoingBytes",
                                         "OutgoingRecords",
                                         "WriteProvisionedThroughputExceeded",
                                         "ReadProvisionedThroughputExceeded",
                                         "IteratorAgeMilliseconds"};

Result<std::set<std::string>> MetricsOf(const json& req) {
  auto it = req.find("ShardLevelMetrics");
  if (it == req.end() || it->is_null()) {
    return Status::InvalidArgument("ShardLevelMetrics is required");
  }
  if (!it->is_array() || it->empty()) {
    return Status::InvalidArgument("ShardLevelMetrics must be a non-empty list");
  }
  std::set<std::string> out;
  for (const auto& m : *it) {
    if (!m.is_string()) return Status::InvalidArgument("ShardLevelMetrics must hold strings");
    const std::string name = m.get<std::string>();
    if (name == kAllMetrics) {
      out.insert(std::begin(kMetrics), std::end(kMetrics));
    } else if (std::find(std::begin(kMetrics), std::end(kMetrics), name) != std::end(kMetrics)) {
      out.insert(name);
    } else {
      return Status::InvalidArgument("Unknown shard level metric " + name);
    }
  }
  return out;
}

std::string HoursText(int64_t hours) { return "(" + std::to_string(hours) + " hours)"; }

}  // namespace

Status CheckOnDemandRoom(const StreamStore& store) {
  uint32_t on_demand = 0;
  for (const auto& name : store.ListStreams()) {
    auto d = store.DescribeStream(name);
    on_demand += d.ok() && d->settings.mode == StreamMode::kOnDemand;
  }
  if (on_demand < kOnDemandStreamCountLimit) return Status::OK();
  return OnDemandStreamLimitExceeded(on_demand, kOnDemandStreamCountLimit);
}

Result<json> KinesisApi::ChangeRetention(const json& req, bool increase) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  auto it = req.find("RetentionPeriodHours");
  if (it == req.end() || !it->is_number_integer()) {
    return Status::InvalidArgument("RetentionPeriodHours is required and must be an integer");
  }
  const int64_t hours = it->get<int64_t>();
  // AWS's messages, which people search for.
  if (hours < kMinRetentionHours) {
    return Status::InvalidArgument(
        "Minimum allowed retention period is " + std::to_string(kMinRetentionHours) +
        " hours. Requested retention period " + HoursText(hours) + " is too short.");
  }
  if (hours > kMaxRetentionHours) {
    return Status::InvalidArgument(
        "Maximum allowed retention period is " + std::to_string(kMaxRetentionHours) +
        " hours. Requested retention period " + HoursText(hours) + " is too long.");
  }
  RETURN_IF_ERROR(store_->UpdateStreamSettings(name, [&](StreamSettings* s) {
    const int64_t current = RetentionHours(s->retention_ms);
    if (increase && hours < current) {
      return Status::InvalidArgument("Requested retention period " + HoursText(hours) +
                                     " for stream " + std::string(name) +
                                     " can not be shorter than existing retention period " +
                                     HoursText(current) + ". Use DecreaseRetentionPeriod API.");
    }
    if (!increase && hours > current) {
      return Status::InvalidArgument("Requested retention period " + HoursText(hours) +
                                     " for stream " + std::string(name) +
                                     " can not be longer than existing retention period " +
                                     HoursText(current) + ". Use IncreaseRetentionPeriod API.");
    }
    s->retention_ms = hours * kHourMillis;
    return Status::OK();
  }));
  return json::object();
}

Result<json> KinesisApi::SetEncryption(const json& req, bool start) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(std::string_view type, RequiredString(req, "EncryptionType"));
  ASSIGN_OR_RETURN(std::string_view key_id, RequiredString(req, "KeyId"));
  if (type != "KMS") {
    return Status::InvalidArgument("EncryptionType " + std::string(type) +
                                   " is not supported; the only encryption type is KMS.");
  }
  if (key_id.empty()) return Status::InvalidArgument("KeyId must not be empty");
  RETURN_IF_ERROR(store_->UpdateStreamSettings(name, [&](StreamSettings* s) {
    s->encryption_type = start ? "KMS" : "NONE";
    s->key_id = start ? std::string(key_id) : std::string();
    return Status::OK();
  }));
  return json::object();
}

Result<json> KinesisApi::SetMonitoring(const json& req, bool enable) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(std::set<std::string> metrics, MetricsOf(req));
  std::set<std::string> before, after;
  RETURN_IF_ERROR(store_->UpdateStreamSettings(name, [&](StreamSettings* s) {
    before = s->shard_level_metrics;
    for (const auto& m : metrics) {
      if (enable) {
        s->shard_level_metrics.insert(m);
      } else {
        s->shard_level_metrics.erase(m);
      }
    }
    after = s->shard_level_metrics;
    return Status::OK();
  }));
  return json{{"StreamName", name},
              {"StreamARN", StreamArn(name)},
              {"CurrentShardLevelMetrics", before},
              {"DesiredShardLevelMetrics", after}};
}

Result<json> KinesisApi::UpdateStreamMode(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view arn_text, RequiredString(req, "StreamARN"));
  ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(arn_text));
  if (arn.consumer) return Status::InvalidArgument("StreamARN must be a stream's ARN");
  auto details = req.find("StreamModeDetails");
  if (details == req.end() || !details->is_object()) {
    return Status::InvalidArgument("StreamModeDetails is required");
  }
  ASSIGN_OR_RETURN(std::string_view mode_name, RequiredString(*details, "StreamMode"));
  auto mode = ParseStreamMode(mode_name);
  if (!mode) return Status::InvalidArgument("Unknown StreamMode " + std::string(mode_name));
  if (*mode == StreamMode::kOnDemand) {
    ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(arn.stream));
    if (d.settings.mode != StreamMode::kOnDemand) RETURN_IF_ERROR(CheckOnDemandRoom(*store_));
  }
  RETURN_IF_ERROR(store_->UpdateStreamSettings(arn.stream, [&](StreamSettings* s) {
    s->mode = *mode;
    return Status::OK();
  }));
  return json::object();
}

Result<json> KinesisApi::DescribeLimits(const json&) const {
  uint64_t open_shards = 0;
  uint32_t on_demand = 0;
  for (const auto& name : store_->ListStreams()) {
    auto d = store_->DescribeStream(name);
    if (!d.ok()) continue;  // deleted meanwhile
    open_shards += d->shards.size();
    on_demand += d->settings.mode == StreamMode::kOnDemand;
  }
  return json{{"ShardLimit", store_->options().shard_limit},
              {"OpenShardCount", open_shards},
              {"OnDemandStreamCount", on_demand},
              {"OnDemandStreamCountLimit", kOnDemandStreamCountLimit}};
}

}  // namespace pinstream
