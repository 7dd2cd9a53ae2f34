#include "stream/http_gateway.h"

#include <spdlog/spdlog.h>

#include "stream/gateway_router.h"
#include "stream/put_records_json.h"

namespace pinstream {

static_assert(HttpServer::kBodyPadding >= kPutRecordsJsonPadding,
              "the server's body padding lets PutRecords bodies be parsed in place");

struct HttpGateway::Impl {
  Impl(StreamStore* store, const Options& o)
      : options(o),
        router(
            store,
            {.api_key = o.api_key, .sigv4 = o.sigv4, .metrics = o.metrics, .monitor = o.monitor}) {}

  const Options options;
  GatewayRouter router;
  std::unique_ptr<HttpServer> server;
};

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpGateway::~HttpGateway() { Stop(); }

Result<std::unique_ptr<HttpGateway>> HttpGateway::Start(StreamStore* store,
                                                        const Options& options) {
  if (options.server.threads < 1) return Status::InvalidArgument("the HTTP gateway needs a thread");
  auto impl = std::make_unique<Impl>(store, options);
  GatewayRouter* router = &impl->router;
  ASSIGN_OR_RETURN(impl->server, HttpServer::Start(
                                     options.server,
                                     [router](const HttpRequest& req, HttpResponse* res) {
                                       router->Handle(req, res);
                                     },
                                     [router](const HttpRequest& head, int status,
                                              std::string_view message, HttpResponse* res) {
                                       router->RenderTransportError(head, status, message, res);
                                     }));
  spdlog::info("http gateway listening url=http://{}:{} threads={} api_key={}", options.server.host,
               impl->server->port(), options.server.threads,
               options.api_key.empty() ? "off" : "on");
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl)));
}

int HttpGateway::port() const { return impl_->server->port(); }

std::string HttpGateway::url() const {
  std::string host = impl_->options.server.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port());
}

void HttpGateway::Stop() {
  if (impl_ && impl_->server) impl_->server->Stop();
}

Status ParseHttpAddress(std::string_view text, HttpGateway::Options* options) {
  return ParseListenAddress(text, "--http", &options->server);
}

}  // namespace pinstream
