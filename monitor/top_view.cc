#include "monitor/top_view.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include "common/time_format.h"

namespace pinstream {

namespace {

using nlohmann::json;

// The layout width of plain output, which is never cut: a table of names packs into this.
constexpr size_t kPlainWidth = 100;

// Non-throwing reads: the JSON comes from another process, maybe of another version.
const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
double Num(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_number() ? v.get<double>() : 0;
}
std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
const json& Arr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  const json& v = Field(j, key);
  return v.is_array() ? v : kEmpty;
}

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}
std::string Count(double n) { return Printf("%.0f", n); }
std::string Rate(double n) { return Printf("%.1f", n); }
std::string Latency(double ms) { return Printf(ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f", ms); }

// Columns on a terminal: UTF-8 continuation bytes take none.
size_t DisplayWidth(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

std::string Cut(const std::string& s, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && columns++ == width) return s.substr(0, i);
  }
  return s;
}

std::string Pad(const std::string& s, size_t width, bool right_align) {
  const size_t w = DisplayWidth(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right_align ? fill + s : s + fill;
}

void TrimRight(std::string* s) {
  while (!s->empty() && s->back() == ' ') s->pop_back();
}

// Rows of cells in aligned columns, two spaces apart: the first column left-aligned (names), the
// others right-aligned (numbers).
void AddColumns(const std::vector<std::vector<std::string>>& rows, std::vector<std::string>* out) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      line += Pad(row[i], widths[i], i > 0);
    }
    TrimRight(&line);
    out->push_back(std::move(line));
  }
}

// Short cells (a table and its version) packed as many to a line as `width` holds.
void AddPacked(const std::vector<std::string>& cells, size_t width, std::vector<std::string>* out) {
  constexpr size_t kIndent = 2;
  size_t cell_width = 0;
  for (const std::string& c : cells) cell_width = std::max(cell_width, DisplayWidth(c) + 2);
  const size_t per_line =
      std::max<size_t>(1, (width - std::min(width, kIndent)) / std::max<size_t>(cell_width, 1));
  for (size_t i = 0; i < cells.size(); i += per_line) {
    std::string line(kIndent, ' ');
    for (size_t j = i; j < std::min(cells.size(), i + per_line); ++j) {
      line += Pad(cells[j], cell_width, false);
    }
    TrimRight(&line);
    out->push_back(std::move(line));
  }
}

// The processor's lag per "stream/shard".
std::map<std::string, double> LagByShard(const json& processor) {
  std::map<std::string, double> lag;
  for (const json& s : Arr(processor, "shards")) {
    lag[Str(s, "stream") + "/" + Str(s, "shard_id")] = Num(s, "millis_behind");
  }
  return lag;
}

void AddBroker(const TopSource& broker, const TopSource& processor, size_t width,
               std::vector<std::string>* out) {
  const json& b = broker.status;
  const json& streams = Arr(b, "streams");
  size_t shards = 0, open = 0;
  for (const json& s : streams) {
    for (const json& shard : Arr(s, "shards")) {
      ++shards;
      if (Field(shard, "open") == true) ++open;
    }
  }
  out->push_back("BROKER  " + broker.url + "  streams " + std::to_string(streams.size()) +
                 "  shards " + std::to_string(open) + " open" +
                 (shards > open ? ", " + std::to_string(shards - open) + " closed" : "") +
                 "  store " + FormatTopBytes(Num(b, "store_bytes")));
  const bool with_lag = !processor.url.empty();
  const std::map<std::string, double> lags = LagByShard(processor.status);
  std::vector<std::vector<std::string>> rows;
  rows.push_back(
      {"STREAM / SHARD", "SHARDS", "IN REC/S", "OUT REC/S", "IN BYTES/S", "ITER AGE", "RETAINED"});
  if (with_lag) rows.back().push_back("LAG");
  for (const json& s : streams) {
    const std::string name = Str(s, "name");
    double in_bytes = 0, age = 0, retained = 0, lag = -1;
    std::vector<std::vector<std::string>> shard_rows;
    for (const json& shard : Arr(s, "shards")) {
      const std::string id = Str(shard, "shard_id");
      in_bytes += Num(shard, "incoming_bytes_per_s");
      age = std::max(age, Num(shard, "iterator_age_ms"));
      retained += Num(shard, "retained_records");
      shard_rows.push_back(
          {"  " + id, Field(shard, "open") == true ? "open" : "closed",
           Rate(Num(shard, "incoming_records_per_s")), Rate(Num(shard, "outgoing_records_per_s")),
           FormatTopBytes(Num(shard, "incoming_bytes_per_s")),
           FormatTopMillis(Num(shard, "iterator_age_ms")), Count(Num(shard, "retained_records"))});
      if (with_lag) {
        const auto found = lags.find(name + "/" + id);
        shard_rows.back().push_back(found == lags.end() ? "-" : FormatTopMillis(found->second));
        if (found != lags.end()) lag = std::max(lag, found->second);
      }
    }
    rows.push_back({name, std::to_string(Arr(s, "shards").size()),
                    Rate(Num(s, "incoming_records_per_s")), Rate(Num(s, "outgoing_records_per_s")),
                    FormatTopBytes(in_bytes), FormatTopMillis(age), Count(retained)});
    if (with_lag) rows.back().push_back(lag < 0 ? "-" : FormatTopMillis(lag));
    rows.insert(rows.end(), shard_rows.begin(), shard_rows.end());
  }
  AddColumns(rows, out);
  if (streams.empty()) out->push_back("  (no streams)");

  std::vector<std::string> cells;
  for (const json& r : Arr(b, "requests")) {
    double errors = 0;
    const json& by_type = Field(r, "errors");
    if (by_type.is_object()) {
      for (const auto& [type, n] : by_type.items()) errors += n.is_number() ? n.get<double>() : 0;
    }
    cells.push_back(Str(r, "transport") + ":" + Str(r, "action") + " " + Count(Num(r, "requests")) +
                    " p50 " + Latency(Num(r, "p50_ms")) + " p99 " + Latency(Num(r, "p99_ms")) +
                    " ms" + (errors > 0 ? " errors " + Count(errors) : ""));
  }
  if (!cells.empty()) {
    out->push_back("REQUESTS");
    AddPacked(cells, width, out);
  }
}

void AddProcessor(const TopSource& processor, size_t width, std::vector<std::string>* out) {
  const json& p = processor.status;
  std::string title = "PROCESSOR  " + processor.url + "  topology " + Str(p, "topology");
  if (Num(p, "started_ms") > 0 && Num(p, "time_ms") >= Num(p, "started_ms")) {
    title += "  up " + FormatTopMillis(Num(p, "time_ms") - Num(p, "started_ms"));
  }
  if (Num(p, "updated_ms") <= 0) title += "  (starting: no batch yet)";
  out->push_back(title);
  const json& last = Field(p, "last_batch");
  out->push_back("  in " + Rate(Num(p, "records_in_per_s")) + " rec/s   out " +
                 Rate(Num(p, "rows_out_per_s")) + " rows/s   lag " +
                 FormatTopMillis(Num(p, "millis_behind")) + "   batches " +
                 Count(Num(p, "batches")) + "   last batch " + Count(Num(last, "records")) +
                 " records in " + FormatTopMillis(1000 * Num(last, "seconds")) + " (commit " +
                 FormatTopMillis(1000 * Num(last, "commit_seconds")) + ")");
  const json& state = Field(p, "state");
  out->push_back("  dead letters " + Count(Num(p, "dead_letters")) + "   data-loss gaps " +
                 Count(Num(p, "data_loss_gaps")) + "   records in " + Count(Num(p, "records_in")) +
                 "   rows out " + Count(Num(p, "rows_out")) + "   state " +
                 Count(Num(state, "keys")) + " keys " + FormatTopBytes(Num(state, "bytes")) +
                 "   data " + FormatTopBytes(Num(p, "data_bytes")));
  std::string failing;
  for (const json& op : Arr(p, "operators")) {
    if (Num(op, "failed") > 0) {
      failing += (failing.empty() ? "" : ", ") + Str(op, "name") + " " + Count(Num(op, "failed"));
    }
  }
  if (!failing.empty()) out->push_back("  failing operators: " + failing);

  std::vector<std::string> cells;
  for (const json& t : Arr(p, "tables")) {
    cells.push_back(Str(t, "name") + " v" + Count(Num(t, "version")));
  }
  out->push_back("TABLES");
  if (cells.empty()) out->push_back("  (none yet)");
  AddPacked(cells, width, out);
}

bool Up(const TopSource& s) { return s.status.is_object(); }

}  // namespace

std::string FormatTopMillis(double ms) {
  if (!(ms > 0)) return "0 ms";
  if (ms < 10) return Printf("%.1f ms", ms);  // a commit takes a fraction of one
  if (ms < 1000) return Printf("%.0f ms", ms);
  if (ms < 60'000) return Printf("%.1f s", ms / 1000);
  const auto seconds = static_cast<long long>(ms / 1000);
  char buf[48];
  if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", seconds / 60, seconds % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", seconds / 3600, seconds / 60 % 60);
  }
  return buf;
}

std::string FormatTopBytes(double bytes) {
  if (!(bytes >= 1024)) return Printf("%.0f B", std::max(bytes, 0.0));
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  size_t unit = 0;
  bytes /= 1024;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  return Printf("%.1f ", bytes) + kUnits[unit];
}

std::vector<std::string> RenderTopFrame(const TopSource& broker, const TopSource& processor,
                                        const TopFrameOptions& options) {
  const size_t width = options.width > 0 ? options.width : kPlainWidth;
  std::vector<std::string> lines;
  std::string header = "pinstream top  " + FormatIso8601(options.now_ms / 1000 * 1000) +
                       "  broker " + broker.url + (Up(broker) ? " ok" : " DOWN");
  if (!processor.url.empty()) {
    header += "  processor " + processor.url + (Up(processor) ? " ok" : " DOWN");
  }
  if (options.show_keys) header += "  (q quits)";
  lines.push_back(std::move(header));
  lines.emplace_back();
  if (Up(broker)) {
    AddBroker(broker, processor, width, &lines);
  } else {
    lines.push_back("BROKER  " + broker.url + "  DOWN  " + broker.error);
  }
  if (!processor.url.empty()) {
    lines.emplace_back();
    if (Up(processor)) {
      AddProcessor(processor, width, &lines);
    } else {
      lines.push_back("PROCESSOR  " + processor.url + "  DOWN  " + processor.error);
    }
  }
  if (options.width > 0) {
    for (std::string& line : lines) line = Cut(line, options.width);
  }
  return lines;
}

}  // namespace pinstream
