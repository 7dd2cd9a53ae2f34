#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Reading the members of a Kinesis JSON request, for the files that define KinesisApi's actions.
// ValidateKinesisRequest has checked types and constraints before an action runs; these still
// refuse a wrong type with InvalidArgument rather than throw, for callers that skip it.

// A string member that must be present (and not null).
Result<std::string_view> RequiredString(const nlohmann::json& req, const char* field);
// A string member, or nullopt when absent or null.
Result<std::optional<std::string_view>> OptionalString(const nlohmann::json& req,
                                                       const char* field);
// An integer member, or `fallback` when absent or null.
Result<int64_t> OptionalInt(const nlohmann::json& req, const char* field, int64_t fallback);
// StreamName, or the name inside StreamARN (newer AWS clients may send only the ARN).
Result<std::string_view> StreamNameOf(const nlohmann::json& req);
// A timestamp member as AWS's SDKs send one (epoch seconds, or an ISO-8601 string), in ms.
Result<std::optional<int64_t>> OptionalTimestampMillis(const nlohmann::json& req,
                                                       const char* field);

// A NextToken: opaque to clients, as AWS's are (base64 of a small JSON object, the position
// where the next page starts), and never expiring. DecodeNextToken's InvalidArgument names
// `what` for a token that is not one.
std::string EncodeNextToken(const nlohmann::json& position);
Result<nlohmann::json> DecodeNextToken(std::string_view token, std::string_view what);

// Milliseconds as the epoch seconds of Kinesis's JSON timestamps.
inline double EpochSeconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace pinstream
