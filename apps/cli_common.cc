#include "apps/cli_common.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "common/api_key.h"
#include "common/json_dump.h"

namespace pinstream::cli {

void PrintJson(const nlohmann::json& j) {
  std::cout << DumpJson(j) << "\n";
  std::cout.flush();
}

void AddApiKeyFileOption(CLI::App* cmd, std::string* key_file) {
  cmd->add_option("--api-key-file", *key_file,
                  "read the broker's API key from FILE (default: $PINSTREAM_API_KEY; none: no "
                  "auth)");
}

Result<std::unique_ptr<Connection>> ConnectBroker(const std::string& endpoint,
                                                  const std::string& key_file) {
  StreamClient::Options options;
  ASSIGN_OR_RETURN(options.api_key, LoadApiKey(key_file));
  auto conn = std::make_unique<Connection>();
  ASSIGN_OR_RETURN(conn->client, StreamClient::Connect(&conn->ctx, endpoint, options));
  return conn;
}

Result<LoadedTopology> LoadTopology(const std::string& path) {
  BuildErrors errors;
  LoadedTopology loaded;
  loaded.topology = Topology::Load(path, &errors);
  if (loaded.topology) loaded.graph = Graph::Build(loaded.topology, &errors);
  if (!errors.empty()) {
    std::cerr << FormatErrors(path, errors);
    return Status::InvalidArgument(path + ": " + std::to_string(errors.errors().size()) +
                                   " problem(s)");
  }
  return loaded;
}

std::jthread WatchStopSignals(std::stop_source stop, std::string what) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return std::jthread([signals, stop, what = std::move(what)](std::stop_token st) mutable {
    while (!st.stop_requested()) {
      timespec timeout{0, 100'000'000};
      int sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::info("{} stopping signal={}", what, sig);
        stop.request_stop();
        return;
      }
    }
  });
}

}  // namespace pinstream::cli
