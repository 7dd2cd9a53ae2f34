#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "monitor/series_history.h"
#include "stream/monitor_route.h"

namespace pinstream {

// What a monitored service serves, whichever it is (the broker's gateway, a processor):
//   GET /metrics          Prometheus's text format (MetricsText)
//   GET /                 the status page (HTML, in the binary), when the client asks for HTML
//                         or `root_always_html` is set
//   GET /monitor/status   the service's state now, JSON (StatusJson): "kind" says which service
//   GET /monitor/history  the last 15 minutes of its series, JSON (SeriesHistory::ToJson)
// and what a subclass adds under /monitor/ (HandleMore). A sampler thread calls Sample every
// `sample_interval_ms` and keeps the points for the history.
//
// Subclasses call StartSampling() last in their constructor and StopSampling() first in their
// destructor, so that the thread never calls into a half-built or half-destroyed object.
class MonitorPages : public MonitorRoute {
 public:
  struct Options {
    bool root_always_html = false;
    int64_t sample_interval_ms = 1000;
  };

  bool Serves(const HttpRequest& req) const override;
  void Handle(const HttpRequest& req, HttpResponse* res) const override;

  virtual std::string MetricsText() const = 0;
  virtual nlohmann::json StatusJson() const = 0;

 protected:
  explicit MonitorPages(const Options& options) : options_(options) {}

  // The series' points now; `seconds` since the last call (0 at the first), for rates. Called
  // on the sampler thread only.
  virtual std::vector<std::pair<std::string, double>> Sample(double seconds) = 0;
  // A GET under /monitor/ other than status and history: answers and returns true, or false
  // (a 404 then).
  virtual bool HandleMore(const HttpRequest& req, HttpResponse* res) const;

  void StartSampling();
  void StopSampling();

  const SeriesHistory& history() const { return history_; }

 private:
  void SampleLoop(std::stop_token stop);

  const Options options_;
  SeriesHistory history_;
  std::jthread sampler_;
};

// A JSON reply.
void ReplyMonitorJson(const nlohmann::json& body, HttpResponse* res, int status = 200);
// A reply of JSON text made elsewhere (DumpJson of an ordered_json, whose keys keep their order).
void ReplyMonitorJsonText(std::string text, HttpResponse* res, int status = 200);

}  // namespace pinstream
