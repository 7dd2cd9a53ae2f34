#include "batch/archive_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <future>
#include <map>

namespace pinstream {

namespace {

// Objects of a shard read ahead of the one being processed. One is enough: the processor reads
// every shard in turn, so the prefetcher, reading in the order the shards asked, works about a
// whole round of objects ahead; and memory holds two objects per shard.
constexpr size_t kReadAhead = 1;

class ArchiveShard final : public ShardInput {
 public:
  ArchiveShard(ObjectPrefetcher* prefetcher, std::string topic, uint32_t partition,
               std::vector<ArchiveObject> objects)
      : prefetcher_(prefetcher),
        topic_(std::move(topic)),
        shard_id_(ShardIdFromIndex(partition)),
        partition_(partition),
        objects_(std::move(objects)) {
    FetchAhead();
  }

  const std::string& stream() const override { return topic_; }
  const std::string& shard_id() const override { return shard_id_; }
  uint32_t shard_index() const override { return partition_; }
  void set_read_limit(int records) override { limit_ = std::max(records, 1); }

  Result<ShardBatch> Read() override {
    while (!current_ || next_ == current_->records.size()) {
      if (ahead_.empty()) return ShardBatch{};  // every object read
      auto loaded = ahead_.front().get();
      ahead_.pop_front();
      FetchAhead();
      if (!loaded.ok()) return loaded.status();
      current_ = std::move(*loaded);
      next_ = 0;
      ++taken_;
      if (!current_->has_headers && !warned_) {
        warned_ = true;
        spdlog::warn(
            "archive object {} has no headers companion: its records read with arrival time 0 "
            "and no partition key",
            objects_[taken_ - 1].Key());
      }
    }
    ShardBatch batch;
    const size_t n = std::min<size_t>(limit_, current_->records.size() - next_);
    batch.records.assign(current_->records.begin() + next_, current_->records.begin() + next_ + n);
    batch.buffer = current_;
    next_ += n;
    return batch;
  }

 private:
  void FetchAhead() {
    while (ahead_.size() < kReadAhead && next_object_ < objects_.size()) {
      ahead_.push_back(prefetcher_->Fetch(objects_[next_object_++]));
    }
  }

  ObjectPrefetcher* prefetcher_;
  std::string topic_;
  std::string shard_id_;
  uint32_t partition_;
  std::vector<ArchiveObject> objects_;  // in offset order
  size_t next_object_ = 0;              // the next to fetch
  size_t taken_ = 0;                    // objects taken from ahead_ (current_ is the last)
  std::deque<std::future<ObjectPrefetcher::Loaded>> ahead_;  // objects_ before next_object_
  std::shared_ptr<const LoadedObject> current_;
  size_t next_ = 0;  // the next record of current_
  int limit_ = 10000;
  bool warned_ = false;
};

}  // namespace

ArchiveSource::ArchiveSource(ObjectPrefetcher* prefetcher, std::string topic,
                             std::vector<ArchiveObject> objects)
    : prefetcher_(prefetcher), topic_(std::move(topic)), objects_(std::move(objects)) {}

Result<Source::Opened> ArchiveSource::Open(const Checkpoint& /*checkpoint*/) {
  std::map<uint32_t, std::vector<ArchiveObject>> partitions;
  for (const ArchiveObject& o : objects_) partitions[o.partition].push_back(o);
  Opened opened;
  opened.incarnation = kIncarnation;
  for (auto& [partition, objects] : partitions) {
    std::sort(objects.begin(), objects.end(),
              [](const auto& a, const auto& b) { return a.start_offset < b.start_offset; });
    opened.shards.push_back(
        std::make_unique<ArchiveShard>(prefetcher_, topic_, partition, std::move(objects)));
  }
  return opened;
}

Result<std::vector<std::unique_ptr<ShardInput>>> ArchiveSource::OpenChildren(
    const Checkpoint& /*checkpoint*/) {
  return std::vector<std::unique_ptr<ShardInput>>{};
}

}  // namespace pinstream
