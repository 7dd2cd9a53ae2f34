#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "stream/stream_store.h"
#include "stream/stream_types.h"

namespace pinstream {

// Shapes that several of KinesisApi's action files render alike. Not for callers outside
// stream/kinesis_*.cc.

// A retention period in whole hours as Kinesis reports it (rounded up: a broker started with
// --retention 30s reports 1).
inline int64_t RetentionHours(int64_t retention_ms) {
  return retention_ms <= 0 ? 1 : (retention_ms + kHourMillis - 1) / kHourMillis;
}

// A StreamSummary: StreamName, StreamARN, StreamStatus, StreamModeDetails,
// StreamCreationTimestamp.
nlohmann::json StreamSummaryJson(const StreamDescription& d);

// EnhancedMonitoring: [{"ShardLevelMetrics": [...]}].
nlohmann::json EnhancedMonitoringJson(const StreamSettings& settings);

// Tags as Kinesis lists them: [{"Key","Value"}], by key.
nlohmann::json TagListJson(const std::map<std::string, std::string>& tags);

// A request's Tags map, checked by AWS's tag rules (characters, at most 50); `what` names the
// action in AWS's messages, e.g. "add tags to stream NAME".
Result<std::map<std::string, std::string>> RequestTags(const nlohmann::json& req,
                                                       std::string_view what);

// LimitExceeded when another ON_DEMAND stream would take the account past AWS's 50. Counted
// outside any lock: two racing requests may both pass (one machine, one user).
Status CheckOnDemandRoom(const StreamStore& store);

}  // namespace pinstream
