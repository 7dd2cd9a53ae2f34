#pragma once

#include <map>
#include <mutex>
#include <string>

#include "monitor/monitor_pages.h"
#include "stream/request_metrics.h"
#include "stream/stream_store.h"

namespace pinstream {

// The broker's monitoring (MonitorPages), served on its HTTP gateway: per stream and shard,
// records and bytes in and out, GetRecords calls, iterator age, retention trims (the store's
// ShardMetrics); per action, requests, failures by error type and latency (RequestMetrics); the
// store's size on disk; the process's CPU and memory.
//
// Metric names follow CloudWatch's Kinesis metrics, Prometheus-style:
//   pinstream_stream_incoming_records_total{stream,shard}   IncomingRecords
//   pinstream_stream_incoming_bytes_total{stream,shard}     IncomingBytes
//   pinstream_stream_get_records_total{stream,shard}        GetRecords.Success (calls)
//   pinstream_stream_outgoing_records_total{stream,shard}   GetRecords.Records
//   pinstream_stream_outgoing_bytes_total{stream,shard}     GetRecords.Bytes
//   pinstream_stream_iterator_age_ms{stream,shard}          GetRecords.IteratorAgeMilliseconds
//   pinstream_stream_trimmed_records_total{stream,shard}    records retention moved past
//   pinstream_stream_retained_records{stream,shard}         records readable now
//   pinstream_stream_shard_open{stream,shard}               1 open, 0 closed by a reshard
//   pinstream_requests_total{transport,action}
//   pinstream_request_errors_total{transport,action,error}  throttled (ProvisionedThroughput-
//                                                           ExceededException, LimitExceeded-
//                                                           Exception) and failed requests
//   pinstream_request_duration_seconds{transport,action}    histogram
//   pinstream_store_bytes                                   the store's directory on disk
//
// Borrows the store and the request metrics (null: none), which must outlive it.
class BrokerPages final : public MonitorPages {
 public:
  BrokerPages(const StreamStore* store, const RequestMetrics* requests, std::string data_dir,
              const MonitorPages::Options& options = {});
  ~BrokerPages() override;

  std::string MetricsText() const override;
  // {"kind":"broker","time_ms","store_bytes","streams":[{"name","shards":[{"shard_id","open",
  //  "incoming_records","incoming_bytes","get_records_calls","outgoing_records",
  //  "outgoing_bytes","iterator_age_ms","trimmed_records","retained_records",
  //  "incoming_records_per_s","incoming_bytes_per_s","outgoing_records_per_s"}],
  //  "incoming_records_per_s","outgoing_records_per_s"}],
  //  "requests":[{"transport","action","requests","errors":{type:n},"p50_ms","p99_ms"}]}
  nlohmann::json StatusJson() const override;

 private:
  struct Rates {
    double in_records = 0;
    double in_bytes = 0;
    double out_records = 0;
  };
  // History series, per stream (the status has each shard's rates now; a history per shard would
  // multiply what every open page fetches each second): "in_records/<stream>",
  // "out_records/<stream>", "in_bytes/<stream>", "iterator_age_ms/<stream>" (its oldest shard).
  std::vector<std::pair<std::string, double>> Sample(double seconds) override;

  const StreamStore* store_;
  const RequestMetrics* requests_;
  const std::string data_dir_;
  std::map<std::string, ShardMetrics> previous_;  // sampler thread: by "stream/shard"
  mutable std::mutex rates_mu_;
  std::map<std::string, Rates> rates_;  // GUARDED_BY(rates_mu_): by "stream/shard"
};

// The latency below which a fraction `q` of a histogram's observations fall, interpolated
// within its bucket as Prometheus's histogram_quantile does; 0 without observations.
double HistogramQuantile(const Histogram::Snapshot& h, double q);

}  // namespace pinstream
