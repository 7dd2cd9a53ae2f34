#include "apps/cli_common.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace pinstream::cli {

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  std::cout.flush();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read '" + path + "'");
  return ss.str();
}

Result<std::unique_ptr<Connection>> ConnectBroker(const std::string& endpoint) {
  auto conn = std::make_unique<Connection>();
  ASSIGN_OR_RETURN(conn->client, StreamClient::Connect(&conn->ctx, endpoint));
  return conn;
}

}  // namespace pinstream::cli
