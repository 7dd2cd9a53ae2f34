#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pinstream {

// AWS's bounds on a stream's retention period: a day to a year.
inline constexpr int64_t kMinRetentionHours = 24;
inline constexpr int64_t kMaxRetentionHours = 8760;
inline constexpr int64_t kHourMillis = 3'600'000;
// AWS's per-stream and per-account quotas that the control plane enforces.
inline constexpr size_t kMaxTagsPerStream = 50;
inline constexpr size_t kMaxConsumersPerStream = 20;
inline constexpr uint32_t kOnDemandStreamCountLimit = 50;
// An ON_DEMAND stream starts with 4 shards, as AWS's do.
inline constexpr uint32_t kOnDemandInitialShards = 4;

enum class StreamMode { kProvisioned, kOnDemand };

// "PROVISIONED" or "ON_DEMAND", as Kinesis's StreamModeDetails spell them.
inline std::string_view StreamModeName(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}
inline std::optional<StreamMode> ParseStreamMode(std::string_view name) {
  if (name == "PROVISIONED") return StreamMode::kProvisioned;
  if (name == "ON_DEMAND") return StreamMode::kOnDemand;
  return std::nullopt;
}

// An enhanced fan-out consumer registered on a stream. One machine has no fan-out to give, so a
// consumer is only a name with an ARN and tags; it is ACTIVE from its registration on.
struct StreamConsumer {
  std::string name;
  int64_t created_ms = 0;  // its ARN carries this in seconds
  std::map<std::string, std::string> tags;

  bool operator==(const StreamConsumer&) const = default;
};

// What a stream's owner may change after creating it, kept by the store per stream and durable
// with it: gone with the stream, so a stream created again under its name starts from defaults.
// Only retention changes what the store does; the rest is recorded and reported, as the
// Kinesis actions that set them promise nothing a single machine could observe.
struct StreamSettings {
  int64_t retention_ms = 0;  // 0: the store's default (StreamStore::Options::retention_ms)
  StreamMode mode = StreamMode::kProvisioned;
  std::map<std::string, std::string> tags;  // ordered: ListTagsForStream pages by key
  std::string encryption_type = "NONE";     // "NONE" or "KMS"
  std::string key_id;                       // the KMS key, when encryption_type is "KMS"
  std::set<std::string> shard_level_metrics;
  std::vector<StreamConsumer> consumers;  // in registration order

  bool operator==(const StreamSettings&) const = default;
};

}  // namespace pinstream
