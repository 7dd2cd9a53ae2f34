#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/api_key.h"
#include "common/aws_credentials.h"
#include "common/net_address.h"
#include "common/sigv4_verifier.h"
#include "common/time_format.h"
#include "monitor/broker_pages.h"
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
  uint32_t shard_limit = kDefaultShardLimit;
  // How long streams stay CREATING, UPDATING and DELETING, as AWS's take a while.
  int64_t create_stream_ms = 0;
  std::string iterator_lifetime = "5m";
  int64_t update_stream_ms = 0;
  int64_t delete_stream_ms = 0;
  std::string http;  // HOST:PORT of the HTTP gateway; empty: none
  std::string api_key_file;
  std::string aws_credentials;  // an AWS shared-credentials file: SigV4 on the gateway
  bool no_metrics = false;
};

// The gateway's SigV4 check (SPEC section 10) from --aws-credentials; null without the flag.
Result<std::shared_ptr<const SigV4Verifier>> LoadSigV4Verifier(const BrokerFlags& flags) {
  if (flags.aws_credentials.empty()) return std::shared_ptr<const SigV4Verifier>();
  if (flags.http.empty()) return Status::InvalidArgument("--aws-credentials needs --http");
  ASSIGN_OR_RETURN(std::vector<AwsCredential> credentials,
                   LoadAwsCredentialsFile(flags.aws_credentials));
  spdlog::info("http gateway accepts SigV4 from access_keys={}", credentials.size());
  return std::make_shared<const SigV4Verifier>(credentials);
}

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
  store_options.shard_limit = flags.shard_limit;
  store_options.create_stream_ms = flags.create_stream_ms;
  ASSIGN_OR_RETURN(store_options.iterator_lifetime_ms,
                   ParseDurationMillis(flags.iterator_lifetime));
  store_options.update_stream_ms = flags.update_stream_ms;
  store_options.delete_stream_ms = flags.delete_stream_ms;
  store_options.count_traffic = !flags.no_metrics;
  ASSIGN_OR_RETURN(store_options.retention_ms, ParseDurationMillis(flags.retention));
  ASSIGN_OR_RETURN(auto store, StreamStore::Open(store_options));
  RequestMetrics requests;
  Broker::Options broker_options;
  if (!flags.no_metrics) broker_options.metrics = &requests;
  broker_options.listen = flags.listen;
  broker_options.workers = flags.workers;
  ASSIGN_OR_RETURN(broker_options.api_key, LoadApiKey(flags.api_key_file));
  ASSIGN_OR_RETURN(std::shared_ptr<const SigV4Verifier> sigv4, LoadSigV4Verifier(flags));
  HttpGateway::Options http_options;
  if (!flags.http.empty()) {
    RETURN_IF_ERROR(ParseHttpAddress(flags.http, &http_options));
    http_options.api_key = broker_options.api_key;
    http_options.sigv4 = sigv4;
    if (broker_options.api_key.empty() && !sigv4 && !IsLoopbackHost(http_options.server.host)) {
      spdlog::warn(
          "http gateway listens beyond loopback without auth: anyone who reaches host={} port={} "
          "may create, read and delete streams; set PINSTREAM_API_KEY, --api-key-file or "
          "--aws-credentials",
          http_options.server.host, http_options.server.port);
    }
  }
  // Monitoring (/metrics and the status page) is served on the gateway's port.
  std::unique_ptr<BrokerPages> pages;
  if (!flags.http.empty() && !flags.no_metrics) {
    pages = std::make_unique<BrokerPages>(store.get(), &requests, flags.data);
    http_options.metrics = &requests;
    http_options.monitor = pages.get();
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
  if (gateway && pages) {
    ready["metrics"] = gateway->url() + "/metrics";
    ready["status_page"] = gateway->url() + "/";
  }
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
  cmd->add_option("--shard-limit", flags->shard_limit,
                  "the account's shard limit: open shards of all streams together, as AWS's "
                  "per-region quota")
      ->capture_default_str();
  cmd->add_option("--iterator-lifetime", flags->iterator_lifetime,
                  "how long a shard iterator stays valid after it was issued (Kinesis: 5m); "
                  "older ones are answered ExpiredIteratorException")
      ->capture_default_str();
  cmd->add_option("--create-stream-ms", flags->create_stream_ms,
                  "how long a new stream is CREATING (writes and reads answer not found)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--update-stream-ms", flags->update_stream_ms,
                  "how long a stream is UPDATING after a reshard or a mode change")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--delete-stream-ms", flags->delete_stream_ms,
                  "how long a deleted stream is still listed as DELETING")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--sync", flags->sync,
                "fsync the write-ahead log before acknowledging (survives power loss)");
  cmd->add_option("--http", flags->http,
                  "also serve the HTTP gateway (Kinesis JSON, REST and Kafka REST proxies) on "
                  "HOST:PORT; port 0 picks a free one");
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->add_option("--aws-credentials", flags->aws_credentials,
                  "with --http: verify the SigV4 signature of every Kinesis request against the "
                  "key pairs of this AWS shared-credentials file");
  cmd->add_flag("--no-metrics", flags->no_metrics,
                "count nothing for monitoring: no /metrics or status page on the --http port "
                "(to measure what counting costs)");
  cmd->callback([flags, action] { *action = [flags] { return RunBroker(*flags); }; });
}

}  // namespace pinstream::cli
