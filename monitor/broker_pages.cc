#include "monitor/broker_pages.h"

#include <algorithm>

#include "common/clock.h"
#include "common/disk_usage.h"
#include "common/prometheus_text.h"
#include "monitor/process_metrics.h"

namespace pinstream {

double HistogramQuantile(const Histogram::Snapshot& h, double q) {
  uint64_t total = 0;
  for (uint64_t c : h.counts) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double seen = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    const double next = seen + static_cast<double>(h.counts[i]);
    if (next >= rank && h.counts[i] > 0) {
      // The +Inf bucket has no upper bound: its lower one is the best answer there is.
      if (i == h.upper_bounds.size()) return h.upper_bounds.empty() ? 0 : h.upper_bounds.back();
      const double lower = i == 0 ? 0 : h.upper_bounds[i - 1];
      const double upper = h.upper_bounds[i];
      return lower + (upper - lower) * (rank - seen) / static_cast<double>(h.counts[i]);
    }
    seen = next;
  }
  return h.upper_bounds.empty() ? 0 : h.upper_bounds.back();
}

BrokerPages::BrokerPages(const StreamStore* store, const RequestMetrics* requests,
                         std::string data_dir, const MonitorPages::Options& options)
    : MonitorPages(options), store_(store), requests_(requests), data_dir_(std::move(data_dir)) {
  StartSampling();
}

BrokerPages::~BrokerPages() { StopSampling(); }

std::string BrokerPages::MetricsText() const {
  const std::vector<ShardMetrics> shards = store_->Metrics();
  PrometheusText out;
  auto per_shard = [&](const char* name, const char* type, const char* help, auto field) {
    out.Family(name, type, help);
    for (const ShardMetrics& m : shards) {
      out.Sample(name, {{"stream", m.stream}, {"shard", m.shard_id}},
                 static_cast<double>(field(m)));
    }
  };
  per_shard("pinstream_stream_incoming_records_total", "counter",
            "Records put to the shard (CloudWatch IncomingRecords).",
            [](const ShardMetrics& m) { return m.incoming_records; });
  per_shard("pinstream_stream_incoming_bytes_total", "counter",
            "Bytes of data and partition keys put to the shard (CloudWatch IncomingBytes).",
            [](const ShardMetrics& m) { return m.incoming_bytes; });
  per_shard("pinstream_stream_get_records_total", "counter",
            "GetRecords calls that read the shard (CloudWatch GetRecords.Success).",
            [](const ShardMetrics& m) { return m.get_records_calls; });
  per_shard("pinstream_stream_outgoing_records_total", "counter",
            "Records GetRecords returned (CloudWatch GetRecords.Records).",
            [](const ShardMetrics& m) { return m.outgoing_records; });
  per_shard("pinstream_stream_outgoing_bytes_total", "counter",
            "Bytes GetRecords returned (CloudWatch GetRecords.Bytes).",
            [](const ShardMetrics& m) { return m.outgoing_bytes; });
  per_shard("pinstream_stream_iterator_age_ms", "gauge",
            "Age of the last record the last GetRecords returned; 0 when caught up "
            "(CloudWatch GetRecords.IteratorAgeMilliseconds).",
            [](const ShardMetrics& m) { return m.iterator_age_ms; });
  per_shard("pinstream_stream_trimmed_records_total", "counter",
            "Records retention trimmed from the shard.",
            [](const ShardMetrics& m) { return m.trimmed_records; });
  per_shard("pinstream_stream_retained_records", "gauge", "Records readable in the shard now.",
            [](const ShardMetrics& m) { return m.retained_records; });
  per_shard("pinstream_stream_shard_open", "gauge",
            "1 for an open shard, 0 for one a reshard closed.",
            [](const ShardMetrics& m) { return m.open ? 1 : 0; });

  const std::vector<RequestMetrics::Action> actions =
      requests_ ? requests_->Read() : std::vector<RequestMetrics::Action>{};
  out.Family("pinstream_requests_total", "counter", "Requests answered, by transport and action.");
  for (const auto& a : actions) {
    out.Sample("pinstream_requests_total", {{"transport", a.transport}, {"action", a.action}},
               static_cast<double>(a.requests));
  }
  out.Family("pinstream_request_errors_total", "counter",
             "Requests answered with an error, by its Kinesis error type (throttling is "
             "ProvisionedThroughputExceededException or LimitExceededException).");
  for (const auto& a : actions) {
    for (const auto& [error, n] : a.errors) {
      out.Sample("pinstream_request_errors_total",
                 {{"transport", a.transport}, {"action", a.action}, {"error", error}},
                 static_cast<double>(n));
    }
  }
  out.Family("pinstream_request_duration_seconds", "histogram",
             "Time from a request's arrival at the service to its reply.");
  for (const auto& a : actions) {
    out.HistogramSamples("pinstream_request_duration_seconds",
                         {{"transport", a.transport}, {"action", a.action}}, a.latency_seconds);
  }
  out.Family("pinstream_store_bytes", "gauge", "Bytes of the stream store's directory on disk.");
  out.Sample("pinstream_store_bytes", {}, static_cast<double>(DirectoryBytes(data_dir_)));
  AppendProcessMetrics(&out);
  return out.text();
}

std::vector<std::pair<std::string, double>> BrokerPages::Sample(double seconds) {
  std::vector<std::pair<std::string, double>> points;
  std::map<std::string, ShardMetrics> current;
  std::map<std::string, Rates> rates;
  struct StreamTotals {
    Rates rates;
    int64_t iterator_age_ms = 0;
  };
  std::map<std::string, StreamTotals> streams;
  for (ShardMetrics& m : store_->Metrics()) {
    const std::string key = m.stream + "/" + m.shard_id;
    Rates r;
    if (auto prev = previous_.find(key); prev != previous_.end() && seconds > 0) {
      auto rate = [&](uint64_t now, uint64_t before) {
        return now >= before ? static_cast<double>(now - before) / seconds : 0.0;
      };
      r.in_records = rate(m.incoming_records, prev->second.incoming_records);
      r.in_bytes = rate(m.incoming_bytes, prev->second.incoming_bytes);
      r.out_records = rate(m.outgoing_records, prev->second.outgoing_records);
    }
    StreamTotals& st = streams[m.stream];
    st.rates.in_records += r.in_records;
    st.rates.in_bytes += r.in_bytes;
    st.rates.out_records += r.out_records;
    st.iterator_age_ms = std::max(st.iterator_age_ms, m.iterator_age_ms);
    rates[key] = r;
    current.emplace(key, std::move(m));
  }
  for (const auto& [name, st] : streams) {
    points.emplace_back("in_records/" + name, st.rates.in_records);
    points.emplace_back("out_records/" + name, st.rates.out_records);
    points.emplace_back("in_bytes/" + name, st.rates.in_bytes);
    points.emplace_back("iterator_age_ms/" + name, static_cast<double>(st.iterator_age_ms));
  }
  previous_ = std::move(current);
  std::lock_guard lock(rates_mu_);
  rates_ = std::move(rates);
  return points;
}

nlohmann::json BrokerPages::StatusJson() const {
  std::map<std::string, Rates> rates;
  {
    std::lock_guard lock(rates_mu_);
    rates = rates_;
  }
  nlohmann::json streams = nlohmann::json::array();
  nlohmann::json* stream = nullptr;
  for (const ShardMetrics& m : store_->Metrics()) {
    if (stream == nullptr || (*stream)["name"] != m.stream) {
      streams.push_back({{"name", m.stream},
                         {"shards", nlohmann::json::array()},
                         {"incoming_records_per_s", 0.0},
                         {"outgoing_records_per_s", 0.0}});
      stream = &streams.back();
    }
    const Rates r = rates[m.stream + "/" + m.shard_id];
    (*stream)["shards"].push_back({{"shard_id", m.shard_id},
                                   {"open", m.open},
                                   {"incoming_records", m.incoming_records},
                                   {"incoming_bytes", m.incoming_bytes},
                                   {"get_records_calls", m.get_records_calls},
                                   {"outgoing_records", m.outgoing_records},
                                   {"outgoing_bytes", m.outgoing_bytes},
                                   {"iterator_age_ms", m.iterator_age_ms},
                                   {"trimmed_records", m.trimmed_records},
                                   {"retained_records", m.retained_records},
                                   {"incoming_records_per_s", r.in_records},
                                   {"incoming_bytes_per_s", r.in_bytes},
                                   {"outgoing_records_per_s", r.out_records}});
    (*stream)["incoming_records_per_s"] =
        (*stream)["incoming_records_per_s"].get<double>() + r.in_records;
    (*stream)["outgoing_records_per_s"] =
        (*stream)["outgoing_records_per_s"].get<double>() + r.out_records;
  }
  nlohmann::json requests = nlohmann::json::array();
  if (requests_) {
    for (const auto& a : requests_->Read()) {
      requests.push_back({{"transport", a.transport},
                          {"action", a.action},
                          {"requests", a.requests},
                          {"errors", a.errors},
                          {"p50_ms", 1000 * HistogramQuantile(a.latency_seconds, 0.5)},
                          {"p99_ms", 1000 * HistogramQuantile(a.latency_seconds, 0.99)}});
    }
  }
  return {{"kind", "broker"},
          {"time_ms", Clock::Real()->NowMillis()},
          {"store_bytes", DirectoryBytes(data_dir_)},
          {"streams", std::move(streams)},
          {"requests", std::move(requests)}};
}

}  // namespace pinstream
