#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// "2021-04-19T17:37:03Z" for whole seconds, "2021-04-19T17:37:03.250Z" otherwise. UTC.
std::string FormatIso8601(int64_t epoch_ms);

// Parses "2020-08-28 03:52:47", "2020-08-28T03:52:47", with optional fraction ".123" and an
// optional zone "Z" or "+HH:MM"/"-HH:MM"; no zone means UTC. Also accepts a bare date
// "2020-08-28" and epoch seconds as a decimal number (as the AWS CLI sends timestamps).
Result<int64_t> ParseTimestampMillis(std::string_view text);

// Parses durations such as "24h", "90m", "30s", "1500ms", "7d"; a bare number is seconds.
Result<int64_t> ParseDurationMillis(std::string_view text);

// The other way, for messages: "10m" for whole minutes, "30s" for whole seconds, else "1500ms".
std::string FormatDurationMillis(int64_t ms);

}  // namespace pinstream
