#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "stream/http_server.h"
#include "stream/monitor_route.h"

namespace pinstream {

// An HTTP server with nothing but a MonitorRoute: a processor's --metrics address. A GET the
// route serves is answered by it; anything else is 404 (405 for a method other than GET).
//
// Borrows the route, which must outlive the server. Start() returns once the port is bound.
class MonitorServer {
 public:
  static Result<std::unique_ptr<MonitorServer>> Start(const std::string& host, int port,
                                                      const MonitorRoute* route);
  ~MonitorServer();

  int port() const { return server_->port(); }
  // "http://HOST:PORT"; a wildcard host is given as the loopback address.
  std::string url() const;
  void Stop() { server_->Stop(); }

 private:
  MonitorServer(std::string host, std::unique_ptr<HttpServer> server)
      : host_(std::move(host)), server_(std::move(server)) {}

  std::string host_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace pinstream
