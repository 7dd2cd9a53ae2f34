#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/time_format.h"
#include "stream/broker.h"
#include "stream/stream_store.h"

namespace pinstream::cli {

namespace {

struct BrokerFlags {
  std::string data;
  std::string listen = kDefaultBroker;
  std::string retention = "24h";
  int workers = 4;
  bool sync = false;
};

Status RunBroker(const BrokerFlags& flags) {
  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StreamStore::Options store_options;
  store_options.path = flags.data;
  store_options.sync = flags.sync;
  ASSIGN_OR_RETURN(store_options.retention_ms, ParseDurationMillis(flags.retention));
  ASSIGN_OR_RETURN(auto store, StreamStore::Open(store_options));
  Broker::Options broker_options;
  broker_options.listen = flags.listen;
  broker_options.workers = flags.workers;
  ASSIGN_OR_RETURN(auto broker, Broker::Start(store.get(), broker_options));
  // The ready line: scripts and tests wait for it and read the bound endpoint from it.
  PrintJson({{"endpoint", broker->endpoint()}, {"pid", getpid()}, {"data", flags.data}});

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("broker stopping signal={}", sig);
  broker->Stop();
  return Status::OK();
}

}  // namespace

void AddBrokerCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<BrokerFlags>();
  auto* cmd = app.add_subcommand("broker",
                                 "run the sharded stream service (Kinesis semantics over ZeroMQ)");
  cmd->add_option("--data", flags->data, "directory of the RocksDB store (created if missing)")
      ->required();
  cmd->add_option("--listen", flags->listen,
                  "ZeroMQ endpoint to bind; tcp://127.0.0.1:* picks a free port")
      ->capture_default_str();
  cmd->add_option("--retention", flags->retention, "how long records are kept (e.g. 24h, 90m, 30s)")
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "request worker threads")->capture_default_str();
  cmd->add_flag("--sync", flags->sync,
                "fsync the write-ahead log before acknowledging (survives power loss)");
  cmd->callback([flags, action] { *action = [flags] { return RunBroker(*flags); }; });
}

}  // namespace pinstream::cli
