// End-to-end latency of the processor (issue 3): from a record's PutRecords acknowledgement to
// the commit of the processor's micro-batch that holds its row. Prints one JSON line.
//
//   processor_latency_bench --broker EP --prefix bench --store DIR --rate 20000 --seconds 30
//
// Expects a broker holding the streams <prefix>-pin, -geo and -user, and a processor
// (`pinstream run topologies/pinterest.json --data DIR`) already running on them;
// bench/run_processor_latency_bench.sh sets both up, each in its own process. The driver:
//  1. puts emulator posts (a pin, a geo and a user record each) at a steady total rate, one
//     PutRecords per stream every tick, keeping each entry's shard, sequence number and ack
//     time. Every post has its own ind, so that every record yields a row (the dedup would drop
//     repeated inds and no row would become readable for them);
//  2. meanwhile polls the processor's store through a RocksDB secondary instance, which tails the
//     writer's WAL, and notes when each batch record (written in the same WriteBatch as the
//     rows) first becomes visible;
//  3. waits until the processor has committed every acknowledged record, then reads the batches
//     (ProcessorStore::ListBatches) and maps each record to the first batch whose offset for its
//     shard reaches its sequence number.
// A record's row is readable once the DB::Write of its batch returned. The store stamps a batch
// (BatchRecord::time_ms, ms) when Commit starts, before it stages the state and calls DB::Write;
// acks are stamped when the driver reads the PutRecords reply. All on the system clock, the
// stamps' clock. Per record:
//  - ack_to_commit_start = stamp - ack: a lower bound;
//  - ack_to_committed = stamp + commit bound - ack: an upper bound. A batch's commit bound is
//    the smaller of (a) when the poller first saw it, minus its stamp (late by up to one poll
//    interval plus the secondary's replay of the batch) and (b) the next batch's stamp, minus
//    the commit interval, minus its stamp, since the processor starts the next batch's
//    commit_interval_ms only after Commit returned (operators/processor.cc);
//  - ack_to_secondary_visible: when a reader tailing the store (the poller) saw the batch.
// Per batch: the interval between stamps, the records and the commit bound.
#include <rocksdb/db.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <thread>

#include "bench/latency_histogram.h"
#include "common/json_dump.h"
#include "emulator/post_generator.h"
#include "sinks/processor_store.h"
#include "stream/stream_client.h"
#include "stream/wire_protocol.h"

namespace pinstream::bench {
namespace {

using Steady = std::chrono::steady_clock;

// The clock of the processor's batch stamps (Clock::Real is system_clock), at microseconds.
int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Flags {
  std::string broker = "tcp://127.0.0.1:7400";
  std::string prefix = "bench";
  std::string store;
  std::string topology = "pinterest";
  double rate = 20000;  // records per second, all three streams together
  double seconds = 30;
  double warmup_seconds = 2;
  int tick_ms = 5;
  int poll_ms = 2;
  int64_t commit_interval_ms = 200;     // the topology's
  uint64_t max_batch_records = 10'000;  // the topology's
  int64_t seed = 1;
  int64_t first_ind = 0;
  double drain_seconds = 60;
};

constexpr std::array<const char*, 3> kKinds = {"pin", "geo", "user"};

// The records to send, by stream, made before the clock starts so that generating them does
// not compete with the processor for the machine's two cores.
struct Posts {
  std::vector<std::string> keys;  // the ind: the partition key, as the emulator sends it
  std::array<std::vector<std::string>, 3> data;
  uint64_t bytes = 0;
};

Posts Generate(int64_t seed, int64_t first_ind, size_t count) {
  PostGenerator generator(PostGenerator::Options{seed, PostGenerator::kDefaultPoolSize});
  Posts posts;
  posts.keys.reserve(count);
  for (auto& d : posts.data) d.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int64_t ind = first_ind + static_cast<int64_t>(i);
    PostRows rows = generator.Rows(ind);
    posts.keys.push_back(std::to_string(ind));
    const std::optional<JsonRow>* parts[] = {&rows.pin, &rows.geo, &rows.user};
    for (size_t k = 0; k < 3; ++k) {
      // As the emulator serializes rows.
      posts.data[k].push_back(DumpJson(*(*parts[k])));
      posts.bytes += posts.data[k].back().size();
    }
  }
  return posts;
}

// One acknowledged record.
struct Ack {
  uint32_t stream = 0;  // index into kKinds
  uint32_t shard = 0;
  uint64_t counter = 0;
  int64_t ack_us = 0;  // system clock
};

struct DriveStats {
  int64_t start_us = 0;     // system clock, when pacing began
  int64_t last_ack_us = 0;  // system clock
  uint64_t failed = 0;
  int64_t max_send_lag_us = 0;  // how late a tick was sent, at worst
  Status first_failure;
};

// Puts the posts at `rate` records per second, pipelined on one connection: each tick sends
// what is due since the start, so a late tick catches up and the average rate stays exact.
Status Drive(const Flags& f, const Posts& posts, StreamClient* client, std::vector<Ack>* acks,
             DriveStats* stats) {
  std::array<std::string, 3> streams;
  for (size_t k = 0; k < 3; ++k) streams[k] = f.prefix + "-" + kKinds[k];
  const double posts_per_s = f.rate / 3.0;
  const size_t total = posts.keys.size();
  const auto tick = std::chrono::microseconds(f.tick_ms * 1000);
  std::map<uint64_t, uint32_t> in_flight;  // request id -> stream
  std::vector<PutEntry> entries;
  std::vector<PutResult> results;
  size_t sent = 0;
  const auto start = Steady::now();
  stats->start_us = SystemMicros();
  auto next_tick = start;
  while (sent < total || !in_flight.empty()) {
    const auto now = Steady::now();
    if (sent < total && now >= next_tick) {
      stats->max_send_lag_us = std::max<int64_t>(
          stats->max_send_lag_us,
          std::chrono::duration_cast<std::chrono::microseconds>(now - next_tick).count());
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const size_t due = std::min(total, static_cast<size_t>(elapsed * posts_per_s));
      for (size_t begin = sent; begin < due; begin += kMaxPutRecordsEntries) {
        const size_t end = std::min(due, begin + kMaxPutRecordsEntries);
        for (uint32_t k = 0; k < 3; ++k) {
          entries.clear();
          for (size_t i = begin; i < end; ++i) {
            entries.push_back(PutEntry{posts.keys[i], posts.data[k][i], std::nullopt});
          }
          ASSIGN_OR_RETURN(uint64_t id, client->SendPutRecords(streams[k], entries));
          in_flight.emplace(id, k);
        }
      }
      sent = std::max(sent, due);
      next_tick += tick;
      continue;
    }
    auto wait = std::chrono::milliseconds(10'000);
    if (sent < total) {
      wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick - now);
    }
    ASSIGN_OR_RETURN(auto reply, client->Receive(wait));
    if (!reply) {
      if (sent < total) continue;
      return Status::Unavailable("broker stopped answering PutRecords");
    }
    const int64_t ack_us = SystemMicros();
    auto it = in_flight.find(reply->request_id);
    if (it == in_flight.end()) continue;
    const uint32_t stream = it->second;
    in_flight.erase(it);
    RETURN_IF_ERROR(reply->status);
    RETURN_IF_ERROR(DecodePutRecordsReply(reply->frames[0].to_string_view(), &results));
    for (const PutResult& r : results) {
      if (!r.status.ok()) {
        if (stats->failed++ == 0) stats->first_failure = r.status;
        continue;
      }
      acks->push_back(
          Ack{stream, r.sequence_number.shard_index, r.sequence_number.counter, ack_us});
    }
    stats->last_ack_us = ack_us;
  }
  return Status::OK();
}

// Watches the processor's store from a RocksDB secondary instance: every poll interval it
// catches up with the writer's WAL and reads the topology's newest batch record, noting when
// each batch id was first seen. The meta family and the "offsets/<topology>" key are the
// layout sinks/processor_store.h documents. The thread owns the DB while it runs; the
// accessors are thread-safe.
class BatchPoller {
 public:
  struct Seen {
    int64_t batch_id = 0;
    int64_t seen_us = 0;  // system clock, just after the read that first returned it
  };

  static Result<std::unique_ptr<BatchPoller>> Open(const std::string& store,
                                                   const std::string& secondary_dir,
                                                   const std::string& topology) {
    rocksdb::DBOptions options;
    options.max_open_files = -1;  // a secondary needs every table file open
    // Every catch-up loads table handlers with this many threads, created and joined per call:
    // at the default (16) that alone took ~20 ms a poll on the 2-core machine.
    options.max_file_opening_threads = 1;
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, store, &names);
    if (!s.ok()) {
      return Status::IOError("listing column families of " + store + ": " + s.ToString());
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::unique_ptr<BatchPoller> poller(new BatchPoller(topology));
    rocksdb::DB* raw = nullptr;
    s = rocksdb::DB::OpenAsSecondary(options, store, secondary_dir, families, &poller->handles_,
                                     &raw);
    if (!s.ok()) return Status::IOError("opening " + store + " as secondary: " + s.ToString());
    poller->db_.reset(raw);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") poller->meta_ = poller->handles_[i];
    }
    if (poller->meta_ == nullptr) return Status::Corruption(store + " has no meta family");
    return poller;
  }

  ~BatchPoller() {
    Stop();
    if (db_) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    }
  }

  void Start(std::chrono::milliseconds interval) {
    thread_ = std::jthread([this, interval](std::stop_token stop) { Loop(stop, interval); });
  }
  void Stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  Status error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  Offsets latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  // How long one catch-up plus read took: the poller's own share of the latency it reports.
  LatencyHistogram poll_cost() const {
    std::lock_guard lock(mu_);
    return poll_cost_;
  }

 private:
  explicit BatchPoller(std::string topology)
      : topology_(std::move(topology)), key_("offsets/" + topology_) {}

  void Loop(std::stop_token stop, std::chrono::milliseconds interval) {
    std::string last, value;
    while (!stop.stop_requested()) {
      const int64_t t0 = SystemMicros();
      rocksdb::Status s = db_->TryCatchUpWithPrimary();
      if (s.ok()) s = db_->Get(rocksdb::ReadOptions(), meta_, key_, &value);
      const int64_t t1 = SystemMicros();
      Status status;
      if (!s.ok() && !s.IsNotFound()) {
        status = Status::IOError("polling the processor store: " + s.ToString());
      }
      std::optional<BatchRecord> record;
      if (s.ok() && value != last) {
        last = value;
        Result<BatchRecord> parsed = ParseBatch(value);
        if (parsed.ok()) {
          record = std::move(*parsed);
        } else {
          status = parsed.status();
        }
      }
      {
        std::lock_guard lock(mu_);
        if (!status.ok()) {
          error_ = status;
          return;
        }
        poll_cost_.Add(t1 - t0);
        if (record) {
          seen_.push_back(Seen{record->batch_id, t1});
          latest_ = std::move(record->offsets);
        }
      }
      std::this_thread::sleep_for(interval);
    }
  }

  Result<BatchRecord> ParseBatch(const std::string& value) const {
    try {
      return BatchRecord::FromJson(topology_, nlohmann::json::parse(value));
    } catch (const nlohmann::json::exception& e) {
      return Status::Corruption(std::string("malformed batch record: ") + e.what());
    }
  }

  const std::string topology_;
  const std::string key_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;        // one of handles_
  std::jthread thread_;
  mutable std::mutex mu_;
  Status error_;                // GUARDED_BY(mu_)
  Offsets latest_;              // GUARDED_BY(mu_)
  std::vector<Seen> seen_;      // GUARDED_BY(mu_)
  LatencyHistogram poll_cost_;  // GUARDED_BY(mu_)
};

// The counter of `shard_id` in `offsets[stream]`, when it holds a sequence number.
std::optional<uint64_t> OffsetCounter(const Offsets& offsets, const std::string& stream,
                                      const std::string& shard_id) {
  auto st = offsets.find(stream);
  if (st == offsets.end()) return std::nullopt;
  auto sh = st->second.find(shard_id);
  if (sh == st->second.end()) return std::nullopt;
  auto seq = SequenceNumber::Parse(sh->second);
  if (!seq.ok()) return std::nullopt;  // an iterator position left by `offsets reset`
  return seq->counter;
}

nlohmann::json Millis(LatencyHistogram& h) {
  auto ms = [&h](double p) { return static_cast<double>(h.Percentile(p)) / 1000.0; };
  return {{"p50", ms(50)}, {"p90", ms(90)}, {"p99", ms(99)}, {"max", ms(100)}, {"min", ms(0)}};
}

Status Run(const Flags& f) {
  if (f.rate <= 0 || f.seconds <= 0 || f.tick_ms <= 0 || f.poll_ms <= 0) {
    return Status::InvalidArgument("--rate, --seconds, --tick-ms and --poll-ms must be positive");
  }
  const size_t post_count = static_cast<size_t>(f.seconds * f.rate / 3.0);
  const Posts posts = Generate(f.seed, f.first_ind, post_count);

  std::string secondary_dir = (std::filesystem::temp_directory_path() / "latbench.XXXXXX").string();
  if (mkdtemp(secondary_dir.data()) == nullptr) {
    return Status::IOError("mkdtemp " + secondary_dir + ": " + strerror(errno));
  }
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_secondary{secondary_dir};
  ASSIGN_OR_RETURN(auto poller, BatchPoller::Open(f.store, secondary_dir, f.topology));
  poller->Start(std::chrono::milliseconds(f.poll_ms));

  zmq::context_t ctx(1);
  ASSIGN_OR_RETURN(auto client, StreamClient::Connect(&ctx, f.broker));
  std::vector<Ack> acks;
  acks.reserve(post_count * 3);
  DriveStats drive;
  RETURN_IF_ERROR(Drive(f, posts, client.get(), &acks, &drive));
  const int64_t drive_end_us = drive.last_ack_us;

  // The newest sequence number acknowledged in every shard, which the processor must reach.
  std::array<std::string, 3> streams;
  for (size_t k = 0; k < 3; ++k) streams[k] = f.prefix + "-" + kKinds[k];
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> newest, oldest;
  for (const Ack& a : acks) {
    auto& n = newest[{a.stream, a.shard}];
    n = std::max(n, a.counter);
    auto [o, inserted] = oldest.emplace(std::make_pair(a.stream, a.shard), a.counter);
    if (!inserted) o->second = std::min(o->second, a.counter);
  }
  auto covered = [&](const Offsets& offsets) {
    for (const auto& [key, counter] : newest) {
      auto c = OffsetCounter(offsets, streams[key.first], ShardIdFromIndex(key.second));
      if (!c || *c < counter) return false;
    }
    return true;
  };
  const auto drain_deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                                  std::chrono::duration<double>(f.drain_seconds));
  while (!covered(poller->latest())) {
    RETURN_IF_ERROR(poller->error());
    if (Steady::now() > drain_deadline) {
      return Status::Unavailable("the processor did not commit every record within " +
                                 std::to_string(f.drain_seconds) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  poller->Stop();
  RETURN_IF_ERROR(poller->error());
  const std::vector<BatchPoller::Seen> seen = poller->seen();
  LatencyHistogram poll_cost = poller->poll_cost();
  poller.reset();

  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(f.store, /*read_only=*/true));
  ASSIGN_OR_RETURN(std::vector<BatchRecord> batches, store->ListBatches(f.topology));

  // When each batch became visible: the first poll that returned it or a later batch.
  std::vector<int64_t> visible_us(batches.size(), -1);
  for (size_t b = 0, s = 0; b < batches.size(); ++b) {
    while (s < seen.size() && seen[s].batch_id < batches[b].batch_id) ++s;
    if (s < seen.size()) visible_us[b] = seen[s].seen_us;
  }
  // Per shard: the batches that moved its offset, as (counter reached, batch index); and the
  // records of each batch (counters are dense within a shard, and the driver put every record).
  std::map<std::pair<uint32_t, uint32_t>, std::vector<std::pair<uint64_t, size_t>>> steps;
  std::vector<uint64_t> batch_records(batches.size(), 0);
  for (const auto& [key, counter] : newest) {
    auto& v = steps[key];
    uint64_t previous = oldest[key] - 1;
    for (size_t b = 0; b < batches.size(); ++b) {
      auto c = OffsetCounter(batches[b].offsets, streams[key.first], ShardIdFromIndex(key.second));
      if (c && *c > previous) {
        v.emplace_back(*c, b);
        batch_records[b] += *c - previous;
        previous = *c;
      }
    }
  }
  // How long each batch's commit took at most, from its stamp (see the header comment). A
  // batch that max_batch_records cut short started before the interval ran out: it bounds
  // nothing.
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> commit_bound_us(batches.size(), -1);
  for (size_t b = 0; b < batches.size(); ++b) {
    const int64_t stamp_us = batches[b].time_ms * 1000;
    int64_t bound = visible_us[b] >= 0 ? visible_us[b] - stamp_us : kNone;
    if (b + 1 < batches.size() && batch_records[b + 1] < f.max_batch_records) {
      const int64_t gap_ms = batches[b + 1].time_ms - batches[b].time_ms;
      if (gap_ms < f.commit_interval_ms - 1) {  // a stamp has 1 ms resolution
        return Status::InvalidArgument(
            "batches " + std::to_string(gap_ms) +
            " ms apart: --commit-interval-ms exceeds the processor's commit interval");
      }
      bound = std::min(bound, (gap_ms - f.commit_interval_ms) * 1000);
    }
    if (bound != kNone) commit_bound_us[b] = std::max<int64_t>(0, bound);
  }

  const int64_t measure_from_us =
      drive.start_us + static_cast<int64_t>(f.warmup_seconds * 1'000'000);
  LatencyHistogram to_start, to_committed, to_visible;
  uint64_t unmatched = 0;
  for (const Ack& a : acks) {
    if (a.ack_us < measure_from_us) continue;
    const auto& v = steps[{a.stream, a.shard}];
    auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(a.counter, size_t{0}));
    if (it == v.end() || visible_us[it->second] < 0) {
      ++unmatched;
      continue;
    }
    const size_t b = it->second;
    to_start.Add(batches[b].time_ms * 1000 - a.ack_us);
    to_committed.Add(batches[b].time_ms * 1000 + commit_bound_us[b] - a.ack_us);
    to_visible.Add(visible_us[b] - a.ack_us);
  }
  // The batches committed while records flowed.
  LatencyHistogram interval, commit_bound, records_per_batch;
  uint64_t window_batches = 0;
  int64_t previous_ms = -1;
  for (size_t b = 0; b < batches.size(); ++b) {
    const int64_t t_us = batches[b].time_ms * 1000;
    if (t_us < measure_from_us || t_us > drive_end_us) continue;
    ++window_batches;
    records_per_batch.Add(static_cast<int64_t>(batch_records[b]));
    if (previous_ms >= 0) interval.Add((batches[b].time_ms - previous_ms) * 1000);
    previous_ms = batches[b].time_ms;
    if (commit_bound_us[b] >= 0) commit_bound.Add(commit_bound_us[b]);
  }

  uint64_t pin_bytes = 0;
  for (const auto& d : posts.data[0]) pin_bytes += d.size();
  const double drive_secs = static_cast<double>(drive_end_us - drive.start_us) / 1e6;
  const uint64_t records = acks.size();
  nlohmann::ordered_json out = {
      {"benchmark", "processor_latency"},
      {"topology", f.topology},
      {"target_records_per_s", f.rate},
      {"records_acked", records},
      {"records_failed", drive.failed},
      {"seconds", drive_secs},
      {"achieved_records_per_s", static_cast<double>(records) / drive_secs},
      {"mean_record_bytes",
       static_cast<double>(posts.bytes) / static_cast<double>(3 * posts.keys.size())},
      {"pin_record_bytes_mean", static_cast<double>(pin_bytes) / static_cast<double>(post_count)},
      {"tick_ms", f.tick_ms},
      {"max_send_lag_ms", static_cast<double>(drive.max_send_lag_us) / 1000.0},
      {"warmup_seconds", f.warmup_seconds},
      {"records_measured", to_start.count()},
      {"records_unmatched", unmatched},
      {"commit_interval_ms", f.commit_interval_ms},
      {"records_per_batch_p50", records_per_batch.Percentile(50)},
      {"batches", window_batches},
      {"batch_interval_ms", Millis(interval)},
      {"commit_duration_bound_ms", Millis(commit_bound)},
      {"latency_ack_to_commit_start_ms", Millis(to_start)},
      {"latency_ack_to_committed_ms", Millis(to_committed)},
      {"latency_ack_to_secondary_visible_ms", Millis(to_visible)},
      {"poll_interval_ms", f.poll_ms},
      {"poll_cost_ms", Millis(poll_cost)}};
  std::cout << out.dump() << std::endl;
  if (drive.failed > 0) {
    return Status::Internal(std::to_string(drive.failed) +
                            " records failed, first: " + drive.first_failure.ToString());
  }
  return unmatched == 0 ? Status::OK()
                        : Status::Internal(std::to_string(unmatched) +
                                           " records were not found in any committed batch");
}

}  // namespace
}  // namespace pinstream::bench

int main(int argc, char** argv) {
  using pinstream::bench::Flags;
  CLI::App app{"processor latency: PutRecords ack to committed row, at a steady rate"};
  Flags f;
  app.add_option("--broker", f.broker, "broker endpoint")->capture_default_str();
  app.add_option("--prefix", f.prefix, "streams <prefix>-pin, -geo, -user (they must exist)")
      ->capture_default_str();
  app.add_option("--store", f.store, "the running processor's --data directory")->required();
  app.add_option("--topology", f.topology, "the topology's name")->capture_default_str();
  app.add_option("--rate", f.rate, "records per second, all streams together")
      ->capture_default_str();
  app.add_option("--seconds", f.seconds, "how long to send")->capture_default_str();
  app.add_option("--warmup-seconds", f.warmup_seconds, "records acked earlier are not measured")
      ->capture_default_str();
  app.add_option("--tick-ms", f.tick_ms, "PutRecords per stream every this many ms")
      ->capture_default_str();
  app.add_option("--poll-ms", f.poll_ms, "how often to look for new batches")
      ->capture_default_str();
  app.add_option("--commit-interval-ms", f.commit_interval_ms,
                 "the topology's commit_interval_ms (bounds the commit duration)")
      ->capture_default_str();
  app.add_option("--max-batch-records", f.max_batch_records, "the topology's max_batch_records")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "the post generator's seed")->capture_default_str();
  app.add_option("--first-ind", f.first_ind, "ind of the first post")->capture_default_str();
  app.add_option("--drain-seconds", f.drain_seconds,
                 "how long to wait for the processor to commit the last record")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // The libraries log to stdout through spdlog's default logger; stdout is for the figures.
  spdlog::set_level(spdlog::level::warn);
  pinstream::Status s = pinstream::bench::Run(f);
  if (!s.ok()) {
    std::cerr << s.ToString() << std::endl;
    return 1;
  }
  return 0;
}
