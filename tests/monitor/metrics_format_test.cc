// The pieces of the metrics exposition in-process: Prometheus's text format, histograms and the
// quantiles the status page shows, and the history of sampled series.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "common/histogram.h"
#include "common/prometheus_text.h"
#include "monitor/broker_pages.h"
#include "monitor/series_history.h"

namespace pinstream {
namespace {

TEST(PrometheusTextTest, FamilyHeadersAndLabelledSamples) {
  PrometheusText out;
  out.Family("x_total", "counter", "Things.");
  out.Sample("x_total", {{"stream", "s"}, {"shard", "shardId-000000000001"}}, 12);
  out.Sample("x_total", {}, 3.5);
  EXPECT_EQ(out.text(),
            "# HELP x_total Things.\n"
            "# TYPE x_total counter\n"
            "x_total{stream=\"s\",shard=\"shardId-000000000001\"} 12\n"
            "x_total 3.5\n");
}

TEST(PrometheusTextTest, EscapesLabelValuesAndHelp) {
  PrometheusText out;
  out.Family("y", "gauge", "a \\ and a\nnewline");
  out.Sample("y", {{"op", "say \"hi\"\\\n"}}, 1);
  EXPECT_EQ(out.text(),
            "# HELP y a \\\\ and a\\nnewline\n"
            "# TYPE y gauge\n"
            "y{op=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

TEST(PrometheusTextTest, SpecialValuesAndLargeCounters) {
  PrometheusText out;
  out.Sample("a", {}, std::nan(""));
  out.Sample("b", {}, INFINITY);
  out.Sample("c", {}, -INFINITY);
  out.Sample("d", {}, 9007199254740993.0);  // printed whole, never in exponent form
  out.Sample("e", {}, 0.25);
  EXPECT_EQ(out.text(), "a NaN\nb +Inf\nc -Inf\nd 9007199254740992\ne 0.25\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeAndEndAtInf) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // at a bound: that bucket (le is "less or equal")
  h.Observe(0.5);
  h.Observe(7);
  PrometheusText out;
  out.HistogramSamples("lat_seconds", {{"action", "PutRecords"}}, h.Read());
  EXPECT_EQ(out.text(),
            "lat_seconds_bucket{action=\"PutRecords\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{action=\"PutRecords\",le=\"1\"} 3\n"
            "lat_seconds_bucket{action=\"PutRecords\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{action=\"PutRecords\"} 7.65\n"
            "lat_seconds_count{action=\"PutRecords\"} 4\n");
}

TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h(Histogram::ExponentialBounds(1, 2, 10));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.Observe(i % 1000);
    });
  }
  for (auto& t : threads) t.join();
  const Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 4.0 * 10 * 499500);
  EXPECT_EQ(s.counts.back(), 4u * 10 * (1000 - 513));  // above 512, the last bound
}

TEST(HistogramQuantileTest, InterpolatesWithinTheBucketAsPrometheusDoes) {
  Histogram h({1, 2, 4});
  for (int i = 0; i < 10; ++i) h.Observe(0.5);  // (0, 1]
  for (int i = 0; i < 10; ++i) h.Observe(3);    // (2, 4]
  const Histogram::Snapshot s = h.Read();
  EXPECT_DOUBLE_EQ(HistogramQuantile(s, 0.25), 0.5);  // halfway through the first bucket
  EXPECT_DOUBLE_EQ(HistogramQuantile(s, 0.75), 3);    // halfway through (2, 4]
  EXPECT_DOUBLE_EQ(HistogramQuantile(Histogram({1}).Read(), 0.5), 0);
}

TEST(SeriesHistoryTest, KeepsTheSpanAndDropsSeriesThatStop) {
  SeriesHistory history(/*span_ms=*/1000);
  history.Add(0, {{"a", 1}, {"b", 2}});
  history.Add(600, {{"a", 3}});
  history.Add(1500, {{"a", 4}});  // b's only point is now older than the span
  const nlohmann::json j = history.ToJson();
  EXPECT_EQ(j["span_ms"], 1000);
  EXPECT_EQ(j["series"]["a"], nlohmann::json::parse("[[600,3.0],[1500,4.0]]"));
  EXPECT_FALSE(j["series"].contains("b"));
}

}  // namespace
}  // namespace pinstream
