#include "archive/archive_layout.h"

#include <charconv>
#include <cstdio>

namespace pinstream {

namespace {

constexpr std::string_view kTopics = "topics/";
constexpr std::string_view kDataSuffix = ".json";
constexpr std::string_view kHeadersSuffix = ".headers.json";
constexpr int kOffsetDigits = 10;

bool ParseUnsigned(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool IsDay(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (day[i] < '0' || day[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string ArchiveObject::Key() const {
  char offset[32];
  std::snprintf(offset, sizeof(offset), "%0*llu", kOffsetDigits,
                static_cast<unsigned long long>(start_offset));
  std::string key = TopicPrefix(topic);
  if (day.empty()) {
    key += "partition=" + std::to_string(partition) + "/";
  } else {
    key += "dt=" + day + "/";
  }
  key += topic + "+" + std::to_string(partition) + "+" + offset;
  key += headers ? kHeadersSuffix : kDataSuffix;
  return key;
}

std::optional<ArchiveObject> ParseArchiveKey(std::string_view key) {
  const std::string_view whole = key;
  if (!key.starts_with(kTopics)) return std::nullopt;
  key.remove_prefix(kTopics.size());
  const size_t topic_end = key.find('/');
  if (topic_end == std::string_view::npos || topic_end == 0) return std::nullopt;
  ArchiveObject obj;
  obj.topic = std::string(key.substr(0, topic_end));
  key.remove_prefix(topic_end + 1);
  const size_t folder_end = key.find('/');
  if (folder_end == std::string_view::npos) return std::nullopt;
  const std::string_view folder = key.substr(0, folder_end);
  std::string_view name = key.substr(folder_end + 1);
  std::optional<uint64_t> folder_partition;
  if (folder.starts_with("partition=")) {
    uint64_t p = 0;
    if (!ParseUnsigned(folder.substr(10), &p) || p > UINT32_MAX) return std::nullopt;
    folder_partition = p;
  } else if (folder.starts_with("dt=") && IsDay(folder.substr(3))) {
    obj.day = std::string(folder.substr(3));
  } else {
    return std::nullopt;
  }
  if (name.ends_with(kHeadersSuffix)) {
    obj.headers = true;
    name.remove_suffix(kHeadersSuffix.size());
  } else if (name.ends_with(kDataSuffix)) {
    name.remove_suffix(kDataSuffix.size());
  } else {
    return std::nullopt;
  }
  // "<topic>+<p>+<offset>": the topic may not hold '+' (stream names are [a-zA-Z0-9_.-]), but
  // split from the right so that a foreign name with one is refused rather than misread.
  const size_t offset_sep = name.rfind('+');
  if (offset_sep == std::string_view::npos) return std::nullopt;
  const size_t partition_sep = name.rfind('+', offset_sep - 1);
  if (offset_sep == 0 || partition_sep == std::string_view::npos) return std::nullopt;
  if (name.substr(0, partition_sep) != obj.topic) return std::nullopt;
  uint64_t partition = 0;
  const std::string_view offset = name.substr(offset_sep + 1);
  if (!ParseUnsigned(name.substr(partition_sep + 1, offset_sep - partition_sep - 1), &partition) ||
      partition > UINT32_MAX || offset.size() < kOffsetDigits ||
      !ParseUnsigned(offset, &obj.start_offset)) {
    return std::nullopt;
  }
  if (folder_partition && *folder_partition != partition) return std::nullopt;
  obj.partition = static_cast<uint32_t>(partition);
  // Only the canonical spelling ("partition=01" or an 11-digit offset is someone else's): a key
  // names one object and an object has one key.
  if (obj.Key() != whole) return std::nullopt;
  return obj;
}

std::string TopicPrefix(std::string_view topic) {
  return std::string(kTopics) + std::string(topic) + "/";
}

}  // namespace pinstream
