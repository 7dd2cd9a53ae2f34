#pragma once

#include <memory>
#include <string>
#include <zmq.hpp>

#include "common/result.h"
#include "stream/stream_client.h"

namespace pinstream::cli {

inline constexpr char kDefaultBroker[] = "tcp://127.0.0.1:7400";

// Prints one JSON document (an object, or a JSON Lines row) on stdout.
void PrintJson(const nlohmann::json& j);

// Reads a whole file; IOError naming the path when it cannot.
Result<std::string> ReadFile(const std::string& path);

// A client connection and the context it borrows, for one command.
struct Connection {
  zmq::context_t ctx{1};
  std::unique_ptr<StreamClient> client;
};
Result<std::unique_ptr<Connection>> ConnectBroker(const std::string& endpoint);

}  // namespace pinstream::cli
