#include "common/prometheus_text.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>

namespace pinstream {

namespace {

void AppendEscaped(std::string_view s, bool quote, std::string* out) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// Integers as integers (counters are exact beyond 2^53 only that way), the rest in the shortest
// form that reads back the same, and the format's own spelling of the infinities and NaN.
void AppendValue(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else if (v == std::trunc(v) && std::fabs(v) < 1e18) {
    fmt::format_to(std::back_inserter(*out), "{}", static_cast<int64_t>(v));
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", v);
  }
}

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).push_back(' ');
  AppendEscaped(help, /*quote=*/false, &text_);
  text_.append("\n# TYPE ").append(name).push_back(' ');
  text_.append(type).push_back('\n');
}

void PrometheusText::Sample(std::string_view name, Labels labels, double value) {
  AppendSample(name, "", labels, "", value);
}

void PrometheusText::HistogramSamples(std::string_view name, Labels labels,
                                      const Histogram::Snapshot& h) {
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    le.clear();
    if (i < h.upper_bounds.size()) {
      AppendValue(h.upper_bounds[i], &le);
    } else {
      le = "+Inf";
    }
    AppendSample(name, "_bucket", labels, le, static_cast<double>(cumulative));
  }
  AppendSample(name, "_sum", labels, "", h.sum);
  // The count is the buckets' total, so that the +Inf bucket equals it even mid-observation.
  AppendSample(name, "_count", labels, "", static_cast<double>(cumulative));
}

void PrometheusText::AppendSample(std::string_view name, std::string_view suffix, Labels labels,
                                  std::string_view le, double value) {
  text_.append(name).append(suffix);
  if (labels.size() > 0 || !le.empty()) {
    text_.push_back('{');
    bool first = true;
    for (const auto& [label, v] : labels) {
      if (!first) text_.push_back(',');
      first = false;
      text_.append(label).append("=\"");
      AppendEscaped(v, /*quote=*/true, &text_);
      text_.push_back('"');
    }
    if (!le.empty()) {
      if (!first) text_.push_back(',');
      text_.append("le=\"").append(le).push_back('"');
    }
    text_.push_back('}');
  }
  text_.push_back(' ');
  AppendValue(value, &text_);
  text_.push_back('\n');
}

}  // namespace pinstream
