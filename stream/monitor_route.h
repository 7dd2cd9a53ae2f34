#pragma once

#include "stream/http_message.h"

namespace pinstream {

// Monitoring pages served beside an HTTP service's own routes (the gateway's dialects): metrics,
// a status page and its data. The monitor library implements it; a server asks Serves() first,
// authorizes, then calls Handle(). Both are called concurrently.
class MonitorRoute {
 public:
  virtual ~MonitorRoute() = default;
  // Whether `req` (a GET) is one of the monitor's: its path, and for "/" an Accept of HTML.
  virtual bool Serves(const HttpRequest& req) const = 0;
  virtual void Handle(const HttpRequest& req, HttpResponse* res) const = 0;
};

}  // namespace pinstream
