#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "stream/broker.h"
#include "stream/producer.h"
#include "stream/stream_store.h"

namespace pinstream::cli {

namespace {

struct DemoFlags {
  std::string data;
  std::string prefix = "streaming-demo";
  int posts = 1000;
  uint32_t shards = 4;
};

// Until the processor and the emulator land, the demo shows the stream service end to end:
// an in-process broker on a free loopback port, the three Pinterest streams, a batch of posts
// put through the producer, and every shard read back from TRIM_HORIZON.
Status RunDemo(const DemoFlags& flags) {
  std::string dir = flags.data;
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / ("pinstream-demo-" + std::to_string(getpid())))
              .string();
  }
  StreamStore::Options store_options;
  store_options.path = dir + "/broker";
  ASSIGN_OR_RETURN(auto store, StreamStore::Open(store_options));
  Broker::Options broker_options;
  broker_options.listen = "tcp://127.0.0.1:*";
  ASSIGN_OR_RETURN(auto broker, Broker::Start(store.get(), broker_options));
  std::cerr << "demo: broker on " << broker->endpoint() << ", data in " << dir << "\n";

  zmq::context_t ctx(1);
  ASSIGN_OR_RETURN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  const std::vector<std::string> kinds = {"pin", "geo", "user"};
  for (const auto& kind : kinds) {
    std::string name = flags.prefix + "-" + kind;
    Status s = client->CreateStream(name, flags.shards);
    if (!s.ok() && s.code() != Status::Code::kResourceInUse) return s;
  }
  nlohmann::json report = nlohmann::json::object();
  for (const auto& kind : kinds) {
    std::string name = flags.prefix + "-" + kind;
    Producer producer(client.get(), name);
    for (int i = 0; i < flags.posts; ++i) {
      nlohmann::json row = {{kind == "pin" ? "index" : "ind", i}, {"kind", kind}};
      RETURN_IF_ERROR(producer.Put(std::to_string(i), row.dump()));
    }
    RETURN_IF_ERROR(producer.Flush());
    uint64_t read = 0;
    ASSIGN_OR_RETURN(auto shard_ids, client->ListShardIds(name));
    for (const auto& shard : shard_ids) {
      ASSIGN_OR_RETURN(std::string it, client->GetShardIterator(name, shard, IteratorPosition{}));
      while (true) {
        ASSIGN_OR_RETURN(GetRecordsReply reply, client->GetRecords(it, kMaxGetRecordsLimit));
        read += reply.records.size();
        it = reply.meta.next_iterator;
        if (reply.records.empty()) break;
      }
    }
    report[name] = {
        {"put", producer.stats().acked}, {"read_back", read}, {"shards", shard_ids.size()}};
    std::cerr << "demo: " << name << ": put " << producer.stats().acked << ", read back " << read
              << "\n";
  }
  PrintJson({{"streams", report}, {"data", dir}});
  std::cerr << "demo: the processor, emulator and business questions arrive with the next issues\n";
  return Status::OK();
}

}  // namespace

void AddDemoCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo", "run the embedded end-to-end demo");
  cmd->add_option("--data", flags->data, "data directory (default: a fresh temporary one)");
  cmd->add_option("--prefix", flags->prefix, "stream name prefix")->capture_default_str();
  cmd->add_option("--posts", flags->posts, "posts to send")->capture_default_str();
  cmd->callback([flags, action] { *action = [flags] { return RunDemo(*flags); }; });
}

}  // namespace pinstream::cli
