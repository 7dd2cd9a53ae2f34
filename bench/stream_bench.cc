// End-to-end driver for the stream service: a producer (this process) against a broker in
// another process over tcp loopback. Prints one JSON line of figures on stdout.
//
//   stream_bench ingest --broker EP --seconds 30 --shards 4 --record-bytes 700
//     PutRecords batches of 500 with several in flight; records/s, MB/s, batch latency.
//   stream_bench readback --broker EP --records 1000000 --record-bytes 700
//     fills a one-shard stream, then reads it from TRIM_HORIZON with GetRecords; records/s.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "bench/latency_histogram.h"
#include "stream/shard_reader.h"
#include "stream/stream_client.h"
#include "stream/wire_protocol.h"

namespace pinstream::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Flags {
  std::string broker = "tcp://127.0.0.1:7400";
  std::string stream;
  double seconds = 30;
  uint32_t shards = 4;
  size_t record_bytes = 700;
  size_t batch = 500;
  int in_flight = 8;
  uint64_t records = 1'000'000;
  bool no_fill = false;
  int prefetch = 2;
};

// A pool of distinct records; the driver cycles through it so generation costs nothing.
struct RecordPool {
  std::vector<std::string> keys;
  std::vector<std::string> data;
  RecordPool(size_t n, size_t bytes) {
    std::mt19937_64 rng(42);
    const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,:{}\"";
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(std::to_string(rng() % 11000));
      std::string d(bytes, ' ');
      for (auto& c : d) c = alphabet[rng() % (sizeof(alphabet) - 1)];
      data.push_back(std::move(d));
    }
  }
};

Status EnsureStream(StreamClient& client, const std::string& name, uint32_t shards) {
  Status s = client.DeleteStream(name);
  if (!s.ok() && s.code() != Status::Code::kResourceNotFound) return s;
  return client.CreateStream(name, shards);
}

Status RunIngest(const Flags& f) {
  zmq::context_t ctx(1);
  ASSIGN_OR_RETURN(auto client, StreamClient::Connect(&ctx, f.broker));
  const std::string stream = f.stream.empty() ? "bench-ingest" : f.stream;
  RETURN_IF_ERROR(EnsureStream(*client, stream, f.shards));
  RecordPool pool(4096, f.record_bytes);

  std::map<uint64_t, Clock::time_point> in_flight;
  LatencyHistogram latency;
  uint64_t acked = 0, failed = 0, next = 0;
  std::vector<PutEntry> entries(f.batch);
  std::vector<PutResult> results;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.seconds));
  auto handle = [&](StreamClient::Reply& reply) -> Status {
    auto it = in_flight.find(reply.request_id);
    if (it == in_flight.end()) return Status::OK();
    latency.Add(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - it->second).count());
    in_flight.erase(it);
    RETURN_IF_ERROR(reply.status);
    RETURN_IF_ERROR(DecodePutRecordsReply(reply.frames[0].to_string_view(), &results));
    for (const auto& r : results) r.status.ok() ? ++acked : ++failed;
    return Status::OK();
  };
  while (Clock::now() < end || !in_flight.empty()) {
    if (Clock::now() < end && in_flight.size() < static_cast<size_t>(f.in_flight)) {
      for (auto& e : entries) {
        size_t i = next++ % pool.keys.size();
        e = PutEntry{pool.keys[i], pool.data[i], std::nullopt};
      }
      ASSIGN_OR_RETURN(uint64_t id, client->SendPutRecords(stream, entries));
      in_flight.emplace(id, Clock::now());
      continue;
    }
    ASSIGN_OR_RETURN(auto reply, client->Receive(std::chrono::milliseconds(10'000)));
    if (!reply) return Status::Unavailable("broker stopped answering");
    RETURN_IF_ERROR(handle(*reply));
  }
  const double secs = Seconds(Clock::now() - start);
  nlohmann::json out = {{"benchmark", "ingest"},
                        {"shards", f.shards},
                        {"record_bytes", f.record_bytes},
                        {"batch_records", f.batch},
                        {"in_flight", f.in_flight},
                        {"seconds", secs},
                        {"records_acked", acked},
                        {"records_failed", failed},
                        {"records_per_s", static_cast<double>(acked) / secs},
                        {"mb_per_s", static_cast<double>(acked * f.record_bytes) / secs / 1e6},
                        {"batch_latency_p50_us", latency.Percentile(50)},
                        {"batch_latency_p99_us", latency.Percentile(99)},
                        {"batch_latency_max_us", latency.Percentile(100)}};
  std::cout << out.dump() << std::endl;
  return failed == 0 ? Status::OK() : Status::Internal(std::to_string(failed) + " records failed");
}

Status RunReadback(const Flags& f) {
  zmq::context_t ctx(1);
  ASSIGN_OR_RETURN(auto client, StreamClient::Connect(&ctx, f.broker));
  const std::string stream = f.stream.empty() ? "bench-readback" : f.stream;
  if (!f.no_fill) RETURN_IF_ERROR(EnsureStream(*client, stream, 1));
  RecordPool pool(4096, f.record_bytes);
  const uint64_t fill = f.no_fill ? 0 : f.records;
  // Fill with pipelined batches, as the ingest driver does.
  std::vector<PutEntry> entries(f.batch);
  uint64_t put = 0, outstanding = 0;
  while (put < fill || outstanding > 0) {
    if (put < fill && outstanding < static_cast<uint64_t>(f.in_flight)) {
      size_t n = std::min<uint64_t>(f.batch, fill - put);
      entries.resize(n);
      for (auto& e : entries) {
        size_t i = put++ % pool.keys.size();
        e = PutEntry{pool.keys[i], pool.data[i], std::nullopt};
      }
      ASSIGN_OR_RETURN(uint64_t id, client->SendPutRecords(stream, entries));
      (void)id;
      ++outstanding;
      continue;
    }
    ASSIGN_OR_RETURN(auto reply, client->Receive(std::chrono::milliseconds(10'000)));
    if (!reply) return Status::Unavailable("broker stopped answering");
    RETURN_IF_ERROR(reply->status);
    --outstanding;
  }

  ASSIGN_OR_RETURN(std::string iterator,
                   client->GetShardIterator(stream, "shardId-000000000000", IteratorPosition{}));
  uint64_t read = 0, bytes = 0, calls = 0;
  LatencyHistogram latency;
  ShardReader reader(client.get(), iterator, ShardReader::Options{kMaxGetRecordsLimit, f.prefetch});
  const auto start = Clock::now();
  while (read < f.records) {
    auto t0 = Clock::now();
    ASSIGN_OR_RETURN(GetRecordsReply reply, reader.Next());
    latency.Add(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
    ++calls;
    if (reply.records.empty())
      return Status::Internal("shard ended after " + std::to_string(read) + " records");
    for (const auto& r : reply.records) bytes += r.data.size();
    read += reply.records.size();
  }
  const double secs = Seconds(Clock::now() - start);
  nlohmann::json out = {{"benchmark", "readback"},
                        {"records", read},
                        {"record_bytes", f.record_bytes},
                        {"get_records_calls", calls},
                        {"prefetch", f.prefetch},
                        {"seconds", secs},
                        {"records_per_s", static_cast<double>(read) / secs},
                        {"mb_per_s", static_cast<double>(bytes) / secs / 1e6},
                        {"call_latency_p50_us", latency.Percentile(50)},
                        {"call_latency_p99_us", latency.Percentile(99)}};
  std::cout << out.dump() << std::endl;
  return Status::OK();
}

}  // namespace
}  // namespace pinstream::bench

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);  // as the pinstream binary does; see apps/main.cc
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  using pinstream::bench::Flags;
  CLI::App app{"stream service benchmark driver"};
  app.require_subcommand(1);
  Flags f;
  auto common = [&f](CLI::App* cmd) {
    cmd->add_option("--broker", f.broker, "broker endpoint");
    cmd->add_option("--stream", f.stream, "stream to (re)create");
    cmd->add_option("--record-bytes", f.record_bytes, "bytes of data per record");
    cmd->add_option("--batch", f.batch, "records per PutRecords");
    cmd->add_option("--in-flight", f.in_flight, "PutRecords requests in flight");
  };
  auto* ingest = app.add_subcommand("ingest", "PutRecords throughput and latency");
  common(ingest);
  ingest->add_option("--seconds", f.seconds, "how long to run");
  ingest->add_option("--shards", f.shards, "shards of the stream");
  auto* readback =
      app.add_subcommand("readback", "GetRecords throughput of one shard from TRIM_HORIZON");
  common(readback);
  readback->add_option("--records", f.records, "records in the shard");
  readback->add_option("--prefetch", f.prefetch, "GetRecords requests in flight");
  readback->add_flag("--no-fill", f.no_fill, "read an existing stream filled by an earlier run");
  CLI11_PARSE(app, argc, argv);
  pinstream::Status s =
      ingest->parsed() ? pinstream::bench::RunIngest(f) : pinstream::bench::RunReadback(f);
  if (!s.ok()) {
    std::cerr << s.ToString() << std::endl;
    return 1;
  }
  return 0;
}
