#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/api_key.h"
#include "common/time_format.h"
#include "monitor/monitor_server.h"
#include "monitor/processor_pages.h"
#include "operators/graph.h"
#include "runtime/instance_marker.h"
#include "runtime/processor.h"
#include "runtime/shard_assignment.h"
#include "runtime/source_factory.h"
#include "runtime/stream_writer.h"
#include "sinks/processor_store.h"

namespace pinstream::cli {

namespace {

struct RunFlags {
  std::string topology;
  std::string data;
  bool once = false;
  std::string api_key_file;
  std::string stats_interval;  // a duration; empty: no stats lines
  std::string metrics;         // HOST:PORT of the monitoring server; empty: none
  int64_t instance = 0;        // --instance I of --instances N (runtime/shard_assignment.h)
  int64_t instances = 1;
};

// How often an instance of several looks for shards that became its own while none of its
// shards ended (a child of another instance's shard): a ListShards per source.
constexpr int64_t kDiscoverShardsMs = 10000;

int64_t ResidentBytes() {
  long size = 0, resident = 0;  // pages
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// With --stats-interval, one JSON line on stdout per interval, from a thread of its own: the
// store's size and the process's memory, for watching a run that lasts (bench/run_soak_bench.sh).
std::jthread StartStatsLines(int64_t interval_ms, const ProcessorStore* store) {
  return std::jthread([interval_ms, store](std::stop_token st) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, st, std::chrono::milliseconds(interval_ms),
                        [&st] { return st.stop_requested(); })) {
      uint64_t sst = 0, live = 0;
      store->StoreSizes(&sst, &live);
      PrintJson({{"sst_bytes", sst}, {"live_data_bytes", live}, {"rss_bytes", ResidentBytes()}});
    }
  });
}

Status Run(const RunFlags& flags) {
  // SIGINT/SIGTERM finish the current batch, commit it and exit 0.
  std::stop_source stop;
  std::jthread waiter = WatchStopSignals(stop, "processor");

  ASSIGN_OR_RETURN(LoadedTopology loaded, LoadTopology(flags.topology));
  ASSIGN_OR_RETURN(const InstanceSplit split, MakeInstanceSplit(flags.instance, flags.instances));
  RETURN_IF_ERROR(CheckInstanceMarker(flags.data, split));
  ProcessorStore::Options store_options;
  store_options.path = flags.data;
  store_options.pipeline_commits = true;
  // Peak memory: the rows family holds up to two memtables (one flushing); with 1 MiB records
  // 64 MiB ones took a run of 300 of them past 256 MiB of RSS (issue 14).
  store_options.write_buffer_bytes = size_t{32} << 20;
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(store_options));
  // A lone instance's directory needs no marker: a store without one reads as instance 0 of 1.
  if (split.instances > 1) RETURN_IF_ERROR(WriteInstanceMarker(flags.data, split));
  Processor::Options options;
  options.once = flags.once;
  if (split.instances > 1) options.discover_shards_ms = kDiscoverShardsMs;
  StreamClient::Options client;
  ASSIGN_OR_RETURN(client.api_key, LoadApiKey(flags.api_key_file));
  zmq::context_t ctx(1);
  ASSIGN_OR_RETURN(auto sources,
                   MakeSources(loaded.graph->topology(), &ctx, client, Clock::Real(), split));
  // Monitoring: the processor publishes into `monitor` after every batch; the server reads it.
  ProcessorMonitor monitor;
  std::unique_ptr<ProcessorPages> pages;
  std::unique_ptr<MonitorServer> server;
  if (!flags.metrics.empty()) {
    HttpServer::Options address;
    RETURN_IF_ERROR(ParseListenAddress(flags.metrics, "--metrics", &address));
    options.monitor = &monitor;
    pages = std::make_unique<ProcessorPages>(&monitor, store->tables(), flags.data);
    ASSIGN_OR_RETURN(server, MonitorServer::Start(address.host, address.port, pages.get()));
    // The ready line: scripts and tests read the bound address from it.
    PrintJson({{"metrics", server->url() + "/metrics"},
               {"status_page", server->url() + "/"},
               {"pid", getpid()}});
    spdlog::info("processor metrics at {}/metrics, status page at {}/", server->url(),
                 server->url());
  }
  ASSIGN_OR_RETURN(auto writers, MakeStreamWriters(loaded.graph->topology(), &ctx, client));
  Processor processor(std::move(loaded.graph), std::move(sources), store.get(), options,
                      Processor::StreamOutputs{
                          std::move(writers), store.get(),
                          split.instances > 1 ? "instance-" + std::to_string(split.instance) : ""});
  std::jthread stats_lines;
  if (!flags.stats_interval.empty()) {
    ASSIGN_OR_RETURN(int64_t interval_ms, ParseDurationMillis(flags.stats_interval));
    stats_lines = StartStatsLines(std::max<int64_t>(interval_ms, 1), store.get());
  }
  Status s = processor.Run(stop.get_token());
  stats_lines = {};  // stopped and joined before the last line
  server.reset();    // no page reads the store or the monitor after this
  pages.reset();
  const auto& st = processor.stats();
  const StateStats state = processor.state_stats();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  PrintJson({{"records", st.records_in},
             {"rows", st.rows_out},
             {"dead_letters", st.dead_letters},
             {"data_loss_gaps", st.data_loss_gaps},
             {"batches", st.batches},
             {"millis_behind", st.millis_behind},
             {"state_keys", state.keys},
             {"state_bytes", state.bytes},
             {"max_rss_bytes", static_cast<int64_t>(usage.ru_maxrss) * 1024},
             {"cpu_seconds",
              static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6}});
  return s;
}

}  // namespace

void AddRunCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand(
      "run", "run the processor on a topology (until SIGINT/SIGTERM, or --once)");
  cmd->add_option("topology", flags->topology, "topology file")->required();
  cmd->add_option("--data", flags->data, "the processor's store (tables, state, offsets)")
      ->required();
  cmd->add_flag("--once", flags->once,
                "process everything available now, then exit (Spark's availableNow)");
  cmd->add_option("--instance", flags->instance,
                  "this instance's number, 0 to --instances - 1: it reads the shards whose hash "
                  "key range starts in its share of the key space, into its own --data")
      ->capture_default_str();
  cmd->add_option("--instances", flags->instances,
                  "how many instances share the topology's shards (a data directory stays with "
                  "the instance and split it was first run as)")
      ->capture_default_str();
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->add_option("--stats-interval", flags->stats_interval,
                  "print the store's size and the process's RSS as a JSON line this often (e.g. "
                  "10s)");
  cmd->add_option("--metrics", flags->metrics,
                  "serve Prometheus metrics (/metrics) and the status page (/) on HOST:PORT "
                  "(port 0 picks a free one; printed as a JSON line at start)");
  cmd->callback([flags, action] { *action = [flags] { return Run(*flags); }; });
}

}  // namespace pinstream::cli
