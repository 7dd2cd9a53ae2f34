#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pinstream {

// Object keys as the Confluent S3 sink connector lays them out:
//   topics/<topic>/partition=<p>/<topic>+<p>+<start offset, 10 digits>.json        (default)
//   topics/<topic>/dt=<YYYY-MM-DD>/<topic>+<p>+<start offset, 10 digits>.json      (by day, as
//                                                 the connector's TimeBasedPartitioner does)
// and beside each data object its records' metadata, as the connector's
// store.kafka.headers writes headers (the same name with ".headers.json"): one JSON object a
// line, {"partition_key","sequence_number","arrival_ms"}, line for line with the data object.
// The partition is the shard index, the offset the per-shard offset the Kafka REST answers
// report (SequenceNumber::counter).
// What a data line holds for data that is not one line of JSON: see archive_line.h.
struct ArchiveObject {
  std::string topic;
  uint32_t partition = 0;
  uint64_t start_offset = 0;
  std::string day;       // "YYYY-MM-DD" when partitioned by day, else empty
  bool headers = false;  // the ".headers.json" companion rather than the data object

  // The object's key.
  std::string Key() const;
};

// The object a key names; nullopt for any other key (temporary files, foreign objects).
std::optional<ArchiveObject> ParseArchiveKey(std::string_view key);

// "topics/<topic>/": the prefix under which every object of `topic` lies.
std::string TopicPrefix(std::string_view topic);

}  // namespace pinstream
