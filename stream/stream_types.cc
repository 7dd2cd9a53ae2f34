#include "stream/stream_types.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/decimal_text.h"
#include "common/time_format.h"

namespace pinstream {

namespace {

constexpr HashKey kLegacySequenceBase = HashKey{1} << 124;
// 13 digits of milliseconds: until the year 2286.
constexpr int64_t kMaxArrivalMs = 9'999'999'999'999;
constexpr std::string_view kShardIdPrefix = "shardId-";

}  // namespace

std::string SequenceNumber::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

void SequenceNumber::AppendTo(std::string* out) const {
  char buf[kDigits];
  auto put = [](char* end, uint64_t v, int width) {
    for (int i = 0; i < width; ++i, v /= 10) *--end = static_cast<char>('0' + v % 10);
  };
  buf[0] = '4';
  buf[1] = '9';
  put(buf + 12, shard_index, 10);
  put(buf + 32, counter, 20);
  put(buf + 45, static_cast<uint64_t>(std::clamp<int64_t>(arrival_ms, 0, kMaxArrivalMs)), 13);
  std::memset(buf + 45, '0', kDigits - 45);
  out->append(buf, kDigits);
}

Result<SequenceNumber> SequenceNumber::Parse(std::string_view text) {
  auto invalid = [&] {
    return Status::InvalidArgument("invalid sequence number '" + std::string(text) + "'");
  };
  auto field = [&](size_t pos, size_t width, uint64_t* v) {
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, *v);
    return ec == std::errc() && p == text.data() + pos + width;
  };
  if (text.size() == kDigits) {
    uint64_t shard, counter, arrival;
    if (!text.starts_with("49") || !field(2, 10, &shard) || shard > UINT32_MAX ||
        !field(12, 20, &counter) || !field(32, 13, &arrival) ||
        text.find_first_not_of('0', 45) != std::string_view::npos) {
      return invalid();
    }
    return SequenceNumber{static_cast<uint32_t>(shard), counter, static_cast<int64_t>(arrival)};
  }
  // The 38-digit numbers of earlier versions.
  auto v = ParseHashKey(text);
  if (!v.ok() || *v < kLegacySequenceBase || *v >= (kLegacySequenceBase << 1)) return invalid();
  HashKey rest = *v - kLegacySequenceBase;
  if ((rest >> 64) > UINT32_MAX) return invalid();
  return SequenceNumber{static_cast<uint32_t>(rest >> 64), static_cast<uint64_t>(rest)};
}

bool IsSequenceNumberText(std::string_view text) { return IsCanonicalDecimal(text, 129); }

std::string ShardIdFromIndex(uint32_t index) {
  std::string id;
  AppendShardId(index, &id);
  return id;
}

void AppendShardId(uint32_t index, std::string* out) {
  // "shardId-" and 12 digits (a uint32_t has at most 10), as snprintf's "%012u" wrote them, without
  // its format parsing: a PutRecords response names a shard per record.
  char buf[kShardIdPrefix.size() + 12];
  std::memcpy(buf, kShardIdPrefix.data(), kShardIdPrefix.size());
  char* digits = buf + kShardIdPrefix.size();
  std::memset(digits, '0', 12);
  char* end = digits + 12;
  for (char* p = end; index != 0; index /= 10) *--p = static_cast<char>('0' + index % 10);
  out->append(buf, static_cast<size_t>(end - buf));
}

Result<uint32_t> ShardIndexFromId(std::string_view shard_id) {
  std::string_view digits = shard_id;
  if (digits.starts_with(kShardIdPrefix)) digits.remove_prefix(kShardIdPrefix.size());
  uint32_t index = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
    return Status::InvalidArgument("invalid shard id '" + std::string(shard_id) + "'");
  }
  return index;
}

Result<IteratorType> ParseIteratorType(std::string_view name) {
  if (name == "TRIM_HORIZON") return IteratorType::kTrimHorizon;
  if (name == "LATEST") return IteratorType::kLatest;
  if (name == "AT_SEQUENCE_NUMBER") return IteratorType::kAtSequenceNumber;
  if (name == "AFTER_SEQUENCE_NUMBER") return IteratorType::kAfterSequenceNumber;
  if (name == "AT_TIMESTAMP") return IteratorType::kAtTimestamp;
  return Status::InvalidArgument(
      "ShardIteratorType must be one of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, "
      "AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP; got '" +
      std::string(name) + "'");
}

std::string_view IteratorTypeName(IteratorType type) {
  switch (type) {
    case IteratorType::kTrimHorizon:
      return "TRIM_HORIZON";
    case IteratorType::kLatest:
      return "LATEST";
    case IteratorType::kAtSequenceNumber:
      return "AT_SEQUENCE_NUMBER";
    case IteratorType::kAfterSequenceNumber:
      return "AFTER_SEQUENCE_NUMBER";
    case IteratorType::kAtTimestamp:
      return "AT_TIMESTAMP";
  }
  return "?";
}

Result<IteratorPosition> ParseIteratorPosition(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view type = text.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  IteratorPosition pos;
  ASSIGN_OR_RETURN(pos.type, ParseIteratorType(type));
  switch (pos.type) {
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber:
      if (arg.empty()) {
        return Status::InvalidArgument(std::string(type) +
                                       " needs a sequence number: " + std::string(type) + ":SEQ");
      }
      if (!IsSequenceNumberText(arg)) {
        return Status::InvalidArgument("invalid sequence number '" + std::string(arg) + "'");
      }
      pos.sequence_number = arg;
      break;
    case IteratorType::kAtTimestamp: {
      if (arg.empty()) {
        return Status::InvalidArgument("AT_TIMESTAMP needs a time: AT_TIMESTAMP:ISO8601");
      }
      ASSIGN_OR_RETURN(pos.timestamp_ms, ParseTimestampMillis(arg));
      break;
    }
    case IteratorType::kTrimHorizon:
    case IteratorType::kLatest:
      if (colon != std::string_view::npos) {
        return Status::InvalidArgument(std::string(type) + " takes no argument");
      }
      break;
  }
  return pos;
}

std::string FormatIteratorPosition(const IteratorPosition& pos) {
  std::string out(IteratorTypeName(pos.type));
  switch (pos.type) {
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber:
      return out + ":" + pos.sequence_number;
    case IteratorType::kAtTimestamp:
      return out + ":" + FormatIso8601(pos.timestamp_ms);
    case IteratorType::kTrimHorizon:
    case IteratorType::kLatest:
      break;
  }
  return out;
}

std::string_view StreamStatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating:
      return "CREATING";
    case StreamStatus::kActive:
      return "ACTIVE";
    case StreamStatus::kUpdating:
      return "UPDATING";
    case StreamStatus::kDeleting:
      return "DELETING";
  }
  return "ACTIVE";
}

size_t StreamDescription::open_shard_count() const {
  return static_cast<size_t>(
      std::count_if(shards.begin(), shards.end(), [](const auto& s) { return s.open(); }));
}

Status ValidateStreamName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return Status::InvalidArgument("stream name must have 1 to 128 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("stream name '" + std::string(name) +
                                     "' may only contain [a-zA-Z0-9_.-]");
    }
  }
  return Status::OK();
}

}  // namespace pinstream
