#include "monitor/monitor_pages.h"

#include <chrono>

#include "common/clock.h"
#include "common/json_dump.h"
#include "common/prometheus_text.h"
#include "monitor/status_page_html.h"

namespace pinstream {

namespace {

bool AcceptsHtml(const HttpRequest& req) {
  return req.Header("Accept").find("text/html") != std::string_view::npos;
}

}  // namespace

void ReplyMonitorJson(const nlohmann::json& body, HttpResponse* res, int status) {
  ReplyMonitorJsonText(DumpJson(body), res, status);
}

void ReplyMonitorJsonText(std::string text, HttpResponse* res, int status) {
  res->status = status;
  res->content_type = "application/json";
  res->body = std::move(text);
  res->SetHeader("Cache-Control", "no-store");
}

bool MonitorPages::Serves(const HttpRequest& req) const {
  if (req.path == "/metrics" || req.path.starts_with("/monitor/")) return true;
  return req.path == "/" && (options_.root_always_html || AcceptsHtml(req));
}

void MonitorPages::Handle(const HttpRequest& req, HttpResponse* res) const {
  if (req.path == "/metrics") {
    res->status = 200;
    res->content_type = kPrometheusContentType;
    res->body = MetricsText();
  } else if (req.path == "/") {
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    res->body = kStatusPageHtml;
    res->SetHeader("Cache-Control", "no-store");
  } else if (req.path == "/monitor/status") {
    ReplyMonitorJson(StatusJson(), res);
  } else if (req.path == "/monitor/history") {
    ReplyMonitorJson(history_.ToJson(), res);
  } else if (!HandleMore(req, res)) {
    ReplyMonitorJson({{"__type", "ResourceNotFoundException"}, {"message", "no page " + req.path}},
                     res, 404);
  }
}

bool MonitorPages::HandleMore(const HttpRequest&, HttpResponse*) const { return false; }

void MonitorPages::StartSampling() {
  sampler_ = std::jthread([this](std::stop_token stop) { SampleLoop(stop); });
}

void MonitorPages::StopSampling() {
  sampler_.request_stop();
  if (sampler_.joinable()) sampler_.join();
}

void MonitorPages::SampleLoop(std::stop_token stop) {
  const Clock& clock = *Clock::Real();
  auto last = std::chrono::steady_clock::now();
  double seconds = 0;
  while (!stop.stop_requested()) {
    std::vector<std::pair<std::string, double>> points = Sample(seconds);
    // The first sample has no interval to make rates of: its zeros would start every chart.
    if (seconds > 0) history_.Add(clock.NowMillis(), points);
    if (!SleepUntil(clock, clock.NowMillis() + options_.sample_interval_ms, stop)) return;
    const auto now = std::chrono::steady_clock::now();
    seconds = std::chrono::duration<double>(now - last).count();
    last = now;
  }
}

}  // namespace pinstream
