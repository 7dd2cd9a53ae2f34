#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/histogram.h"

namespace pinstream {

// The content type of Prometheus's text exposition format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Writes metrics in Prometheus's text exposition format (0.0.4): each family's # HELP and # TYPE
// lines, then its samples. Label values are escaped as the format says (backslash, double quote,
// newline); names are the caller's and must match [a-zA-Z_:][a-zA-Z0-9_:]*.
//
//   PrometheusText out;
//   out.Family("pinstream_stream_incoming_records_total", "counter", "Records put.");
//   out.Sample("pinstream_stream_incoming_records_total", {{"stream", s}, {"shard", id}}, n);
//   reply(out.text());
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts a family; every sample after it, up to the next Family, belongs to it. `type` is
  // counter, gauge, histogram or untyped.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, Labels labels, double value);
  // A histogram's samples: name_bucket{...,le="..."} (cumulative), name_sum and name_count.
  void HistogramSamples(std::string_view name, Labels labels, const Histogram::Snapshot& h);

  const std::string& text() const { return text_; }

 private:
  void AppendSample(std::string_view name, std::string_view suffix, Labels labels,
                    std::string_view le, double value);

  std::string text_;
};

}  // namespace pinstream
