#include "runtime/processor.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "runtime/data_loss.h"
#include "runtime/outbox.h"

namespace pinstream {

// One shard being read.
struct Processor::Input {
  size_t source = 0;
  std::unique_ptr<ShardInput> shard;
  bool caught_up = false;
  bool ended = false;  // a closed shard read to its end: its children replace it
  int64_t millis_behind = 0;

  const std::string& stream() const { return shard->stream(); }
  const std::string& shard_id() const { return shard->shard_id(); }
};

Processor::Processor(std::unique_ptr<Graph> graph, std::vector<std::unique_ptr<Source>> sources,
                     CommitStore* store, const Options& options, StreamOutputs outputs)
    : graph_(std::move(graph)),
      sources_(std::move(sources)),
      outputs_(std::move(outputs)),
      store_(store),
      options_(options) {}

Processor::~Processor() = default;

Status Processor::Open() {
  const Topology& t = graph_->topology();
  if (sources_.size() != t.sources.size()) {
    return Status::Internal("the processor needs one source per topology source");
  }
  for (const auto& def : graph_->tables()) {
    ASSIGN_OR_RETURN(TableWriter * w, store_->OpenTable(def));
    writers_.push_back(w);
  }
  if (std::any_of(t.sources.begin(), t.sources.end(), [](const Topology::Source& s) {
        return s.on_data_loss == Topology::OnDataLoss::kContinue;
      })) {
    ASSIGN_OR_RETURN(data_loss_, store_->OpenTable(DataLossTableDef()));
  }
  graph_->BindState(store_);
  store_->SetCommitInfo(options_.commit_info);
  if (!graph_->stream_outputs().empty()) {
    if (outputs_.store == nullptr || outputs_.writers.size() != graph_->stream_outputs().size()) {
      return Status::InvalidArgument("topology '" + t.name +
                                     "' writes to streams, which this command does not support");
    }
    outbox_ = std::make_unique<Outbox>(graph_.get(), outputs_.store, std::move(outputs_.writers),
                                       Outbox::Options{t.name, outputs_.instance});
    RETURN_IF_ERROR(outbox_->Start());
  }
  ASSIGN_OR_RETURN(checkpoint_, store_->LoadCheckpoint(t.name));
  // The store applies the topology's retention itself, from its commits.
  RetentionPolicy retention;
  retention.history_ms = t.history_retention_ms;
  retention.rewind_ms = t.rewind_retention_ms;
  RETURN_IF_ERROR(store_->SetRetention(t.name, retention));
  for (size_t s = 0; s < sources_.size(); ++s) {
    Source& source = *sources_[s];
    auto opened = source.Open(checkpoint_);
    if (!opened.ok()) return opened.status().WithContext("source '" + t.sources[s].name + "'");
    // What is gone leaves the checkpoint: a new incarnation starts afresh, a vanished shard is
    // no longer read.
    for (const DataGap& gap : opened->gaps) {
      RETURN_IF_ERROR(OnDataLoss(s, gap));
      if (auto it = checkpoint_.offsets.find(source.stream()); it != checkpoint_.offsets.end()) {
        it->second.erase(gap.shard_id);
      }
      if (auto it = checkpoint_.arrivals.find(source.stream()); it != checkpoint_.arrivals.end()) {
        it->second.erase(gap.shard_id);
      }
    }
    if (opened->recreated) {
      if (auto it = checkpoint_.offsets.find(source.stream()); it != checkpoint_.offsets.end()) {
        std::erase_if(it->second, [](const auto& o) { return o.second == kShardEndOffset; });
      }
    }
    checkpoint_.incarnations[source.stream()] = opened->incarnation;
    AddInputs(s, std::move(opened->shards));
  }
  return Status::OK();
}

void Processor::AddInputs(size_t source, std::vector<std::unique_ptr<ShardInput>> shards) {
  for (auto& shard : shards) {
    auto in = std::make_unique<Input>();
    in->source = source;
    in->shard = std::move(shard);
    graph_->AddChannel(Channel{static_cast<uint32_t>(source), in->shard->shard_index()});
    inputs_.push_back(std::move(in));
  }
  // Each read takes a share of a batch, so that a batch holds records of every shard, as
  // Spark's Kinesis source caps records per shard per trigger. The records of one post are at
  // about the same place in the pin, geo and user shards: read together, a join completes
  // them within the batch instead of holding a whole batch of one stream in its state.
  if (inputs_.empty()) return;
  const Topology& t = graph_->topology();
  const int64_t share = (t.max_batch_records + static_cast<int64_t>(inputs_.size()) - 1) /
                        static_cast<int64_t>(inputs_.size());
  for (auto& in : inputs_) {
    in->shard->set_read_limit(static_cast<int>(std::clamp<int64_t>(share, 1, kMaxGetRecordsLimit)));
  }
}

// The shards read to their end leave; the children that became readable take their place (of
// every source when `every_source`).
Status Processor::ReplaceEndedShards(bool every_source) {
  std::set<size_t> sources;
  for (const auto& in : inputs_) {
    if (in->ended) sources.insert(in->source);
  }
  for (size_t s = 0; every_source && s < sources_.size(); ++s) sources.insert(s);
  if (sources.empty()) return Status::OK();
  std::erase_if(inputs_, [](const auto& in) { return in->ended; });
  next_input_ = 0;
  for (size_t s : sources) {
    auto children = sources_[s]->OpenChildren(checkpoint_);
    if (!children.ok()) return children.status().WithContext("stream " + sources_[s]->stream());
    AddInputs(s, std::move(*children));
  }
  return Status::OK();
}

Status Processor::OnDataLoss(size_t source, const DataGap& gap) {
  const Topology& t = graph_->topology();
  if (t.sources[source].on_data_loss == Topology::OnDataLoss::kFail) {
    return DataLossError(t.name, gap);
  }
  spdlog::warn(
      "data loss stream={} shard={} checkpoint={} first_available={} records_lost={} "
      "reason=\"{}\" (recorded in table data_loss; on_data_loss is continue)",
      gap.stream, gap.shard_id, gap.last_checkpoint,
      gap.first_available.empty() ? "unknown" : gap.first_available,
      gap.records_lost ? std::to_string(*gap.records_lost) : "unknown", gap.reason);
  RETURN_IF_ERROR(data_loss_->Write(DataLossRow(t.name, gap, options_.clock->NowMillis())));
  ++stats_.data_loss_gaps;
  ++batch_gaps_;
  return Status::OK();
}

Status Processor::WriteRow(size_t sink, const Row& row) {
  RETURN_IF_ERROR(sink < writers_.size() ? writers_[sink]->Write(row)
                                         : outbox_->Stage(sink - writers_.size(), row));
  ++stats_.rows_out;
  return Status::OK();
}

Status Processor::ReadInto(Input& in, bool* got_records) {
  ASSIGN_OR_RETURN(ShardBatch batch, in.shard->Read());
  if (batch.gap) RETURN_IF_ERROR(OnDataLoss(in.source, *batch.gap));
  in.millis_behind = batch.millis_behind;
  in.caught_up = batch.records.empty();
  *got_records = !batch.records.empty();
  size_t current = 0;  // the record being processed
  auto emit = [this](size_t table, const Row& row) { return WriteRow(table, row); };
  auto fail = [&](const std::string& op, const Status& why) {
    DeadLetter letter{in.stream(),
                      in.shard_id(),
                      batch.SequenceNumberOf(current),
                      batch.records[current].arrival_ms,
                      std::string(batch.records[current].partition_key),
                      std::string(batch.records[current].data),
                      op,
                      why.ToString(),
                      graph_->topology().name};
    ++stats_.dead_letters;
    ++batch_dead_letters_;
    return store_->WriteDeadLetter(letter);
  };
  const Channel channel{static_cast<uint32_t>(in.source), in.shard->shard_index()};
  for (; current < batch.records.size(); ++current) {
    const RecordView& r = batch.records[current];
    std::string data;
    data.reserve(r.data.size() + simdjson::SIMDJSON_PADDING);  // parse_json parses in place
    data.append(r.data);
    Row row{Value::String(std::move(data)), Value::String(std::string(r.partition_key)),
            Value::TimestampMs(r.arrival_ms)};
    if (outbox_) outbox_->StartRecord(in.stream(), in.shard_id(), batch.SequenceNumberOf(current));
    RETURN_IF_ERROR(
        graph_->Process(RecordContext{channel, r.arrival_ms}, std::move(row), emit, fail));
    ++stats_.records_in;
    ++batch_records_;
    batch_bytes_ += r.data.size();
  }
  if (!batch.records.empty()) {
    const RecordView& last = batch.records.back();
    checkpoint_.offsets[in.stream()][in.shard_id()] =
        batch.SequenceNumberOf(batch.records.size() - 1);
    checkpoint_.arrivals[in.stream()][in.shard_id()] = last.arrival_ms;
  }
  if (batch.shard_end) {
    // After the shard's last records, and committed with them: after a restart the shard is
    // not read again, and its children are.
    in.ended = true;
    checkpoint_.offsets[in.stream()][in.shard_id()] = std::string(kShardEndOffset);
    ++batch_shard_ends_;
  }
  return Status::OK();
}

// The stream operators' end-of-batch rows (updated aggregates, closed windows) and state
// writes join the batch. Their rows have no source record: a failing one becomes a dead letter
// carrying the row in its error.
Status Processor::FlushGraph() {
  auto emit = [this](size_t table, const Row& row) { return WriteRow(table, row); };
  auto fail = [&](const std::string& op, const Status& why) {
    DeadLetter letter;
    letter.arrival_ms = options_.clock->NowMillis();
    letter.op = op;
    letter.error = why.ToString();
    letter.topology = graph_->topology().name;
    ++stats_.dead_letters;
    ++batch_dead_letters_;
    return store_->WriteDeadLetter(letter);
  };
  if (outbox_) outbox_->StartFlush();
  return graph_->Flush(BatchContext{options_.clock->NowMillis()}, emit, fail);
}

Status Processor::CommitBatch() {
  if (batch_records_ == 0 && batch_gaps_ == 0 && batch_shard_ends_ == 0) return Status::OK();
  const auto commit_started = std::chrono::steady_clock::now();
  // The sender gave up: stop, and let a restart send what is in the outbox.
  if (outbox_) RETURN_IF_ERROR(outbox_->error());
  RETURN_IF_ERROR(FlushGraph());
  if (options_.before_commit) RETURN_IF_ERROR(options_.before_commit(stats_));
  ASSIGN_OR_RETURN(int64_t batch_id, store_->Commit(graph_->topology().name, checkpoint_));
  if (outbox_ && outbox_->has_staged()) {
    // Only a written batch's records may leave: a batch lost in its write would be processed
    // again, its flushed rows perhaps otherwise, under the same ids. So no pipelining here.
    RETURN_IF_ERROR(store_->AwaitCommits());
  }
  if (outbox_) outbox_->Committed();
  ++stats_.batches;
  if (options_.monitor != nullptr) {
    using Seconds = std::chrono::duration<double>;
    const auto now = std::chrono::steady_clock::now();
    last_batch_ = {batch_records_, Seconds(now - batch_started_).count(),
                   Seconds(now - commit_started).count()};
    options_.monitor->ObserveBatch(last_batch_.records, last_batch_.seconds,
                                   last_batch_.commit_seconds);
  }
  SPDLOG_DEBUG("committed batch={} records={}", batch_id, batch_records_);
  (void)batch_id;
  batch_records_ = 0;
  batch_bytes_ = 0;
  batch_dead_letters_ = 0;
  batch_gaps_ = 0;
  batch_shard_ends_ = 0;
  return Status::OK();
}

// Each stream's MillisBehindLatest (its most lagging shard), as "{stream:ms,...}".
std::string Processor::StreamLag() const {
  std::map<std::string_view, int64_t> lag;
  for (const auto& in : inputs_) {
    int64_t& ms = lag[in->stream()];
    ms = std::max(ms, in->millis_behind);
  }
  std::string out = "{";
  for (const auto& [stream, ms] : lag) {
    out += (out.size() > 1 ? "," : "") + std::string(stream) + ":" + std::to_string(ms);
  }
  return out + "}";
}

StateStats Processor::state_stats() const { return graph_->state_stats(); }

void Processor::PublishStatus() {
  ProcessorStatus status;
  status.topology = graph_->topology().name;
  status.started_ms = started_ms_;
  status.updated_ms = options_.clock->NowMillis();
  status.records_in = stats_.records_in;
  status.rows_out = stats_.rows_out;
  status.dead_letters = stats_.dead_letters;
  status.data_loss_gaps = stats_.data_loss_gaps;
  status.batches = stats_.batches;
  status.shards.reserve(inputs_.size());
  for (const auto& in : inputs_) {
    status.shards.push_back({in->stream(), in->shard_id(), in->millis_behind});
  }
  status.operators = graph_->operator_counts();
  status.state = graph_->state_stats();
  status.last_batch_records = last_batch_.records;
  status.last_batch_seconds = last_batch_.seconds;
  status.last_commit_seconds = last_batch_.commit_seconds;
  options_.monitor->Publish(std::move(status));
}

void Processor::LogProgress(bool final) {
  const int64_t now = options_.clock->NowMillis();
  stats_.millis_behind = 0;
  for (const auto& in : inputs_)
    stats_.millis_behind = std::max(stats_.millis_behind, in->millis_behind);
  auto log_state = [&] {
    const StateStats state = graph_->state_stats();
    if (state.keys == 0 && state.cached_groups == 0) return;  // no stateful stream operator
    spdlog::info("state keys={} bytes={} cached_groups={} cached_bytes={}", state.keys, state.bytes,
                 state.cached_groups, state.cached_bytes);
  };
  if (final) {
    log_state();
    double secs = std::max<double>(1e-3, static_cast<double>(now - started_ms_) / 1000.0);
    spdlog::info(
        "processor done records={} rows={} dead_letters={} data_loss_gaps={} batches={} "
        "seconds={:.2f} records_per_s={:.0f}",
        stats_.records_in, stats_.rows_out, stats_.dead_letters, stats_.data_loss_gaps,
        stats_.batches, secs, static_cast<double>(stats_.records_in) / secs);
    return;
  }
  if (now - last_progress_ms_ < options_.progress_interval_ms) return;
  double secs = std::max<double>(1e-3, static_cast<double>(now - last_progress_ms_) / 1000.0);
  spdlog::info(
      "progress records_in_per_s={:.0f} rows_out_per_s={:.0f} records={} dead_letters={} "
      "millis_behind={}",
      static_cast<double>(stats_.records_in - last_progress_stats_.records_in) / secs,
      static_cast<double>(stats_.rows_out - last_progress_stats_.rows_out) / secs,
      stats_.records_in, stats_.dead_letters, StreamLag());
  log_state();
  last_progress_ms_ = now;
  last_progress_stats_ = stats_;
}

Status Processor::Run(std::stop_token stop) {
  RETURN_IF_ERROR(Open());
  Clock* clock = options_.clock;
  started_ms_ = last_progress_ms_ = clock->NowMillis();
  const Topology& t = graph_->topology();
  // A batch ends at commit_interval_ms, or once it holds max_batch_records records or
  // max_batch_bytes of their data; a single batch only once everything is read.
  const bool single = options_.once && options_.single_batch;
  auto batch_full = [&] {
    return !single && (static_cast<int64_t>(batch_records_) >= t.max_batch_records ||
                       static_cast<int64_t>(batch_bytes_) >= t.max_batch_bytes);
  };
  int64_t idle_ms = 1;
  int64_t next_discovery_ms = clock->NowMillis() + options_.discover_shards_ms;
  if (options_.monitor != nullptr) PublishStatus();
  while (true) {
    batch_started_ = std::chrono::steady_clock::now();
    const int64_t deadline = single ? INT64_MAX : clock->NowMillis() + t.commit_interval_ms;
    bool all_caught_up = false;
    while (!stop.stop_requested() && !batch_full() && clock->NowMillis() < deadline) {
      // One reply per shard per round; a full batch ends the round, and the next round
      // starts at the shard after the last one read, so that every shard gets its turn.
      bool any = false;
      for (size_t visited = 0; visited < inputs_.size() && !batch_full(); ++visited) {
        Input& in = *inputs_[next_input_];
        next_input_ = (next_input_ + 1) % inputs_.size();
        bool got = false;
        Status s = ReadInto(in, &got);
        if (!s.ok()) {
          // Nothing of this batch is committed yet: the records read so far are read again
          // after a restart, so giving up here loses and duplicates nothing.
          return s.WithContext("reading stream " + in.stream() + " " + in.shard_id());
        }
        if (got) RETURN_IF_ERROR(store_->MaybeWriteAhead(t.name));
        any |= got;
      }
      const bool discover =
          options_.discover_shards_ms > 0 && clock->NowMillis() >= next_discovery_ms;
      if (discover) next_discovery_ms = clock->NowMillis() + options_.discover_shards_ms;
      RETURN_IF_ERROR(ReplaceEndedShards(discover));
      all_caught_up =
          std::all_of(inputs_.begin(), inputs_.end(), [](const auto& in) { return in->caught_up; });
      if (options_.once && all_caught_up) break;
      if (any) {
        idle_ms = 1;
      } else {
        // Idle: back off exponentially up to 200 ms, but never past the batch deadline.
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min<int64_t>(idle_ms, std::max<int64_t>(0, deadline - clock->NowMillis()))));
        idle_ms = std::min<int64_t>(idle_ms * 2, 200);
      }
    }
    if (single && !all_caught_up) {
      // A single batch is all or nothing: stopped halfway, it commits nothing.
      return Status::Unavailable("stopped before everything was read: nothing was committed");
    }
    RETURN_IF_ERROR(CommitBatch());
    if (options_.monitor != nullptr) PublishStatus();
    LogProgress(false);
    if (stop.stop_requested() || (options_.once && all_caught_up)) break;
  }
  RETURN_IF_ERROR(store_->AwaitCommits());
  if (outbox_) {
    RETURN_IF_ERROR(outbox_->Drain());
    const auto sent = outbox_->sent();
    for (size_t o = 0; o < sent.size(); ++o) {
      spdlog::info("outbox sent output={} records={}", graph_->stream_outputs()[o].spec->name,
                   sent[o]);
    }
  }
  LogProgress(true);
  return Status::OK();
}

}  // namespace pinstream
