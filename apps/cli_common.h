#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/read_file.h"
#include "common/result.h"
#include "operators/graph.h"
#include "operators/topology.h"
#include "stream/stream_client.h"

namespace pinstream::cli {

inline constexpr char kDefaultBroker[] = "tcp://127.0.0.1:7400";

// Prints one JSON document (an object, or a JSON Lines row) on stdout.
void PrintJson(const nlohmann::json& j);

// Adds `--api-key-file FILE` to a command that talks to a broker (or runs one). The key is
// taken from FILE, else from $PINSTREAM_API_KEY (common/api_key.h), never from the command line.
void AddApiKeyFileOption(CLI::App* cmd, std::string* key_file);

// A client connection and the context it borrows, for one command. `key_file` is the
// --api-key-file value ("" for $PINSTREAM_API_KEY or none).
struct Connection {
  zmq::context_t ctx{1};
  std::unique_ptr<StreamClient> client;
};
Result<std::unique_ptr<Connection>> ConnectBroker(const std::string& endpoint,
                                                  const std::string& key_file);

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts from now on) and
// watches them from a thread of its own: the first requests `stop`, logged as "<what> stopping".
// Call from main's thread before starting any other.
std::jthread WatchStopSignals(std::stop_source stop, std::string what);

// A topology file loaded and its operator graph built. Every problem goes to stderr as
// `file: /json/pointer: message`, and the result is then an InvalidArgument counting them.
struct LoadedTopology {
  std::shared_ptr<const Topology> topology;
  std::unique_ptr<Graph> graph;
};
Result<LoadedTopology> LoadTopology(const std::string& path);

}  // namespace pinstream::cli
