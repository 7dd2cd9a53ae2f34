#include "monitor/processor_pages.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "common/disk_usage.h"
#include "common/json_dump.h"
#include "common/prometheus_text.h"
#include "common/url_encoding.h"
#include "common/value.h"
#include "monitor/process_metrics.h"

namespace pinstream {

namespace {

int64_t MaxMillisBehind(const ProcessorStatus& s) {
  int64_t lag = 0;
  for (const auto& shard : s.shards) lag = std::max(lag, shard.millis_behind);
  return lag;
}

int64_t QueryInt(std::string_view query, std::string_view name, int64_t fallback) {
  const std::string text = QueryParameter(query, name);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() && v >= 0 ? v : fallback;
}

}  // namespace

ProcessorPages::ProcessorPages(const ProcessorMonitor* monitor, const TableStore* tables,
                               std::string data_dir, const MonitorPages::Options& options)
    : MonitorPages(options), monitor_(monitor), tables_(tables), data_dir_(std::move(data_dir)) {
  StartSampling();
}

ProcessorPages::~ProcessorPages() { StopSampling(); }

std::vector<Table*> ProcessorPages::Tables(const ProcessorStatus& s) const {
  if (s.updated_ms == 0) return {};
  return tables_->List();
}

std::string ProcessorPages::MetricsText() const {
  const ProcessorStatus s = monitor_->status();
  const std::string_view topology = s.topology;
  PrometheusText out;
  auto total = [&](const char* name, const char* type, const char* help, double value) {
    out.Family(name, type, help);
    out.Sample(name, {{"topology", topology}}, value);
  };
  total("pinstream_processor_records_in_total", "counter", "Records read from the sources.",
        static_cast<double>(s.records_in));
  total("pinstream_processor_rows_out_total", "counter", "Rows written to tables.",
        static_cast<double>(s.rows_out));
  auto per_operator = [&](const char* name, const char* help, auto field) {
    out.Family(name, "counter", help);
    for (const auto& op : s.operators) {
      out.Sample(name, {{"topology", topology}, {"operator", op.name}},
                 static_cast<double>(field(op)));
    }
  };
  per_operator("pinstream_processor_operator_rows_in_total", "Rows into each operator.",
               [](const Graph::OperatorCounts& c) { return c.rows_in; });
  per_operator("pinstream_processor_operator_rows_out_total",
               "Rows out of each operator (what a stream operator emitted).",
               [](const Graph::OperatorCounts& c) { return c.rows_out; });
  per_operator("pinstream_processor_operator_failed_total",
               "Rows an operator failed: each became a dead letter.",
               [](const Graph::OperatorCounts& c) { return c.failed; });
  total("pinstream_processor_dead_letters_total", "counter", "Rows sent to dead_letters.",
        static_cast<double>(s.dead_letters));
  total("pinstream_processor_data_loss_gaps_total", "counter",
        "Gaps of records lost before they were read (rows of data_loss).",
        static_cast<double>(s.data_loss_gaps));
  total("pinstream_processor_batches_total", "counter", "Micro-batches committed.",
        static_cast<double>(s.batches));
  out.Family("pinstream_processor_batch_records", "histogram", "Records per committed batch.");
  out.HistogramSamples("pinstream_processor_batch_records", {{"topology", topology}},
                       monitor_->batch_records());
  out.Family("pinstream_processor_batch_duration_seconds", "histogram",
             "Time of a batch from its first read to its commit.");
  out.HistogramSamples("pinstream_processor_batch_duration_seconds", {{"topology", topology}},
                       monitor_->batch_seconds());
  out.Family("pinstream_processor_commit_duration_seconds", "histogram",
             "Time of a batch's commit: the operators' flush and the store's write.");
  out.HistogramSamples("pinstream_processor_commit_duration_seconds", {{"topology", topology}},
                       monitor_->commit_seconds());
  out.Family("pinstream_processor_millis_behind_latest", "gauge",
             "How far the last read of each shard was behind its newest record (Kinesis "
             "MillisBehindLatest).");
  for (const auto& shard : s.shards) {
    out.Sample("pinstream_processor_millis_behind_latest",
               {{"topology", topology}, {"stream", shard.stream}, {"shard", shard.shard_id}},
               static_cast<double>(shard.millis_behind));
  }
  total("pinstream_processor_state_keys", "gauge", "Keys of the stream operators' state.",
        static_cast<double>(s.state.keys));
  total("pinstream_processor_state_bytes", "gauge", "Bytes of the stream operators' state.",
        static_cast<double>(s.state.bytes));
  out.Family("pinstream_table_version", "gauge", "The newest committed version of each table.");
  for (const Table* t : Tables(s)) {
    out.Sample("pinstream_table_version", {{"table", t->spec().name}},
               static_cast<double>(t->version()));
  }
  out.Family("pinstream_processor_data_bytes", "gauge",
             "Bytes of the processor's data directory on disk.");
  out.Sample("pinstream_processor_data_bytes", {}, static_cast<double>(DirectoryBytes(data_dir_)));
  AppendProcessMetrics(&out);
  return out.text();
}

std::vector<std::pair<std::string, double>> ProcessorPages::Sample(double seconds) {
  ProcessorStatus s = monitor_->status();
  double in = 0, out = 0, dead = 0;
  if (sampled_ && seconds > 0) {
    auto rate = [&](uint64_t now, uint64_t before) {
      return now >= before ? static_cast<double>(now - before) / seconds : 0.0;
    };
    in = rate(s.records_in, previous_.records_in);
    out = rate(s.rows_out, previous_.rows_out);
    dead = rate(s.dead_letters, previous_.dead_letters);
  }
  std::vector<std::pair<std::string, double>> points = {
      {"records_in_per_s", in},
      {"rows_out_per_s", out},
      {"dead_letters_per_s", dead},
      {"millis_behind", static_cast<double>(MaxMillisBehind(s))},
      {"batch_seconds", s.last_batch_seconds},
      {"commit_seconds", s.last_commit_seconds}};
  previous_ = std::move(s);
  sampled_ = true;
  std::lock_guard lock(rates_mu_);
  records_in_per_s_ = in;
  rows_out_per_s_ = out;
  return points;
}

nlohmann::json ProcessorPages::StatusJson() const {
  const ProcessorStatus s = monitor_->status();
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& shard : s.shards) {
    shards.push_back({{"stream", shard.stream},
                      {"shard_id", shard.shard_id},
                      {"millis_behind", shard.millis_behind}});
  }
  nlohmann::json operators = nlohmann::json::array();
  for (const auto& op : s.operators) {
    operators.push_back({{"name", op.name},
                         {"rows_in", op.rows_in},
                         {"rows_out", op.rows_out},
                         {"failed", op.failed}});
  }
  nlohmann::json tables = nlohmann::json::array();
  for (const Table* t : Tables(s)) {
    tables.push_back({{"name", t->spec().name},
                      {"version", t->version()},
                      {"kind", t->upsert() ? "upsert" : "append"}});
  }
  double in = 0, out = 0;
  {
    std::lock_guard lock(rates_mu_);
    in = records_in_per_s_;
    out = rows_out_per_s_;
  }
  return {{"kind", "processor"},
          {"topology", s.topology},
          {"time_ms", Clock::Real()->NowMillis()},
          {"started_ms", s.started_ms},
          {"updated_ms", s.updated_ms},
          {"data_bytes", DirectoryBytes(data_dir_)},
          {"records_in", s.records_in},
          {"rows_out", s.rows_out},
          {"dead_letters", s.dead_letters},
          {"data_loss_gaps", s.data_loss_gaps},
          {"batches", s.batches},
          {"records_in_per_s", in},
          {"rows_out_per_s", out},
          {"millis_behind", MaxMillisBehind(s)},
          {"shards", std::move(shards)},
          {"operators", std::move(operators)},
          {"state", {{"keys", s.state.keys}, {"bytes", s.state.bytes}}},
          {"last_batch",
           {{"records", s.last_batch_records},
            {"seconds", s.last_batch_seconds},
            {"commit_seconds", s.last_commit_seconds}}},
          {"tables", std::move(tables)}};
}

bool ProcessorPages::HandleMore(const HttpRequest& req, HttpResponse* res) const {
  if (req.path != "/monitor/rows") return false;
  const std::string name = QueryParameter(req.query, "table");
  const Table* table = monitor_->status().updated_ms > 0 ? tables_->Find(name) : nullptr;
  if (table == nullptr) {
    ReplyMonitorJson({{"__type", "ResourceNotFoundException"}, {"message", "no table " + name}},
                     res, 404);
    return true;
  }
  const int64_t offset = QueryInt(req.query, "offset", 0);
  const int64_t limit = std::clamp<int64_t>(QueryInt(req.query, "limit", 50), 1, 1000);
  const int64_t version = table->version();
  const Schema& schema = table->spec().schema;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  int64_t seen = 0;
  bool more = false;
  const Status page_full = Status::ResourceInUse("page full");  // a sentinel: the scan ends
  Status s = table->Scan(version, [&](const Row& row) {
    if (seen++ < offset) return Status::OK();
    if (static_cast<int64_t>(rows.size()) == limit) {
      more = true;
      return page_full;
    }
    rows.push_back(RowToJson(schema, row));
    return Status::OK();
  });
  if (!s.ok() && s != page_full) {
    ReplyMonitorJson({{"__type", std::string(s.TypeName())}, {"message", s.message()}}, res, 500);
    return true;
  }
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (size_t c = 0; c < schema.size(); ++c) columns.push_back(schema.column(c).name);
  ReplyMonitorJsonText(DumpJson(nlohmann::ordered_json{{"table", name},
                                                       {"version", version},
                                                       {"columns", std::move(columns)},
                                                       {"offset", offset},
                                                       {"rows", std::move(rows)},
                                                       {"more", more}}),
                       res);
  return true;
}

}  // namespace pinstream
