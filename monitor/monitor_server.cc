#include "monitor/monitor_server.h"

#include "monitor/monitor_pages.h"

namespace pinstream {

Result<std::unique_ptr<MonitorServer>> MonitorServer::Start(const std::string& host, int port,
                                                            const MonitorRoute* route) {
  HttpServer::Options options;
  options.host = host;
  options.port = port;
  options.threads = 2;
  options.max_body_bytes = 64 << 10;  // GETs only
  options.max_connections = 256;
  auto handle = [route](const HttpRequest& req, HttpResponse* res) {
    if (req.method != "GET") {
      return ReplyMonitorJson({{"__type", "MethodNotAllowed"}, {"message", "only GET"}}, res, 405);
    }
    if (!route->Serves(req)) {
      return ReplyMonitorJson(
          {{"__type", "ResourceNotFoundException"}, {"message", "no page " + req.path}}, res, 404);
    }
    route->Handle(req, res);
  };
  auto render_error = [](const HttpRequest&, int status, std::string_view message,
                         HttpResponse* res) {
    ReplyMonitorJson({{"__type", "HttpError"}, {"message", std::string(message)}}, res, status);
  };
  ASSIGN_OR_RETURN(auto server, HttpServer::Start(options, handle, render_error));
  return std::unique_ptr<MonitorServer>(new MonitorServer(host, std::move(server)));
}

MonitorServer::~MonitorServer() = default;

std::string MonitorServer::url() const {
  const bool wildcard = host_.empty() || host_ == "0.0.0.0" || host_ == "::";
  return "http://" + (wildcard ? std::string("127.0.0.1") : host_) + ":" +
         std::to_string(server_->port());
}

}  // namespace pinstream
