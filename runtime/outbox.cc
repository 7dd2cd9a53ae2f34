#include "runtime/outbox.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <string_view>

#include "common/coding.h"
#include "common/json_dump.h"
#include "stream/kinesis_backoff.h"
#include "stream/kinesis_http_client.h"

namespace pinstream {

namespace {

// Kinesis's limits: PutRecords takes 500 records and 5 MiB a call; a record's data and
// partition key together are at most 1 MiB, a partition key 1 to 256 characters.
constexpr size_t kMaxCallRecords = 500;
constexpr size_t kMaxCallBytes = size_t{5} << 20;
constexpr size_t kMaxRecordBytes = size_t{1} << 20;
constexpr size_t kMaxPartitionKey = 256;
// How far past the first unsent record a call looks for records of other keys.
constexpr size_t kLookahead = 4 * kMaxCallRecords;
constexpr size_t kKeySuffix = 12;  // [batch id:8][index:4]

std::string PartitionKeyText(const Value& v) {
  return v.type() == Type::kString ? v.as_string() : v.ToJson().dump();
}

bool RetryableRecord(const Status& s) {
  return IsRetryableKinesisError(s) || s.code() == Status::Code::kInternal;
}

std::string EncodeEntry(std::string_view output, std::string_view partition_key,
                        std::string_view data) {
  std::string out;
  PutLengthPrefixed(&out, output);
  PutLengthPrefixed(&out, partition_key);
  out.append(data);
  return out;
}

}  // namespace

std::string StreamRecordData(const Schema& schema, const Row& row, const std::string& id) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j[kRecordIdField] = id;
  for (size_t i = 0; i < schema.size() && i < row.size(); ++i) {
    j[schema.column(i).name] = row[i].ToJson();
  }
  return DumpJson(j);
}

Outbox::Outbox(const Graph* graph, OutboxStore* store,
               std::vector<std::unique_ptr<StreamWriter>> writers, Options options)
    : graph_(graph), store_(store), writers_(std::move(writers)), options_(std::move(options)) {
  if (options_.kill_after_puts == 0) {
    if (const char* v = std::getenv("PINSTREAM_FAULT_OUTBOX_KILL_AFTER_PUTS")) {
      options_.kill_after_puts = std::atoi(v);
    }
  }
  row_index_.assign(graph_->stream_outputs().size(), 0);
  sent_ = std::make_unique<std::atomic<uint64_t>[]>(row_index_.size());
}

Outbox::~Outbox() {
  sender_.request_stop();
  cv_.notify_all();
}

// "<topology>/", under which the entries sort by batch and index.
std::string Outbox::KeyPrefix() const { return options_.topology + "/"; }

Status Outbox::Start() {
  const auto& outputs = graph_->stream_outputs();
  if (writers_.size() != outputs.size()) {
    return Status::Internal("the outbox needs one stream writer per stream output");
  }
  const std::string prefix = KeyPrefix();
  std::deque<Entry> left;
  std::map<std::string, uint64_t> orphans;  // by output name
  Status bad;
  RETURN_IF_ERROR(store_->ScanOutbox(prefix, [&](std::string_view key, std::string_view value) {
    // A topology whose name extends this one's ("a" and "a/b") has keys under it too.
    if (key.size() != prefix.size() + kKeySuffix) return true;
    Decoder d(value);
    std::string_view output, partition_key;
    if (!d.GetLengthPrefixed(&output) || !d.GetLengthPrefixed(&partition_key)) {
      bad = Status::Corruption("malformed outbox entry");
      return false;
    }
    size_t o = 0;
    while (o < outputs.size() && outputs[o].spec->name != output) ++o;
    if (o == outputs.size()) {
      ++orphans[std::string(output)];
      return true;
    }
    left.push_back(Entry{std::string(key), o, std::string(partition_key), std::string(d.rest())});
    return true;
  }));
  RETURN_IF_ERROR(bad);
  for (const auto& [output, n] : orphans) {
    // Kept, not sent: the output may come back to the topology.
    spdlog::warn(
        "outbox: {} unsent records of stream output '{}', which topology '{}' no longer "
        "has, stay in the outbox",
        n, output, options_.topology);
  }
  if (!left.empty()) {
    spdlog::info("outbox: sending {} records a previous run committed and did not send",
                 left.size());
  }
  {
    std::lock_guard lock(mu_);
    unsent_ += left.size();
    queue_ = std::move(left);
  }
  sender_ = std::jthread([this](std::stop_token stop) { Send(stop); });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return streams_ready_ || !error_.ok(); });
  return error_;
}

void Outbox::StartRecord(const std::string& stream, const std::string& shard_id,
                         std::string sequence_number) {
  flushing_ = false;
  record_id_.clear();
  record_id_.append(stream).append("/").append(shard_id).append("/").append(sequence_number);
  std::fill(row_index_.begin(), row_index_.end(), 0);
}

void Outbox::StartFlush() {
  flushing_ = true;
  std::fill(row_index_.begin(), row_index_.end(), 0);
}

Status Outbox::Stage(size_t output, const Row& row) {
  const Graph::StreamOutputDef& def = graph_->stream_outputs()[output];
  std::string partition_key = PartitionKeyText(row[def.partition_key]);
  if (partition_key.empty() || partition_key.size() > kMaxPartitionKey) {
    return Status::InvalidArgument("partition key column '" + def.spec->partition_key +
                                   "' must hold 1 to 256 bytes, not " +
                                   std::to_string(partition_key.size()));
  }
  if (batch_id_ < 0) {
    ASSIGN_OR_RETURN(batch_id_, store_->NextBatchId(options_.topology));
  }
  std::string id = options_.topology + "/" + def.spec->name + "/";
  if (flushing_) {
    if (!options_.instance.empty()) id += options_.instance + "/";
    id += "batch/" + std::to_string(batch_id_);
  } else {
    id += record_id_;
  }
  id += "/" + std::to_string(row_index_[output]);
  std::string data = StreamRecordData(def.schema, row, id);
  if (data.size() + partition_key.size() > kMaxRecordBytes) {
    return Status::InvalidArgument("the record is " + std::to_string(data.size()) +
                                   " bytes, over Kinesis's 1 MiB");
  }
  ++row_index_[output];
  std::string key = KeyPrefix();
  PutFixed64BE(&key, static_cast<uint64_t>(batch_id_));
  PutFixed32BE(&key, static_cast<uint32_t>(staged_.size()));
  RETURN_IF_ERROR(store_->StageOutbox(key, EncodeEntry(def.spec->name, partition_key, data)));
  staged_.push_back(Entry{std::move(key), output, std::move(partition_key), std::move(data)});
  return Status::OK();
}

void Outbox::Committed() {
  batch_id_ = -1;
  if (staged_.empty()) return;
  {
    std::lock_guard lock(mu_);
    unsent_ += staged_.size();
    for (auto& e : staged_) queue_.push_back(std::move(e));
  }
  staged_.clear();
  cv_.notify_all();
}

void Outbox::Abort() {
  batch_id_ = -1;
  staged_.clear();
}

Status Outbox::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return unsent_ == 0 || !error_.ok(); });
  return error_;
}

Status Outbox::error() {
  std::lock_guard lock(mu_);
  return error_;
}

std::vector<uint64_t> Outbox::sent() const {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < row_index_.size(); ++i) out.push_back(sent_[i].load());
  return out;
}

// Sleeps `ms` unless stopped first; false when stopped.
bool Outbox::Wait(std::stop_token stop, int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, stop, std::chrono::milliseconds(ms), [] { return false; });
  return !stop.stop_requested();
}

void Outbox::Send(std::stop_token stop) {
  auto fail = [&](Status s) {
    spdlog::error("outbox: sending stopped topology={} error=\"{}\"", options_.topology,
                  s.ToString());
    std::lock_guard lock(mu_);
    error_ = std::move(s);
    cv_.notify_all();
  };
  const auto& outputs = graph_->stream_outputs();
  for (size_t o = 0; o < writers_.size(); ++o) {
    if (Status s = writers_[o]->EnsureStream(outputs[o].spec->shards); !s.ok()) {
      return fail(s.WithContext("stream output '" + outputs[o].spec->name + "'"));
    }
  }
  {
    std::lock_guard lock(mu_);
    streams_ready_ = true;
  }
  cv_.notify_all();
  std::vector<std::deque<Entry>> pending(writers_.size());
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
      for (auto& e : queue_) pending[e.output].push_back(std::move(e));
      queue_.clear();
    }
    for (size_t o = 0; o < pending.size(); ++o) {
      if (Status s = SendAll(stop, o, &pending[o]); !s.ok()) {
        return fail(s.WithContext(writers_[o]->destination()));
      }
    }
  }
}

Status Outbox::SendAll(std::stop_token stop, size_t output, std::deque<Entry>* pending) {
  StreamWriter& writer = *writers_[output];
  KinesisBackoff backoff(/*base_ms=*/50, /*cap_ms=*/2000);
  int failures = 0;
  std::vector<size_t> call;  // indexes into *pending
  std::vector<StreamWriter::Entry> entries;
  std::set<std::string_view> keys;
  while (!pending->empty()) {
    if (stop.stop_requested()) return Status::OK();
    // Ordered: the first record of each key, in order; a key's later records wait for it.
    const bool ordered = graph_->stream_outputs()[output].spec->ordered;
    call.clear();
    entries.clear();
    keys.clear();
    size_t bytes = 0;
    for (size_t i = 0; i < pending->size() && i < kLookahead && call.size() < kMaxCallRecords;
         ++i) {
      const Entry& e = (*pending)[i];
      if (ordered && !keys.insert(e.partition_key).second) continue;
      const size_t size = e.partition_key.size() + e.data.size();
      if (bytes + size > kMaxCallBytes) break;
      bytes += size;
      call.push_back(i);
      entries.push_back({e.partition_key, e.data});
    }
    Result<std::vector<Status>> results = writer.PutRecords(entries);
    if (results.ok() && results->size() != entries.size()) {
      results = Status::Internal("PutRecords answered " + std::to_string(results->size()) +
                                 " results for " + std::to_string(entries.size()) + " records");
    }
    if (!results.ok() && !IsRetryableKinesisError(results.status())) return results.status();
    std::vector<std::string> done;
    Status refused;
    if (results.ok()) {
      for (size_t k = 0; k < call.size(); ++k) {
        const Status& s = (*results)[k];
        if (s.ok()) {
          done.push_back(std::move((*pending)[call[k]].key));
        } else if (!RetryableRecord(s)) {
          return s.WithContext("a record was refused");
        } else if (refused.ok()) {
          refused = s;
        }
      }
    } else {
      refused = results.status();
    }
    if (!done.empty()) {
      if (options_.kill_after_puts > 0 && ++puts_ >= options_.kill_after_puts) {
        spdlog::warn("outbox: fault point: killed after put {} before its delete", puts_);
        std::raise(SIGKILL);
      }
      // A failed delete only means these records are sent again after a restart.
      if (Status s = store_->DeleteOutbox(done); !s.ok()) {
        spdlog::warn("outbox: deleting sent records failed error=\"{}\"", s.ToString());
      }
      sent_[output] += done.size();
      // Sent records leave the queue; the others keep their places (and their keys' order).
      std::erase_if(*pending, [&](const Entry& e) { return e.key.empty(); });
      std::lock_guard lock(mu_);
      unsent_ -= done.size();
      cv_.notify_all();
    }
    if (refused.ok()) {
      failures = 0;
      backoff.Reset();
      continue;
    }
    if (++failures >= options_.max_attempts) {
      return refused.WithContext("still refused after " + std::to_string(failures) + " attempts");
    }
    const int64_t delay = backoff.NextDelayMs();
    SPDLOG_DEBUG("outbox: resending after delay_ms={} error={}", delay, refused.ToString());
    if (!Wait(stop, delay)) return Status::OK();
  }
  return Status::OK();
}

}  // namespace pinstream
