// `pinstream archive`: the S3 sink connector's archive of streams into a directory or a bucket.
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "archive/archiver.h"
#include "archive/object_store.h"
#include "common/api_key.h"
#include "common/time_format.h"

namespace pinstream::cli {

namespace {

struct ArchiveFlags {
  std::vector<std::string> streams;
  std::string to;
  std::string broker = kDefaultBroker;
  std::string endpoint_url;
  std::string region;
  std::string profile;
  size_t flush_size = 1000;
  std::string rotate_interval = "1m";
  bool by_day = false;
  bool once = false;
  std::string api_key_file;
};

Status Archive(const ArchiveFlags& flags) {
  std::stop_source stop;
  // SIGINT/SIGTERM: the archiver writes what it holds and returns.
  std::jthread watcher = WatchStopSignals(stop, "archive");
  Archiver::Options options;
  options.broker = flags.broker;
  ASSIGN_OR_RETURN(options.client.api_key, LoadApiKey(flags.api_key_file));
  options.streams = flags.streams;
  options.rotation.flush_size = flags.flush_size;
  ASSIGN_OR_RETURN(options.rotation.rotate_interval_ms, ParseDurationMillis(flags.rotate_interval));
  options.rotation.by_day = flags.by_day;
  options.once = flags.once;
  if (flags.flush_size == 0) return Status::InvalidArgument("--flush-size must be at least 1");
  S3Options s3{flags.endpoint_url, flags.region, flags.profile};
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, OpenObjectStore(flags.to, s3));
  zmq::context_t ctx(1);
  Archiver archiver(&ctx, store.get(), options);
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("archive starting to={} broker={} streams={}", store->location(), flags.broker,
               flags.streams.size());
  RETURN_IF_ERROR(archiver.Run(stop.get_token()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json topics = nlohmann::json::object();
  ArchiveStats total;
  for (const auto& [topic, st] : archiver.stats()) {
    topics[topic] = {{"objects", st.objects}, {"records", st.records}, {"bytes", st.bytes}};
    total.objects += st.objects;
    total.records += st.records;
    total.bytes += st.bytes;
  }
  PrintJson({{"location", store->location()},
             {"objects", total.objects},
             {"records", total.records},
             {"bytes", total.bytes},
             {"seconds", seconds},
             {"topics", std::move(topics)}});
  return Status::OK();
}

}  // namespace

void AddArchiveCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<ArchiveFlags>();
  auto* cmd = app.add_subcommand(
      "archive",
      "archive streams as the S3 sink connector lays out topics, to a directory or "
      "s3://BUCKET/PREFIX (until SIGINT/SIGTERM, or --once)");
  cmd->add_option("streams", flags->streams, "streams to archive (each is a topic)")->required();
  cmd->add_option("--to", flags->to, "a directory, or s3://BUCKET[/PREFIX]")->required();
  cmd->add_option("--broker", flags->broker,
                  "broker endpoint (default: $PINSTREAM_BROKER, else this)")
      ->envname("PINSTREAM_BROKER")
      ->capture_default_str();
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS's for the region)");
  cmd->add_option("--region", flags->region,
                  "S3 region (default: $AWS_REGION, $AWS_DEFAULT_REGION, ~/.aws/config, "
                  "us-east-1)");
  cmd->add_option("--profile", flags->profile,
                  "profile of ~/.aws/credentials and ~/.aws/config (default: $AWS_PROFILE, "
                  "default)");
  cmd->add_option("--flush-size", flags->flush_size, "records per object (flush.size)")
      ->capture_default_str();
  cmd->add_option("--rotate-interval", flags->rotate_interval,
                  "the most arrival time one object spans (rotate.interval.ms), and how long "
                  "records wait when no more come, e.g. 30s, 10m")
      ->capture_default_str();
  cmd->add_flag("--partition-by-day", flags->by_day,
                "lay objects out by arrival day, topics/T/dt=YYYY-MM-DD/ (TimeBasedPartitioner)");
  cmd->add_flag("--once", flags->once, "archive everything there now, then exit");
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->callback([flags, action] { *action = [flags] { return Archive(*flags); }; });
}

}  // namespace pinstream::cli
