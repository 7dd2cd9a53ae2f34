// aggregate: a keyed aggregate over the whole stream (no windows), Spark's
// groupBy(...).agg(...) in update output mode: at the end of every micro-batch it emits one row
// per group that the batch changed, with the group's current results, for a keyed table to
// upsert. {"group_by": ["country"], "aggregates": {"posts": "count"}}
//
// "ttl": "30d" bounds the state: a group that no row has updated for that long, judged by the
// rows' arrival times (ApproximateArrivalTimestamp), leaves the state; its last row stays in the
// table, and a later row of the group starts it afresh (Flink's state TTL, on arrival time so
// that a replay expires the same groups). Each group is then one window, [0, last arrival +
// ttl), in the end-time index that windows close by; a row arriving at or after its end resets
// it, and at batch ends the groups whose end the arrival-time watermark has reached are deleted
// (no row still to come could continue them).
#include <algorithm>

#include "operators/aggregation_config.h"
#include "operators/group_table.h"
#include "operators/operator_config.h"
#include "operators/stream_operator.h"
#include "operators/watermark.h"

namespace pinstream {

namespace {

constexpr int64_t kIdleTimeoutMs = 60'000;  // a silent shard stops holding expiry back

class AggregateOperator final : public StreamOperator {
 public:
  AggregateOperator(AggregationConfig config, int64_t ttl_ms)
      : config_(std::move(config)),
        ttl_ms_(ttl_ms),
        table_(&config_.functions, /*windowed=*/ttl_ms > 0, config_.cache_bytes),
        tracker_(0, kIdleTimeoutMs) {}

  void Bind(StateStore* state) override { table_.Bind(state); }
  bool stateful() const override { return true; }
  bool emits_updates() const override { return true; }
  void AddChannel(const Channel& channel) override { tracker_.AddChannel(channel); }

  Status Process(const RecordContext& ctx, Row&& row, Output&) override {
    key_.clear();
    GroupTable::EncodeGroupKey(row, config_.group_columns, &key_);
    ASSIGN_OR_RETURN(GroupTable::Group * group, table_.Find(key_));
    if (ttl_ms_ == 0) {
      if (group->windows.empty()) table_.AddWindow(group, 0, 0, 0);
    } else {
      // The watermark only ever deletes groups that this check would reset anyway, so where
      // batches end (and restarts, which start the watermark afresh) changes no result.
      tracker_.Observe(ctx.channel, ctx.arrival_ms);
      int64_t expiry;
      if (__builtin_add_overflow(ctx.arrival_ms, ttl_ms_, &expiry)) expiry = INT64_MAX;
      if (!group->windows.empty() && group->windows[0].end <= ctx.arrival_ms) {
        RETURN_IF_ERROR(table_.RemoveWindow(group, 0));
      }
      if (group->windows.empty()) {
        table_.AddWindow(group, 0, 0, expiry);
      } else {
        group->windows[0].end = std::max(group->windows[0].end, expiry);
      }
    }
    table_.Add(group, 0, row);
    return Status::OK();
  }

  Status Flush(const BatchContext& ctx, Output& out) override {
    for (const auto& [group, window] : table_.TakeUpdated()) {
      Row row;
      AppendAggregateRow(*group, *window, &row);
      RETURN_IF_ERROR(out.Emit(std::move(row)));
    }
    RETURN_IF_ERROR(table_.WriteBack());
    if (ttl_ms_ > 0) {
      tracker_.Tick(ctx.now_ms);
      if (const int64_t watermark = tracker_.watermark(); watermark != WatermarkTracker::kNoTime) {
        RETURN_IF_ERROR(table_.CloseUntil(
            watermark, [](GroupTable::Group*, GroupTable::Window*) { return Status::OK(); }));
      }
    }
    table_.Evict();
    table_.NextBatch();
    return Status::OK();
  }

  StateStats state_stats() const override { return table_.stats(); }
  void DiscardCache() override { table_.Discard(); }

 private:
  AggregationConfig config_;
  int64_t ttl_ms_;  // 0: groups never expire
  GroupTable table_;
  WatermarkTracker tracker_;  // of arrival times, for expiry
  std::string key_;           // reused
};

std::unique_ptr<Operator> MakeAggregate(const OperatorArgs& a) {
  CheckKnownFields(a, {"group_by", "aggregates", "cache_mb", "ttl"});
  std::vector<Column> columns;
  auto config = ParseAggregation(a, &columns);
  auto ttl = DurationField(a, "ttl", 0);
  if (ttl && a.config.contains("ttl") && *ttl <= 0) {
    a.Error("ttl", "must be a positive duration");
    ttl.reset();
  }
  if (!config || !ttl) return nullptr;
  *a.output = Schema(std::move(columns));
  return std::make_unique<AggregateOperator>(std::move(*config), *ttl);
}

}  // namespace

void RegisterAggregateOperator(OperatorRegistry* r) { r->Register("aggregate", MakeAggregate); }

}  // namespace pinstream
