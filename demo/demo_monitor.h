#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "monitor/broker_pages.h"
#include "monitor/monitor_server.h"
#include "monitor/processor_pages.h"
#include "runtime/processor_monitor.h"
#include "sinks/table_store.h"
#include "stream/http_gateway.h"
#include "stream/request_metrics.h"
#include "stream/stream_store.h"

namespace pinstream {

// What a demo run with --rate lets a user watch while it runs: the broker's HTTP gateway with
// /metrics and the status page, and the processor's metrics server, each on a free loopback port.
// Borrows everything it is given, which must outlive it.
class DemoMonitor {
 public:
  struct Parts {
    StreamStore* streams;
    RequestMetrics* requests;
    std::string broker_data;
    const ProcessorMonitor* processor;
    const TableStore* tables;
    std::string processor_data;
    std::string api_key;
  };
  static Result<std::unique_ptr<DemoMonitor>> Start(const Parts& parts);
  ~DemoMonitor();

  // Where to look, for the user: the pages and the `pinstream top` command line.
  std::string WhereToLook() const;

 private:
  DemoMonitor() = default;

  std::unique_ptr<BrokerPages> broker_pages_;
  std::unique_ptr<HttpGateway> gateway_;
  std::unique_ptr<ProcessorPages> processor_pages_;
  std::unique_ptr<MonitorServer> processor_server_;
};

}  // namespace pinstream
