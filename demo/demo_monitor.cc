#include "demo/demo_monitor.h"

namespace pinstream {

Result<std::unique_ptr<DemoMonitor>> DemoMonitor::Start(const Parts& parts) {
  std::unique_ptr<DemoMonitor> m(new DemoMonitor());
  m->broker_pages_ =
      std::make_unique<BrokerPages>(parts.streams, parts.requests, parts.broker_data);
  HttpGateway::Options gateway;
  gateway.server.port = 0;
  gateway.server.threads = 4;
  gateway.api_key = parts.api_key;
  gateway.metrics = parts.requests;
  gateway.monitor = m->broker_pages_.get();
  ASSIGN_OR_RETURN(m->gateway_, HttpGateway::Start(parts.streams, gateway));
  m->processor_pages_ =
      std::make_unique<ProcessorPages>(parts.processor, parts.tables, parts.processor_data);
  ASSIGN_OR_RETURN(m->processor_server_,
                   MonitorServer::Start("127.0.0.1", 0, m->processor_pages_.get()));
  return m;
}

DemoMonitor::~DemoMonitor() {
  // The servers first: no request reaches the pages once they are going.
  if (processor_server_) processor_server_->Stop();
  if (gateway_) gateway_->Stop();
}

std::string DemoMonitor::WhereToLook() const {
  const std::string broker = gateway_->url();
  const std::string processor = processor_server_->url();
  return "demo: watch it run:\n"
         "  status pages:  " +
         broker + "/ (broker)   " + processor +
         "/ (processor)\n"
         "  Prometheus:    " +
         broker + "/metrics   " + processor +
         "/metrics\n"
         "  in a terminal: pinstream top --broker-http " +
         broker + " --processor " + processor + "\n";
}

}  // namespace pinstream
