#include "runtime/broker_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/time_format.h"
#include "stream/shard_iterator.h"
#include "stream/shard_reader.h"

namespace pinstream {

namespace {

class BrokerShard final : public ShardInput {
 public:
  BrokerShard(std::string stream, std::string shard_id, uint32_t index,
              std::unique_ptr<StreamClient> client, std::string iterator,
              std::optional<uint64_t> expected)
      : stream_(std::move(stream)),
        shard_id_(std::move(shard_id)),
        index_(index),
        client_(std::move(client)),
        iterator_(std::move(iterator)),
        expected_(expected) {}

  const std::string& stream() const override { return stream_; }
  const std::string& shard_id() const override { return shard_id_; }
  uint32_t shard_index() const override { return index_; }
  void set_read_limit(int records) override { limit_ = records; }

  Result<ShardBatch> Read() override {
    if (!reader_) {
      reader_.emplace(client_.get(), std::move(iterator_), ShardReader::Options{.limit = limit_});
    }
    ASSIGN_OR_RETURN(GetRecordsReply reply, reader_->Next());
    // Where this read starts: its first record, or (caught up) where the next one will be.
    uint64_t start;
    if (!reply.records.empty()) {
      start = reply.records.front().sequence_number.counter;
    } else {
      ASSIGN_OR_RETURN(ShardIterator next, ShardIterator::Peek(reader_->iterator()));
      start = next.next_counter;
    }
    ShardBatch batch;
    if (expected_ && start > *expected_) {
      batch.gap = DataGap{stream_,
                          shard_id_,
                          "trimmed by the stream's retention before they were read",
                          SequenceNumber{index_, *expected_ - 1}.ToString(),
                          SequenceNumber{index_, start}.ToString(),
                          static_cast<int64_t>(start - *expected_)};
    }
    expected_ = reply.records.empty() ? start : reply.records.back().sequence_number.counter + 1;
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
};

bool IsSequenceNumber(std::string_view offset) {
  return !offset.empty() && offset.front() >= '0' && offset.front() <= '9';
}

}  // namespace

Result<Source::Opened> BrokerSource::Open(const Checkpoint& checkpoint) {
  const std::string& stream = options_.stream;
  ASSIGN_OR_RETURN(auto control, StreamClient::Connect(ctx_, options_.broker, options_.client));
  ASSIGN_OR_RETURN(const int64_t created_ms, control->StreamCreationTime(stream));
  ASSIGN_OR_RETURN(const std::vector<std::string> shard_ids, control->ListShardIds(stream));
  Opened opened;
  opened.incarnation = FormatIso8601(created_ms);

  static const std::map<std::string, std::string> kNone;
  auto st = checkpoint.offsets.find(stream);
  const auto& offsets = st == checkpoint.offsets.end() ? kNone : st->second;
  auto inc = checkpoint.incarnations.find(stream);
  // A checkpoint from before incarnations were recorded cannot tell; it adopts this one. An
  // offset that is a position (after `offsets reset`) says where to read in any incarnation.
  const bool recreated = inc != checkpoint.incarnations.end() &&
                         inc->second != opened.incarnation &&
                         std::any_of(offsets.begin(), offsets.end(),
                                     [](const auto& o) { return IsSequenceNumber(o.second); });
  const std::set<std::string_view> live(shard_ids.begin(), shard_ids.end());
  for (const auto& [shard, offset] : offsets) {
    if (!IsSequenceNumber(offset)) continue;
    if (recreated) {
      opened.gaps.push_back(DataGap{stream, shard,
                                    "the stream was deleted and created again (created " +
                                        inc->second + ", now " + opened.incarnation + ")",
                                    offset, "", std::nullopt});
    } else if (!live.contains(shard)) {
      opened.gaps.push_back(
          DataGap{stream, shard, "the shard no longer exists", offset, "", std::nullopt});
    }
  }

  for (const std::string& shard : shard_ids) {
    ASSIGN_OR_RETURN(const uint32_t index, ShardIndexFromId(shard));
    IteratorPosition pos = options_.start;
    std::optional<uint64_t> expected;
    // A shard this incarnation had and the topology never read: from TRIM_HORIZON its first
    // record is counter 1, and a later one means records were trimmed before it read them.
    const bool known = inc != checkpoint.incarnations.end() && inc->second == opened.incarnation;
    if (known && pos.type == IteratorType::kTrimHorizon) expected = 1;
    if (auto o = offsets.find(shard); o != offsets.end() && !recreated) {
      auto resume = ResumePosition(o->second);
      if (!resume.ok())
        return resume.status().WithContext("the checkpoint of " + stream + " " + shard);
      pos = std::move(*resume);
      expected.reset();
      if (pos.type == IteratorType::kAfterSequenceNumber) {
        ASSIGN_OR_RETURN(SequenceNumber seq, SequenceNumber::Parse(pos.sequence_number));
        expected = seq.counter + 1;
      }
    }
    ASSIGN_OR_RETURN(std::string iterator, control->GetShardIterator(stream, shard, pos));
    ASSIGN_OR_RETURN(auto client, StreamClient::Connect(ctx_, options_.broker, options_.client));
    spdlog::info("reading stream={} shard={} from={}", stream, shard,
                 pos.type == IteratorType::kAfterSequenceNumber ? "seq " + pos.sequence_number
                                                                : FormatIteratorPosition(pos));
    opened.shards.push_back(std::make_unique<BrokerShard>(stream, shard, index, std::move(client),
                                                          std::move(iterator), expected));
  }
  return opened;
}

std::vector<std::unique_ptr<Source>> MakeBrokerSources(const Topology& topology,
                                                       zmq::context_t* ctx,
                                                       const StreamClient::Options& client) {
  std::vector<std::unique_ptr<Source>> sources;
  for (const auto& src : topology.sources) {
    sources.push_back(std::make_unique<BrokerSource>(
        ctx, BrokerSource::Options{src.broker, src.stream, src.start, client}));
  }
  return sources;
}

}  // namespace pinstream
