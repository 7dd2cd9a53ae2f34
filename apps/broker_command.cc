#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/time_format.h"
#include "stream/broker.h"
#include "stream/http_gateway.h"
#include "stream/stream_store.h"

namespace pinstream::cli {

namespace {

struct BrokerFlags {
  std::string data;
  std::string listen = kDefaultBroker;
  std::string retention = "24h";
  int workers = 4;
  bool sync = false;
  std::string http;  // HOST:PORT of the HTTP gateway; empty: none
  std::string api_key;
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
  HttpGateway::Options http_options;
  if (!flags.http.empty()) {
    RETURN_IF_ERROR(ParseHttpAddress(flags.http, &http_options));
    http_options.api_key = flags.api_key;
  } else if (!flags.api_key.empty()) {
    return Status::InvalidArgument("--api-key needs --http");
  }
  ASSIGN_OR_RETURN(auto broker, Broker::Start(store.get(), broker_options));
  std::unique_ptr<HttpGateway> gateway;
  if (!flags.http.empty()) {
    ASSIGN_OR_RETURN(gateway, HttpGateway::Start(store.get(), http_options));
  }
  // The ready line: scripts and tests wait for it and read the bound endpoints from it.
  nlohmann::json ready = {
      {"endpoint", broker->endpoint()}, {"pid", getpid()}, {"data", flags.data}};
  if (gateway) ready["http"] = gateway->url();
  PrintJson(ready);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("broker stopping signal={}", sig);
  if (gateway) gateway->Stop();
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
  cmd->add_option("--http", flags->http,
                  "also serve the HTTP gateway (Kinesis JSON, REST and Kafka REST proxies) on "
                  "HOST:PORT; port 0 picks a free one");
  cmd->add_option("--api-key", flags->api_key,
                  "require this value in the x-api-key header of every HTTP request");
  cmd->callback([flags, action] { *action = [flags] { return RunBroker(*flags); }; });
}

}  // namespace pinstream::cli
