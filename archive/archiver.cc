#include "archive/archiver.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "archive/archive_resume.h"
#include "stream/shard_reader.h"

namespace pinstream {

struct Archiver::Shard {
  std::string topic;
  uint32_t index = 0;
  std::unique_ptr<StreamClient> client;
  std::unique_ptr<ShardReader> reader;
  std::unique_ptr<PartitionWriter> writer;
  bool ended = false;
};

Archiver::Archiver(zmq::context_t* ctx, ObjectStore* store, Options options, Clock* clock)
    : ctx_(ctx), store_(store), options_(std::move(options)), clock_(clock) {}

Archiver::~Archiver() = default;

Result<bool> Archiver::OpenNewShards(const std::string& name, Topic* topic) {
  ASSIGN_OR_RETURN(std::vector<ShardDescription> shards, control_->ListShards(name));
  bool opened = false;
  for (const ShardDescription& desc : shards) {
    if (topic->opened.contains(desc.index)) continue;
    IteratorPosition position;  // TRIM_HORIZON for a partition with nothing archived
    uint64_t expected = 0;
    if (auto it = topic->resume.find(desc.index); it != topic->resume.end()) {
      // AT the first record not archived: the broker takes the number it issues next too.
      position.type = IteratorType::kAtSequenceNumber;
      position.sequence_number = SequenceNumber{desc.index, it->second, 0}.ToString();
      expected = it->second;
    }
    const std::string shard_id = ShardIdFromIndex(desc.index);
    auto shard = std::make_unique<Shard>();
    shard->topic = name;
    shard->index = desc.index;
    ASSIGN_OR_RETURN(shard->client, StreamClient::Connect(ctx_, options_.broker, options_.client));
    Result<std::string> iterator = shard->client->GetShardIterator(name, shard_id, position);
    if (!iterator.ok()) {
      return iterator.status().WithContext("stream " + name + " " + shard_id + " from " +
                                           FormatIteratorPosition(position));
    }
    shard->reader = std::make_unique<ShardReader>(shard->client.get(), std::move(*iterator));
    shard->writer = std::make_unique<PartitionWriter>(name, desc.index, options_.rotation,
                                                      uploader_.get(), &encoder_, expected);
    spdlog::info("archive reading stream={} shard={} from={}", name, shard_id,
                 FormatIteratorPosition(position));
    topic->opened.insert(desc.index);
    shards_.push_back(std::move(shard));
    opened = true;
  }
  return opened;
}

Status Archiver::FlushAll() {
  Status first;
  for (auto& shard : shards_) {
    Status s = shard->writer->Flush();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Archiver::Run(std::stop_token stop) {
  if (options_.rotation.flush_size == 0) return Status::InvalidArgument("flush size must be > 0");
  ASSIGN_OR_RETURN(control_, StreamClient::Connect(ctx_, options_.broker, options_.client));
  for (const std::string& name : options_.streams) {
    RETURN_IF_ERROR(ValidateStreamName(name));
    ASSIGN_OR_RETURN(topics_[name].resume, ResumeOffsets(store_, name));
    stats_[name];
  }
  // From here on the store is the uploader's.
  uploader_ = std::make_unique<ObjectUploader>(store_, options_.background_writes);
  for (const std::string& name : options_.streams) {
    Topic& topic = topics_[name];
    ASSIGN_OR_RETURN(bool opened, OpenNewShards(name, &topic));
    (void)opened;
  }
  std::mutex mu;
  std::condition_variable_any idle;
  int64_t listed_ms = clock_->NowMillis();
  Status status;
  while (status.ok() && !stop.stop_requested()) {
    bool any_records = false;
    bool any_ended = false;
    for (auto& shard : shards_) {
      if (shard->ended) continue;
      Result<GetRecordsReply> batch = shard->reader->Next();
      if (!batch.ok()) {
        status = batch.status().WithContext("reading stream " + shard->topic + " " +
                                            ShardIdFromIndex(shard->index));
        break;
      }
      for (const RecordView& record : batch->records) {
        status = shard->writer->Add(record);
        if (!status.ok()) break;
      }
      if (!status.ok()) break;
      if (batch->records.empty()) {
        status = shard->writer->FlushIfIdle(clock_->NowMillis());
      } else {
        any_records = true;
      }
      if (status.ok() && batch->meta.shard_end()) {
        // A closed shard read to its end: its last object is complete, and its children are
        // to be found.
        status = shard->writer->Flush();
        shard->ended = true;
        any_ended = true;
        spdlog::info("archive shard ended stream={} shard={}", shard->topic,
                     ShardIdFromIndex(shard->index));
      }
      if (!status.ok() || stop.stop_requested()) break;
    }
    if (!status.ok() || stop.stop_requested()) break;
    bool any_opened = false;
    const int64_t now = clock_->NowMillis();
    // Children of a reshard appear in ListShards; look when a shard ended, before --once
    // finishes, and now and then.
    if (any_ended || (options_.once && !any_records) ||
        now - listed_ms >= options_.relist_interval.count()) {
      for (auto& [name, topic] : topics_) {
        Result<bool> opened = OpenNewShards(name, &topic);
        if (!opened.ok()) {
          status = opened.status();
          break;
        }
        any_opened = any_opened || *opened;
      }
      listed_ms = now;
    }
    if (!status.ok()) break;
    if (any_records || any_opened) continue;
    if (options_.once) break;
    std::unique_lock lock(mu);
    idle.wait_for(lock, stop, options_.idle_wait, [] { return false; });
  }
  // Stopped, caught up or failed: what the writers hold is written either way (after a
  // failure the failed writer refuses, the others still commit theirs).
  Status flushed = FlushAll();
  Status written = uploader_->Finish();
  if (flushed.ok()) flushed = written;
  for (const auto& [topic, st] : uploader_->stats()) stats_[topic] = st;
  uploader_.reset();
  if (!status.ok()) {
    spdlog::error("archive failed error={}", status.ToString());
    return status;
  }
  return flushed;
}

}  // namespace pinstream
