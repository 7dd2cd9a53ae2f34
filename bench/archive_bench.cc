// The archive's throughput (issue 16). `archive_bench fill` puts N post-like JSON records of
// about B bytes into a stream (created with K shards); `archive_bench run` then archives that
// stream with the library's Archiver, --once, into a directory or s3://bucket/prefix, and
// prints one JSON line: records, bytes, objects, seconds, records/s and MB/s.
// bench/run_archive_bench.sh drives both against a broker, a directory and s3rver; `pinstream
// archive --once` is the same Archiver behind the command line.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "archive/archiver.h"
#include "archive/object_store.h"
#include "stream/producer.h"
#include "stream/stream_client.h"

namespace pinstream {
namespace {

// A pin post as the emulation sends it, padded to `bytes` in its description.
std::string Post(uint64_t i, size_t bytes) {
  std::string s = "{\"index\":" + std::to_string(i) + ",\"unique_id\":\"6f0a3c2e-1b1d-4d6e-9b8a-" +
                  std::to_string(100000000000 + i) + "\",\"title\":\"Post number " +
                  std::to_string(i) +
                  "\",\"follower_count\":\"12k\",\"poster_name\":\"Someone\",\"tag_list\":"
                  "\"diy,home,decor\",\"is_image_or_video\":\"image\",\"image_src\":"
                  "\"https://i.pinimg.com/originals/ab/cd/ef.jpg\",\"downloaded\":1,"
                  "\"save_location\":\"Local save in /data/home-decor\",\"category\":"
                  "\"home-decor\",\"description\":\"";
  const size_t tail = 2;
  if (s.size() + tail < bytes) s.append(bytes - s.size() - tail, 'x');
  s += "\"}";
  return s;
}

int Fill(const std::string& broker, const std::string& stream, uint64_t records, size_t bytes,
         uint32_t shards) {
  zmq::context_t ctx(1);
  auto client = StreamClient::Connect(&ctx, broker);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  Status s = (*client)->CreateStream(stream, shards);
  if (!s.ok() && s.code() != Status::Code::kResourceInUse) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  Producer producer(client->get(), stream);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < records && s.ok(); ++i) {
    s = producer.Put(std::to_string(i), Post(i, bytes));
  }
  if (s.ok()) s = producer.Flush();
  if (!s.ok() || producer.stats().failed != 0) {
    std::cerr << "fill failed: " << s.ToString() << " failed=" << producer.stats().failed << "\n";
    return 1;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << nlohmann::json{{"bench", "archive_fill"},
                              {"records", records},
                              {"record_bytes", bytes},
                              {"seconds", secs}}
                   .dump()
            << std::endl;
  return 0;
}

int Run(const std::string& broker, const std::string& stream, const std::string& to,
        const std::string& endpoint_url, size_t flush_size, bool foreground_writes) {
  auto store = OpenObjectStore(to, S3Options{endpoint_url, "", ""});
  if (!store.ok()) {
    std::cerr << store.status().ToString() << "\n";
    return 1;
  }
  zmq::context_t ctx(1);
  Archiver::Options options;
  options.broker = broker;
  options.streams = {stream};
  options.rotation.flush_size = flush_size;
  options.once = true;
  options.background_writes = !foreground_writes;
  Archiver archiver(&ctx, store->get(), options);
  const auto start = std::chrono::steady_clock::now();
  Status s = archiver.Run(std::stop_token());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  const ArchiveStats& st = archiver.stats().at(stream);
  std::cout << nlohmann::json{{"bench", "archive"},
                              {"to", (*store)->location()},
                              {"background_writes", options.background_writes},
                              {"records", st.records},
                              {"objects", st.objects},
                              {"bytes", st.bytes},
                              {"seconds", secs},
                              {"records_per_s", st.records / secs},
                              {"mb_per_s", st.bytes / secs / 1e6}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace
}  // namespace pinstream

int main(int argc, char** argv) {
  CLI::App app{"archive_bench: fill a stream, then time the archive of it"};
  app.require_subcommand(1);
  std::string broker = "tcp://127.0.0.1:7400", stream = "archive-bench", to, endpoint_url;
  uint64_t records = 1'000'000;
  size_t bytes = 700, flush_size = 1000;
  uint32_t shards = 4;
  auto* fill = app.add_subcommand("fill", "put N records into a stream");
  auto* run = app.add_subcommand("run", "archive the stream --once and time it");
  for (auto* cmd : {fill, run}) {
    cmd->add_option("--broker", broker)->capture_default_str();
    cmd->add_option("--stream", stream)->capture_default_str();
  }
  fill->add_option("--records", records)->capture_default_str();
  fill->add_option("--record-bytes", bytes)->capture_default_str();
  fill->add_option("--shards", shards)->capture_default_str();
  run->add_option("--to", to, "a directory or s3://bucket/prefix")->required();
  run->add_option("--endpoint-url", endpoint_url);
  run->add_option("--flush-size", flush_size)->capture_default_str();
  bool foreground_writes = false;
  run->add_flag("--foreground-writes", foreground_writes,
                "write each object before reading on (no writer thread), to compare");
  CLI11_PARSE(app, argc, argv);
  if (fill->parsed()) return pinstream::Fill(broker, stream, records, bytes, shards);
  return pinstream::Run(broker, stream, to, endpoint_url, flush_size, foreground_writes);
}
