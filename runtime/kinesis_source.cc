#include "runtime/kinesis_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "common/time_format.h"
#include "runtime/checkpoint_match.h"
#include "runtime/get_records_pacer.h"

namespace pinstream {

namespace {

// GetRecords results (up to 10,000 records each) a shard's thread reads ahead of the processor.
constexpr size_t kReadAhead = 2;
// Consecutive failed GetRecords (throttled, 5xx, no answer) before the shard gives up; with
// the pacer's backoff capped at 10 s that is about two minutes.
constexpr int kMaxFailures = 16;
// GetRecords of TRIM_HORIZON that may come back empty before the first record shows (AWS
// answers empty reads while it skips over empty stretches of a shard).
constexpr int kHorizonReads = 5;

class KinesisShardInput final : public ShardInput {
 public:
  struct Start {
    std::string iterator;        // where the first GetRecords reads
    IteratorPosition position;   // the shard's start, for a fresh iterator before any record
    std::string last_read;       // the checkpointed sequence number, when resuming
    std::optional<DataGap> gap;  // found at open: delivered with the first batch
  };

  KinesisShardInput(std::string stream, std::string shard_id,
                    std::unique_ptr<KinesisHttpClient> client, Start start, Clock* clock)
      : stream_(std::move(stream)),
        shard_id_(std::move(shard_id)),
        index_(KinesisShardIndex(shard_id_)),
        client_(std::move(client)),
        start_(std::move(start)),
        last_read_(start_.last_read),
        clock_(clock),
        pacer_(clock) {}

  ~KinesisShardInput() override {
    fetcher_.request_stop();  // wakes its waits; the jthread joins
  }

  const std::string& stream() const override { return stream_; }
  const std::string& shard_id() const override { return shard_id_; }
  uint32_t shard_index() const override { return index_; }
  void set_read_limit(int records) override { limit_ = records; }

  Result<ShardBatch> Read() override {
    if (!fetcher_.joinable()) {
      fetcher_ = std::jthread([this](std::stop_token stop) { Fetch(stop); });
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      if (!final_status_.ok()) return final_status_;
      ShardBatch end;
      end.shard_end = true;
      return end;
    }
    if (ready_.front().ok() && ready_.front()->records.size() > static_cast<size_t>(limit_)) {
      return TakeShare(&*ready_.front());
    }
    Result<ShardBatch> batch = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    return batch;
  }

 private:
  void Deliver(Result<ShardBatch> batch) {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(batch));
    cv_.notify_all();
  }
  void Finish(Status status) {
    std::lock_guard lock(mu_);
    done_ = true;
    final_status_ = std::move(status);
    cv_.notify_all();
  }

  // The processor's share of `batch` (its first limit_ records): GetRecords reads as much as a
  // call may (AWS allows 5 calls a second a shard), and the processor takes a batch's share of
  // it at a time. The rest keeps the end of the shard; the gap goes with the first share.
  ShardBatch TakeShare(ShardBatch* batch) {
    const auto n = static_cast<std::ptrdiff_t>(limit_);
    ShardBatch share;
    share.records.assign(batch->records.begin(), batch->records.begin() + n);
    batch->records.erase(batch->records.begin(), batch->records.begin() + n);
    share.sequence_numbers.assign(std::make_move_iterator(batch->sequence_numbers.begin()),
                                  std::make_move_iterator(batch->sequence_numbers.begin() + n));
    batch->sequence_numbers.erase(batch->sequence_numbers.begin(),
                                  batch->sequence_numbers.begin() + n);
    share.buffer = batch->buffer;
    share.millis_behind = batch->millis_behind;
    share.gap = std::move(batch->gap);
    batch->gap.reset();
    return share;
  }

  // A fresh iterator where reading stands: after the last record read, else the start.
  Result<std::string> FreshIterator() {
    IteratorPosition pos = start_.position;
    if (!last_read_.empty()) pos = {IteratorType::kAfterSequenceNumber, last_read_, 0};
    return client_->GetShardIterator(stream_, shard_id_, pos);
  }

  // The shard's reading thread: GetRecords as the pacer allows, a few batches ahead.
  void Fetch(std::stop_token stop) {
    std::string iterator = std::move(start_.iterator);
    std::optional<DataGap> gap = std::move(start_.gap);
    int failures = 0;
    while (true) {
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait(lock, stop, [&] { return ready_.size() < kReadAhead; })) return;
      }
      if (!SleepUntil(*clock_, pacer_.NextCallAtMs(), stop)) return;
      const int64_t started = clock_->NowMillis();
      Result<KinesisRecords> got = client_->GetRecords(iterator, kMaxGetRecordsLimit);
      if (!got.ok()) {
        const Status& s = got.status();
        if (s.code() == Status::Code::kExpiredIterator) {
          // The processor held the batches longer than an iterator lives (5 minutes): worth a
          // warning, since a processor that slow falls behind.
          spdlog::warn("kinesis iterator expired stream={} shard={}; a fresh one after={}", stream_,
                       shard_id_, last_read_.empty() ? "start" : last_read_);
          Result<std::string> fresh = FreshIterator();
          if (fresh.ok()) {
            iterator = std::move(*fresh);
            continue;
          }
          Finish(fresh.status().WithContext("a fresh iterator for " + stream_ + " " + shard_id_));
          return;
        }
        if (IsRetryableKinesisError(s) && ++failures < kMaxFailures) {
          pacer_.OnThrottled();
          spdlog::warn("kinesis backing off stream={} shard={} failures={} wait_ms={} error={}",
                       stream_, shard_id_, failures, pacer_.NextCallAtMs() - started, s.ToString());
          continue;
        }
        Finish(s);
        return;
      }
      failures = 0;
      pacer_.OnRecords(started, got->bytes);
      ShardBatch batch;
      batch.millis_behind = got->millis_behind;
      batch.shard_end = !got->next_iterator.has_value();
      batch.gap = std::move(gap);
      gap.reset();
      for (size_t i = 0; i < got->records.size(); ++i) {
        std::string& seq = got->sequence_numbers[i];
        if (!last_read_.empty() && CompareKinesisSequenceNumbers(seq, last_read_) <= 0) continue;
        last_read_ = seq;
        batch.records.push_back(got->records[i]);
        batch.sequence_numbers.push_back(std::move(seq));
      }
      batch.buffer = std::move(got->buffer);
      // Empty but behind: not caught up (AWS skips empty stretches a call at a time), so read
      // on rather than tell the processor it is.
      if (batch.records.empty() && !batch.gap && !batch.shard_end && batch.millis_behind > 0) {
        iterator = std::move(*got->next_iterator);
        continue;
      }
      Deliver(std::move(batch));
      if (!got->next_iterator) {
        Finish(Status::OK());  // read to its end: the children are the source's to open
        return;
      }
      iterator = std::move(*got->next_iterator);
    }
  }

  const std::string stream_;
  const std::string shard_id_;
  const uint32_t index_;
  std::unique_ptr<KinesisHttpClient> client_;  // the fetcher's
  Start start_;
  std::string last_read_;  // the fetcher's: the sequence number of the last record read
  Clock* clock_;
  GetRecordsPacer pacer_;            // the fetcher's
  int limit_ = kMaxGetRecordsLimit;  // the processor's: records a Read returns at most

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Result<ShardBatch>> ready_;  // GUARDED_BY(mu_)
  bool done_ = false;                     // GUARDED_BY(mu_): the fetcher returned
  Status final_status_;                   // GUARDED_BY(mu_): why, when it failed
  std::jthread fetcher_;                  // last: stopped and joined first
};

}  // namespace

uint32_t KinesisShardIndex(const std::string& shard_id) {
  if (auto index = ShardIndexFromId(shard_id); index.ok()) return *index;
  uint32_t h = 2166136261u;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : shard_id) h = (h ^ c) * 16777619u;
  return h & 0x7fffffff;
}

Result<Source::Opened> KinesisSource::Open(const Checkpoint& checkpoint) {
  const std::string& stream = options_.stream;
  ASSIGN_OR_RETURN(control_, KinesisHttpClient::Open(options_.aws));
  ASSIGN_OR_RETURN(KinesisStreamSummary summary, control_->DescribeStreamSummary(stream));
  ASSIGN_OR_RETURN(const std::vector<KinesisShard> shards, control_->ListShards(stream));
  Opened opened;
  opened.incarnation = FormatIso8601(summary.created_ms);
  opened_.clear();

  std::set<std::string> live;
  for (const auto& s : shards) live.insert(s.shard_id);
  CheckpointMatch match = MatchCheckpoint(checkpoint, stream, opened.incarnation, live);
  opened.gaps = std::move(match.gaps);
  opened.recreated = match.recreated;
  ASSIGN_OR_RETURN(opened.shards, OpenReady(shards, *match.offsets, match.known_incarnation));
  return opened;
}

Result<std::vector<std::unique_ptr<ShardInput>>> KinesisSource::OpenChildren(
    const Checkpoint& checkpoint) {
  if (!control_) return Status::Internal("OpenChildren before Open");
  ASSIGN_OR_RETURN(const std::vector<KinesisShard> shards, control_->ListShards(options_.stream));
  static const std::map<std::string, std::string> kNone;
  auto st = checkpoint.offsets.find(options_.stream);
  return OpenReady(shards, st == checkpoint.offsets.end() ? kNone : st->second, true);
}

Result<std::optional<DataGap>> KinesisSource::FindTrimmed(const std::string& shard,
                                                          const std::string& after) {
  IteratorPosition horizon{IteratorType::kTrimHorizon, "", 0};
  ASSIGN_OR_RETURN(std::string iterator,
                   control_->GetShardIterator(options_.stream, shard, horizon));
  std::string first;
  for (int i = 0; i < kHorizonReads && first.empty(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // 5 reads/s
    ASSIGN_OR_RETURN(KinesisRecords got, control_->GetRecords(iterator, 1));
    if (!got.sequence_numbers.empty()) first = got.sequence_numbers.front();
    if (!got.next_iterator || got.millis_behind == 0) break;
    iterator = std::move(*got.next_iterator);
  }
  // Nothing readable after a checkpoint of this shard: had the checkpointed record still been
  // there, TRIM_HORIZON would have read it.
  if (!first.empty() && CompareKinesisSequenceNumbers(first, after) <= 0) {
    return std::optional<DataGap>();
  }
  return std::optional<DataGap>(
      DataGap{options_.stream, shard,
              "the checkpointed record was trimmed by the stream's retention; records after "
              "it may have been too (Kinesis cannot tell how many)",
              after, first, std::nullopt});
}

Result<std::vector<std::unique_ptr<ShardInput>>> KinesisSource::OpenReady(
    const std::vector<KinesisShard>& shards, const std::map<std::string, std::string>& offsets,
    bool known_incarnation) {
  const std::string& stream = options_.stream;
  const bool from_latest = options_.start.type == IteratorType::kLatest;
  auto offset_of = [&](const std::string& id) -> const std::string* {
    auto o = offsets.find(id);
    return o == offsets.end() ? nullptr : &o->second;
  };
  auto ended = [&](const std::string& id) {
    const std::string* o = offset_of(id);
    return o && *o == kShardEndOffset;
  };
  std::map<std::string, const KinesisShard*> by_id;
  for (const auto& s : shards) by_id[s.shard_id] = &s;
  // Another instance's shard (runtime/shard_assignment.h): its checkpoint is not here.
  auto elsewhere = [&](const std::string& id) {
    auto it = by_id.find(id);
    return it != by_id.end() && !options_.split.Reads(it->second->starting_hash_key);
  };
  // Done with: read to its end, or (reading from LATEST, never read) closed before the topology
  // came, as the KCL starts a new application at the open shards; or read by another instance.
  auto done = [&](const std::string& id) {
    auto it = by_id.find(id);
    if (it == by_id.end()) return true;  // aged out with its records
    if (elsewhere(id)) return true;
    return ended(id) || (from_latest && !it->second->open() && !offset_of(id));
  };
  // A parent to read the child after: read to its end here, or by its own instance (unless this
  // one starts afresh at LATEST, where a closed parent is passed over as a single instance does).
  auto read_through = [&](const std::string& parent) {
    if (parent.empty()) return false;
    return ended(parent) || (elsewhere(parent) && (known_incarnation || !from_latest));
  };

  std::vector<std::unique_ptr<ShardInput>> inputs;
  for (const KinesisShard& s : shards) {
    if (opened_.contains(s.shard_id) || done(s.shard_id)) continue;
    const bool parents_done = (s.parent.empty() || done(s.parent)) &&
                              (s.adjacent_parent.empty() || done(s.adjacent_parent));
    if (!parents_done) continue;
    KinesisShardInput::Start start;
    start.position = options_.start;
    // A child of shards that were read to their end takes every record after them.
    if (read_through(s.parent) || read_through(s.adjacent_parent)) {
      start.position = IteratorPosition{IteratorType::kTrimHorizon, "", 0};
    }
    IteratorPosition pos = start.position;
    if (const std::string* o = offset_of(s.shard_id)) {
      auto resume = ResumePosition(*o);
      if (!resume.ok()) {
        return resume.status().WithContext("the checkpoint of " + stream + " " + s.shard_id);
      }
      pos = std::move(*resume);
      if (pos.type == IteratorType::kAfterSequenceNumber) {
        start.last_read = pos.sequence_number;
        ASSIGN_OR_RETURN(start.gap, FindTrimmed(s.shard_id, pos.sequence_number));
      } else {
        start.position = pos;  // a position `offsets reset` wrote
      }
    }
    ASSIGN_OR_RETURN(start.iterator, control_->GetShardIterator(stream, s.shard_id, pos));
    ASSIGN_OR_RETURN(auto client, KinesisHttpClient::Open(options_.aws));
    spdlog::info("reading kinesis endpoint={} stream={} shard={} from={}",
                 options_.aws.endpoint_url, stream, s.shard_id,
                 pos.type == IteratorType::kAfterSequenceNumber ? "seq " + pos.sequence_number
                                                                : FormatIteratorPosition(pos));
    inputs.push_back(std::make_unique<KinesisShardInput>(stream, s.shard_id, std::move(client),
                                                         std::move(start), options_.clock));
    opened_.insert(s.shard_id);
  }
  return inputs;
}

}  // namespace pinstream
