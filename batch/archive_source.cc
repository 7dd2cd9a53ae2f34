#include "batch/archive_source.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "common/base64.h"

namespace pinstream {

namespace {

// One object's records: its bytes (and its companion's), which the views point into.
struct LoadedObject {
  std::string data;
  std::string headers;
  // The records' partition keys, unescaped. Reserved at the companion's size (a key is never
  // longer than its JSON), so that appending never moves the keys already viewed.
  std::string keys;
  // The data of records the archive wrote as JSON strings (text that is not JSON, or bytes as
  // base64: "data_format" in their headers line), decoded back; reserved as `keys` is.
  std::string decoded;
  std::vector<RecordView> records;
};

// The lines of `text` without their '\n' (a last line may lack it); no line for a trailing '\n'.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return lines;
}

// A record's data from its line, written as a JSON string in `format` ("string": the text
// itself; "base64": the bytes' base64).
Result<std::string> DecodeData(std::string_view line, std::string_view format) {
  simdjson::dom::parser parser;
  std::string_view text;
  if (parser.parse(simdjson::padded_string(line)).get_string().get(text) != simdjson::SUCCESS) {
    return Status::Corruption("a data line in format '" + std::string(format) +
                              "' is not a JSON string");
  }
  if (format == "string") return std::string(text);
  if (format == "base64") return Base64Decode(text);
  return Status::Corruption("unknown data_format '" + std::string(format) + "'");
}

class ArchiveShard final : public ShardInput {
 public:
  ArchiveShard(ObjectStore* store, std::string topic, uint32_t partition,
               std::vector<ArchiveObject> objects)
      : store_(store),
        topic_(std::move(topic)),
        shard_id_(ShardIdFromIndex(partition)),
        partition_(partition),
        objects_(std::move(objects)) {}

  const std::string& stream() const override { return topic_; }
  const std::string& shard_id() const override { return shard_id_; }
  uint32_t shard_index() const override { return partition_; }
  void set_read_limit(int records) override { limit_ = std::max(records, 1); }

  Result<ShardBatch> Read() override {
    while (!current_ || next_ == current_->records.size()) {
      if (next_object_ == objects_.size()) return ShardBatch{};  // every object read
      ASSIGN_OR_RETURN(current_, Load(objects_[next_object_++]));
      next_ = 0;
    }
    ShardBatch batch;
    const size_t n = std::min<size_t>(limit_, current_->records.size() - next_);
    batch.records.assign(current_->records.begin() + next_, current_->records.begin() + next_ + n);
    batch.buffer = current_;
    next_ += n;
    return batch;
  }

 private:
  Result<std::shared_ptr<LoadedObject>> Load(const ArchiveObject& object) {
    auto loaded = std::make_shared<LoadedObject>();
    const std::string key = object.Key();
    ASSIGN_OR_RETURN(loaded->data, store_->Get(key));
    ArchiveObject companion = object;
    companion.headers = true;
    auto headers = store_->Get(companion.Key());
    if (headers.ok()) {
      loaded->headers = std::move(*headers);
    } else if (headers.status().code() != Status::Code::kResourceNotFound) {
      return headers.status();
    } else if (!warned_) {
      warned_ = true;
      spdlog::warn(
          "archive object {} has no headers companion: its records read with arrival time 0 and "
          "no partition key",
          key);
    }
    const std::vector<std::string_view> values = Lines(loaded->data);
    loaded->records.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      RecordView& r = loaded->records[i];
      r.data = values[i];
      r.sequence_number = SequenceNumber{partition_, object.start_offset + i, 0};
    }
    if (!loaded->headers.empty()) RETURN_IF_ERROR(ApplyHeaders(key, loaded.get()));
    return loaded;
  }

  // Each record's partition key, sequence number and arrival time from its companion line.
  Status ApplyHeaders(const std::string& key, LoadedObject* object) {
    const std::vector<std::string_view> lines = Lines(object->headers);
    if (lines.size() != object->records.size()) {
      return Status::Corruption(
          "archive object " + key + " has " + std::to_string(object->records.size()) +
          " records but its headers companion " + std::to_string(lines.size()));
    }
    // Each line is copied into a padded buffer for parsing.
    object->keys.reserve(object->headers.size());
    object->decoded.reserve(object->data.size());
    simdjson::ondemand::parser parser;
    simdjson::padded_string line;
    for (size_t i = 0; i < lines.size(); ++i) {
      RecordView& r = object->records[i];
      auto bad = [&](std::string_view why) {
        return Status::Corruption("archive object " + key + " headers line " +
                                  std::to_string(i + 1) + ": " + std::string(why));
      };
      line = simdjson::padded_string(lines[i]);
      simdjson::ondemand::document doc;
      if (parser.iterate(line).get(doc) != simdjson::SUCCESS) return bad("not JSON");
      std::string_view partition_key, sequence_number;
      int64_t arrival_ms = 0;
      if (doc["partition_key"].get_string().get(partition_key) != simdjson::SUCCESS ||
          doc["sequence_number"].get_string().get(sequence_number) != simdjson::SUCCESS ||
          doc["arrival_ms"].get_int64().get(arrival_ms) != simdjson::SUCCESS) {
        return bad("wants {\"partition_key\",\"sequence_number\",\"arrival_ms\"}");
      }
      auto seq = SequenceNumber::Parse(sequence_number);
      if (!seq.ok()) return bad(seq.status().message());
      const size_t at = object->keys.size();
      object->keys.append(partition_key);  // the parser's buffer is reused by the next line
      r.partition_key = std::string_view(object->keys).substr(at);
      std::string_view format;
      if (doc["data_format"].get_string().get(format) == simdjson::SUCCESS) {
        auto data = DecodeData(r.data, format);
        if (!data.ok()) return bad(data.status().message());
        const size_t at = object->decoded.size();
        object->decoded.append(*data);
        r.data = std::string_view(object->decoded).substr(at);
      }
      r.sequence_number = *seq;
      r.sequence_number.arrival_ms = arrival_ms;
      r.arrival_ms = arrival_ms;
    }
    return Status::OK();
  }

  ObjectStore* store_;
  std::string topic_;
  std::string shard_id_;
  uint32_t partition_;
  std::vector<ArchiveObject> objects_;  // in offset order
  size_t next_object_ = 0;
  std::shared_ptr<LoadedObject> current_;
  size_t next_ = 0;  // the next record of current_
  int limit_ = 10000;
  bool warned_ = false;
};

}  // namespace

ArchiveSource::ArchiveSource(ObjectStore* store, std::string topic,
                             std::vector<ArchiveObject> objects)
    : store_(store), topic_(std::move(topic)), objects_(std::move(objects)) {}

Result<Source::Opened> ArchiveSource::Open(const Checkpoint& /*checkpoint*/) {
  std::map<uint32_t, std::vector<ArchiveObject>> partitions;
  for (const ArchiveObject& o : objects_) partitions[o.partition].push_back(o);
  Opened opened;
  opened.incarnation = kIncarnation;
  for (auto& [partition, objects] : partitions) {
    std::sort(objects.begin(), objects.end(),
              [](const auto& a, const auto& b) { return a.start_offset < b.start_offset; });
    opened.shards.push_back(
        std::make_unique<ArchiveShard>(store_, topic_, partition, std::move(objects)));
  }
  return opened;
}

Result<std::vector<std::unique_ptr<ShardInput>>> ArchiveSource::OpenChildren(
    const Checkpoint& /*checkpoint*/) {
  return std::vector<std::unique_ptr<ShardInput>>{};
}

}  // namespace pinstream
