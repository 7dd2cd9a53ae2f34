// window: a windowed, keyed aggregate over event time (a timestamp column) or arrival time,
// with watermarks, allowed lateness, a late-data table and final or update emission:
//   {"op": "window", "time": "timestamp", "tumbling": "1m", "max_delay": "5s",
//    "allowed_lateness": "10s", "group_by": ["country"], "aggregates": {"posts": "count"},
//    "emit": "final", "late": "late_posts"}
// A window [start, end) closes when the watermark reaches end + allowed_lateness: "final" emits
// it then (append), "update" emits every window a batch changed at the batch's end (upsert by
// window_start, window_end and the group columns). A record whose windows are all closed is
// late: it goes to the `late` table with the reason, or to the dead letters without one.
#include <algorithm>
#include <limits>

#include "common/time_format.h"
#include "operators/aggregation_config.h"
#include "operators/group_table.h"
#include "operators/operator_config.h"
#include "operators/stream_operator.h"
#include "operators/watermark.h"
#include "operators/window_assigner.h"

namespace pinstream {

namespace {

constexpr char kArrivalTime[] = "ApproximateArrivalTimestamp";
constexpr char kWatermarkKey[] = "w";
constexpr int64_t kDefaultIdleTimeoutMs = 60'000;

struct WindowOptions {
  WindowSpec spec;
  int time_column = -1;  // -1: the record's arrival time
  std::string time_name;
  int64_t max_delay_ms = 0;
  int64_t allowed_lateness_ms = 0;
  int64_t idle_timeout_ms = kDefaultIdleTimeoutMs;
  bool update = false;
  bool late_table = false;
};

// a - b, clamped to the int64 range.
int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::min() : INT64_MAX;
  return r;
}

class WindowOperator final : public StreamOperator {
 public:
  WindowOperator(WindowOptions options, AggregationConfig config)
      : options_(std::move(options)),
        config_(std::move(config)),
        table_(&config_.functions, /*windowed=*/true, config_.cache_bytes),
        tracker_(options_.max_delay_ms, options_.idle_timeout_ms) {}

  void Bind(StateStore* state) override {
    state_ = state;
    table_.Bind(state);
  }
  bool stateful() const override { return true; }
  bool emits_updates() const override { return options_.update; }
  void AddChannel(const Channel& channel) override {
    declared_channels_.push_back(channel);
    tracker_.AddChannel(channel);
  }

  Status Process(const RecordContext& ctx, Row&& row, Output& out) override {
    RETURN_IF_ERROR(Open());
    int64_t t = ctx.arrival_ms;
    if (options_.time_column >= 0) {
      const Value& v = row[options_.time_column];
      if (v.is_null()) {
        return Status::InvalidArgument("column '" + options_.time_name +
                                       "' is null: a window needs the time of every record");
      }
      t = v.as_timestamp_ms();
    }
    const int64_t closed = ClosedUntil();  // windows ending at or before this are closed
    options_.spec.Assign(t, &windows_);
    bool any_open = false;
    for (const auto& w : windows_) any_open |= w.end > closed;
    const bool session = options_.spec.kind == WindowSpec::Kind::kSession;
    if (!any_open && !session) {
      tracker_.Observe(ctx.channel, t);
      return Late(std::move(row), t, out);
    }
    key_.clear();
    GroupTable::EncodeGroupKey(row, config_.group_columns, &key_);
    ASSIGN_OR_RETURN(GroupTable::Group * group, table_.Find(key_));
    if (session) {
      // A record whose own window has closed still counts when it joins an open session (as
      // Flink judges the merged window).
      if (!any_open && !JoinsOpenSession(*group, t, closed)) {
        tracker_.Observe(ctx.channel, t);
        return Late(std::move(row), t, out);
      }
      tracker_.Observe(ctx.channel, t);
      return AddToSession(group, t, closed, row);
    }
    tracker_.Observe(ctx.channel, t);
    for (const auto& w : windows_) {
      if (w.end <= closed) continue;  // a sliding window that closed; the others still count it
      size_t i = 0;
      while (i < group->windows.size() && group->windows[i].id != w.start) ++i;
      if (i == group->windows.size()) i = table_.AddWindow(group, w.start, w.start, w.end);
      table_.Add(group, i, row);
    }
    return Status::OK();
  }

  Status Flush(const BatchContext& ctx, Output& out) override {
    RETURN_IF_ERROR(Open());
    tracker_.Tick(ctx.now_ms);
    if (options_.update) {
      for (const auto& [group, window] : table_.TakeUpdated()) {
        RETURN_IF_ERROR(out.Emit(WindowRow(*group, *window)));
      }
    }
    RETURN_IF_ERROR(table_.WriteBack());
    const int64_t closed = ClosedUntil();
    if (closed != WatermarkTracker::kNoTime) {
      RETURN_IF_ERROR(table_.CloseUntil(closed, [&](GroupTable::Group* g, GroupTable::Window* w) {
        return options_.update ? Status::OK() : out.Emit(WindowRow(*g, *w));
      }));
    }
    encoded_.clear();
    tracker_.Encode(&encoded_);
    if (encoded_ != stored_watermark_) {
      RETURN_IF_ERROR(state_->Put(kWatermarkKey, encoded_));
      stored_watermark_.swap(encoded_);
    }
    table_.Evict();
    table_.NextBatch();
    return Status::OK();
  }

  StateStats state_stats() const override {
    StateStats s = table_.stats();
    if (!stored_watermark_.empty()) {
      s.keys += 1;
      s.bytes += 1 + stored_watermark_.size();
    }
    return s;
  }

  void DiscardCache() override {
    table_.Discard();
    opened_ = false;
  }

 private:
  Status Open() {
    if (opened_) return Status::OK();
    if (!state_) return Status::Internal("a window used without a state store");
    ASSIGN_OR_RETURN(auto saved, state_->Get(kWatermarkKey));
    WatermarkTracker fresh(options_.max_delay_ms, options_.idle_timeout_ms);
    stored_watermark_.clear();
    if (saved) {
      if (!fresh.Decode(*saved)) return Status::Corruption("malformed window watermark state");
      stored_watermark_ = *saved;
    }
    // Channels declared before the state was read keep holding the watermark back.
    for (const Channel& c : declared_channels_) fresh.AddChannel(c);
    tracker_ = std::move(fresh);
    opened_ = true;
    return Status::OK();
  }

  // Windows whose end is at or before this are closed: watermark - allowed lateness.
  int64_t ClosedUntil() const {
    const int64_t wm = tracker_.watermark();
    if (wm == WatermarkTracker::kNoTime) return WatermarkTracker::kNoTime;
    return SaturatingSub(wm, options_.allowed_lateness_ms);
  }

  bool JoinsOpenSession(const GroupTable::Group& group, int64_t t, int64_t closed) const {
    const int64_t end = t + options_.spec.gap;
    return std::any_of(group.windows.begin(), group.windows.end(),
                       [&](const auto& w) { return w.end > closed && w.start < end && t < w.end; });
  }

  // Session windows: the record's window [t, t + gap) merges with every open session of its
  // group that it overlaps (touching is not overlapping: an event exactly `gap` after the last
  // one starts a new session). Closed sessions awaiting their flush are left alone, so that
  // where batches end does not change which sessions merge.
  Status AddToSession(GroupTable::Group* group, int64_t t, int64_t closed, const Row& row) {
    const int64_t end = t + options_.spec.gap;
    size_t into = group->windows.size();
    for (size_t i = 0; i < group->windows.size();) {
      const auto& w = group->windows[i];
      if (w.end <= closed || !(w.start < end && t < w.end)) {
        ++i;
        continue;
      }
      if (into == group->windows.size()) {
        into = i++;
        continue;
      }
      // Fold session i into `into`, widening it; i < into never holds (into was found first).
      auto& target = group->windows[into];
      target.start = std::min(target.start, w.start);
      target.end = std::max(target.end, w.end);
      RETURN_IF_ERROR(table_.MergeWindows(group, into, i));
    }
    if (into == group->windows.size()) {
      into = table_.AddWindow(group, t, t, end);
    } else {
      auto& target = group->windows[into];
      target.start = std::min(target.start, t);
      target.end = std::max(target.end, end);
    }
    table_.Add(group, into, row);
    return Status::OK();
  }

  Status Late(Row&& row, int64_t t, Output& out) {
    const TimeWindow& last = windows_.back();  // the latest window the record falls in
    std::string reason = "event time " + FormatIso8601(t) + " is late: its window [" +
                         FormatIso8601(last.start) + ", " + FormatIso8601(last.end) +
                         ") closed when the watermark passed its end + allowed lateness " +
                         FormatDurationMillis(options_.allowed_lateness_ms) + " (watermark " +
                         FormatIso8601(tracker_.watermark()) + ")";
    if (!options_.late_table) return Status::InvalidArgument(reason);
    row.push_back(Value::TimestampMs(tracker_.watermark()));
    row.push_back(Value::String(std::move(reason)));
    return out.EmitSide(0, std::move(row));
  }

  Row WindowRow(const GroupTable::Group& g, const GroupTable::Window& w) const {
    Row row;
    row.reserve(2 + g.values.size() + w.aggs.size());
    row.push_back(Value::TimestampMs(w.start));
    row.push_back(Value::TimestampMs(w.end));
    AppendAggregateRow(g, w, &row);
    return row;
  }

  WindowOptions options_;
  AggregationConfig config_;
  GroupTable table_;
  WatermarkTracker tracker_;
  StateStore* state_ = nullptr;  // borrowed; outlives the operator
  bool opened_ = false;
  std::vector<Channel> declared_channels_;
  std::string stored_watermark_;     // the tracker's encoding as last staged
  std::string encoded_;              // reused
  std::string key_;                  // reused
  std::vector<TimeWindow> windows_;  // reused
};

std::unique_ptr<Operator> MakeWindow(const OperatorArgs& a) {
  CheckKnownFields(
      a, {"time", "tumbling", "sliding", "slide", "session", "max_delay", "allowed_lateness",
          "idle_timeout", "group_by", "aggregates", "emit", "late", "cache_mb"});
  WindowOptions o;
  bool ok = true;
  // The time: a timestamp column, or the records' arrival time.
  if (auto time = StringField(a, "time")) {
    o.time_name = *time;
    o.time_column = a.input.Find(*time);
    if (o.time_column < 0 && *time != kArrivalTime) {
      a.Error("time", "unknown column '" + *time + "' (or \"" + kArrivalTime +
                          "\" for the records' arrival time)");
      ok = false;
    } else if (o.time_column >= 0 && a.input.column(o.time_column).type != Type::kTimestamp) {
      a.Error("time", "'" + *time + "' is " + ColumnTypeName(a.input.column(o.time_column)) +
                          ", not a timestamp (convert it with to_timestamp)");
      ok = false;
    }
  } else {
    ok = false;
  }
  // The window kind: exactly one of tumbling, sliding (+ slide), session.
  int kinds = 0;
  for (const char* k : {"tumbling", "sliding", "session"}) kinds += a.config.contains(k) ? 1 : 0;
  if (kinds != 1) {
    a.Error("",
            "a window needs one of \"tumbling\": SIZE, \"sliding\": SIZE with \"slide\": "
            "STEP, or \"session\": GAP (durations such as \"1m\")");
    ok = false;
  }
  auto positive = [&](const char* field) -> int64_t {
    auto d = DurationField(a, field, 0);
    if (!d) {
      ok = false;
      return 0;
    }
    if (*d <= 0) {
      a.Error(field, "must be a positive duration");
      ok = false;
    }
    return *d;
  };
  if (a.config.contains("tumbling")) {
    o.spec.kind = WindowSpec::Kind::kTumbling;
    o.spec.size = positive("tumbling");
  } else if (a.config.contains("sliding")) {
    o.spec.kind = WindowSpec::Kind::kSliding;
    o.spec.size = positive("sliding");
    if (!a.config.contains("slide")) {
      a.Error("", "a sliding window needs \"slide\": how often a window starts");
      ok = false;
    } else {
      o.spec.slide = positive("slide");
      if (ok && o.spec.slide > o.spec.size) {
        a.Error("slide", "must not exceed the window size (windows would leave gaps)");
        ok = false;
      }
    }
  } else if (a.config.contains("session")) {
    o.spec.kind = WindowSpec::Kind::kSession;
    o.spec.gap = positive("session");
  }
  if (a.config.contains("slide") && !a.config.contains("sliding")) {
    a.Error("slide", "only a sliding window has a slide");
    ok = false;
  }
  auto duration = [&](const char* field, int64_t fallback) {
    auto d = DurationField(a, field, fallback);
    if (!d) ok = false;
    return d.value_or(fallback);
  };
  o.max_delay_ms = duration("max_delay", 0);
  o.allowed_lateness_ms = duration("allowed_lateness", 0);
  o.idle_timeout_ms = duration("idle_timeout", kDefaultIdleTimeoutMs);
  if (auto emit = OptionalStringField(a, "emit", "final")) {
    if (*emit == "update") {
      o.update = true;
    } else if (*emit != "final") {
      a.Error("emit",
              "must be \"final\" (a row per window when it closes) or \"update\" (the "
              "changed windows at the end of every batch)");
      ok = false;
    }
  } else {
    ok = false;
  }
  std::vector<Column> columns = {Column{"window_start", Type::kTimestamp, Type::kNull, false},
                                 Column{"window_end", Type::kTimestamp, Type::kNull, false}};
  auto config = ParseAggregation(a, &columns);
  if (!config) ok = false;
  if (a.config.contains("late")) {
    if (auto late = StringField(a, "late")) {
      if (*late == "dead_letters") {
        a.Error("late",
                "late records go to the dead letters anyway when no \"late\" table is "
                "named; name a table of their own");
        ok = false;
      }
      SideOutput side{"late", *late, a.input};
      for (const char* name : {"late_watermark", "late_reason"}) {
        if (a.input.Find(name) >= 0) {
          a.Error("late", std::string("the input already has a column '") + name +
                              "', which late rows add");
          ok = false;
        }
      }
      side.schema.Add(Column{"late_watermark", Type::kTimestamp, Type::kNull, false});
      side.schema.Add(Column{"late_reason", Type::kString, Type::kNull, false});
      if (ok) a.side_outputs->push_back(std::move(side));
      o.late_table = true;
    } else {
      ok = false;
    }
  }
  if (!ok) return nullptr;
  *a.output = Schema(std::move(columns));
  return std::make_unique<WindowOperator>(std::move(o), std::move(*config));
}

}  // namespace

void RegisterWindowOperator(OperatorRegistry* r) { r->Register("window", MakeWindow); }

}  // namespace pinstream
