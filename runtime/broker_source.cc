#include "runtime/broker_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/time_format.h"
#include "runtime/checkpoint_match.h"
#include "stream/shard_reader.h"

namespace pinstream {

namespace {

class BrokerShard final : public ShardInput {
 public:
  BrokerShard(std::string stream, std::string shard_id, uint32_t index,
              std::unique_ptr<StreamClient> client, std::string iterator,
              std::optional<uint64_t> expected, std::string last_read)
      : stream_(std::move(stream)),
        shard_id_(std::move(shard_id)),
        index_(index),
        client_(std::move(client)),
        iterator_(std::move(iterator)),
        expected_(expected),
        last_read_(std::move(last_read)) {}

  const std::string& stream() const override { return stream_; }
  const std::string& shard_id() const override { return shard_id_; }
  uint32_t shard_index() const override { return index_; }
  void set_read_limit(int records) override { limit_ = records; }

  Result<ShardBatch> Read() override {
    if (!reader_) {
      reader_.emplace(client_.get(), std::move(iterator_), ShardReader::Options{.limit = limit_});
    }
    ASSIGN_OR_RETURN(GetRecordsReply reply, reader_->Next());
    ShardBatch batch;
    batch.shard_end = reply.meta.shard_end();
    // Where this read starts: its first record, or (caught up) where the next one will be. At a
    // closed shard's end with nothing left there is no next position to check: its last
    // records were read, or (trimmed first) the children's own reads find the gap.
    uint64_t start;
    if (!reply.records.empty()) {
      start = reply.records.front().sequence_number.counter;
    } else if (batch.shard_end) {
      start = expected_.value_or(0);
    } else {
      start = reply.meta.next_counter;
    }
    if (expected_ && start > *expected_) {
      batch.gap = DataGap{
          stream_,
          shard_id_,
          "trimmed by the stream's retention before they were read",
          last_read_.empty() ? SequenceNumber{index_, *expected_ - 1}.ToString() : last_read_,
          reply.records.empty() ? SequenceNumber{index_, start}.ToString()
                                : reply.records.front().sequence_number.ToString(),
          static_cast<int64_t>(start - *expected_)};
    }
    expected_ = reply.records.empty() ? start : reply.records.back().sequence_number.counter + 1;
    if (!reply.records.empty()) last_read_ = reply.records.back().sequence_number.ToString();
    batch.millis_behind = reply.meta.millis_behind_latest;
    batch.records = std::move(reply.records);
    auto owner = std::make_shared<zmq::message_t>(std::move(reply.buffer));
    batch.buffer = std::move(owner);
    return batch;
  }

 private:
  std::string stream_;
  std::string shard_id_;
  uint32_t index_;
  std::unique_ptr<StreamClient> client_;
  std::string iterator_;  // where reading starts, until the reader is made
  int limit_ = kMaxGetRecordsLimit;
  std::optional<ShardReader> reader_;
  // The counter of the next record, once known: after a checkpointed sequence number, or the
  // first read.
  std::optional<uint64_t> expected_;
  // The sequence number of the last record read, or the checkpoint's: where a gap starts.
  std::string last_read_;
};

}  // namespace

Result<Source::Opened> BrokerSource::Open(const Checkpoint& checkpoint) {
  const std::string& stream = options_.stream;
  ASSIGN_OR_RETURN(control_, StreamClient::Connect(ctx_, options_.broker, options_.client));
  ASSIGN_OR_RETURN(const int64_t created_ms, control_->StreamCreationTime(stream));
  ASSIGN_OR_RETURN(const std::vector<ShardDescription> shards, control_->ListShards(stream));
  Opened opened;
  opened.incarnation = FormatIso8601(created_ms);
  opened_.clear();

  // A shard this incarnation had and the topology never read: from TRIM_HORIZON its first
  // record is counter 1, and a later one means records were trimmed before it read them.
  std::set<std::string> live;
  for (const auto& s : shards) live.insert(ShardIdFromIndex(s.index));
  CheckpointMatch match = MatchCheckpoint(checkpoint, stream, opened.incarnation, live);
  opened.gaps = std::move(match.gaps);
  opened.recreated = match.recreated;
  ASSIGN_OR_RETURN(opened.shards, OpenReady(shards, *match.offsets, match.known_incarnation));
  return opened;
}

Result<std::vector<std::unique_ptr<ShardInput>>> BrokerSource::OpenChildren(
    const Checkpoint& checkpoint) {
  if (!control_) return Status::Internal("OpenChildren before Open");
  ASSIGN_OR_RETURN(const std::vector<ShardDescription> shards,
                   control_->ListShards(options_.stream));
  static const std::map<std::string, std::string> kNone;
  auto st = checkpoint.offsets.find(options_.stream);
  // The parents that ended did so in this incarnation, which the checkpoint now holds.
  return OpenReady(shards, st == checkpoint.offsets.end() ? kNone : st->second, true);
}

Result<std::vector<std::unique_ptr<ShardInput>>> BrokerSource::OpenReady(
    const std::vector<ShardDescription>& shards, const std::map<std::string, std::string>& offsets,
    bool known_incarnation) {
  const std::string& stream = options_.stream;
  const bool from_latest = options_.start.type == IteratorType::kLatest;
  auto offset_of = [&](uint32_t index) -> const std::string* {
    auto o = offsets.find(ShardIdFromIndex(index));
    return o == offsets.end() ? nullptr : &o->second;
  };
  auto ended = [&](uint32_t index) {
    const std::string* o = offset_of(index);
    return o && *o == kShardEndOffset;
  };
  std::map<uint32_t, const ShardDescription*> by_index;
  for (const auto& s : shards) by_index[s.index] = &s;
  // Another instance's shard (runtime/shard_assignment.h): its checkpoint is not here.
  auto elsewhere = [&](uint32_t index) {
    auto it = by_index.find(index);
    return it != by_index.end() && !options_.split.Reads(it->second->starting_hash_key);
  };
  // Done with: read to its end, or (reading from LATEST, never read) closed before the topology
  // came, as the KCL starts a new application at the open shards; or read by another instance.
  auto done = [&](uint32_t index) {
    auto it = by_index.find(index);
    if (it == by_index.end()) return true;  // aged out with its records
    if (elsewhere(index)) return true;
    return ended(index) || (from_latest && !it->second->open() && !offset_of(index));
  };
  // A parent to read the child after: read to its end here, or by its own instance (unless this
  // one starts afresh at LATEST, where a closed parent is passed over as a single instance does).
  auto read_through = [&](std::optional<uint32_t> parent) {
    if (!parent) return false;
    return ended(*parent) || (elsewhere(*parent) && (known_incarnation || !from_latest));
  };

  std::vector<std::unique_ptr<ShardInput>> inputs;
  for (const ShardDescription& s : shards) {
    if (opened_.contains(s.index) || done(s.index)) continue;
    const bool parents_done =
        (!s.parent || done(*s.parent)) && (!s.adjacent_parent || done(*s.adjacent_parent));
    if (!parents_done) continue;
    const std::string shard = ShardIdFromIndex(s.index);
    IteratorPosition pos = options_.start;
    // A child of shards that were read to their end takes every record after them.
    if (read_through(s.parent) || read_through(s.adjacent_parent)) {
      pos = IteratorPosition{IteratorType::kTrimHorizon, "", 0};
    }
    std::optional<uint64_t> expected;
    std::string last_read;
    if (known_incarnation && pos.type == IteratorType::kTrimHorizon) expected = 1;
    if (const std::string* o = offset_of(s.index)) {
      auto resume = ResumePosition(*o);
      if (!resume.ok())
        return resume.status().WithContext("the checkpoint of " + stream + " " + shard);
      pos = std::move(*resume);
      expected.reset();
      if (pos.type == IteratorType::kAfterSequenceNumber) {
        ASSIGN_OR_RETURN(SequenceNumber seq, SequenceNumber::Parse(pos.sequence_number));
        expected = seq.counter + 1;
        last_read = pos.sequence_number;
      }
    }
    ASSIGN_OR_RETURN(std::string iterator, control_->GetShardIterator(stream, shard, pos));
    ASSIGN_OR_RETURN(auto client, StreamClient::Connect(ctx_, options_.broker, options_.client));
    spdlog::info("reading stream={} shard={} from={}", stream, shard,
                 pos.type == IteratorType::kAfterSequenceNumber ? "seq " + pos.sequence_number
                                                                : FormatIteratorPosition(pos));
    inputs.push_back(std::make_unique<BrokerShard>(stream, shard, s.index, std::move(client),
                                                   std::move(iterator), expected,
                                                   std::move(last_read)));
    opened_.insert(s.index);
  }
  return inputs;
}

}  // namespace pinstream
