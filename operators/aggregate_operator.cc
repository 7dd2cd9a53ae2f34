// aggregate: a keyed aggregate over the whole stream (no windows), Spark's
// groupBy(...).agg(...) in update output mode: at the end of every micro-batch it emits one row
// per group that the batch changed, with the group's current results, for a keyed table to
// upsert. {"group_by": ["country"], "aggregates": {"posts": "count"}}
#include "operators/aggregation_config.h"
#include "operators/group_table.h"
#include "operators/operator_config.h"
#include "operators/stream_operator.h"

namespace pinstream {

namespace {

class AggregateOperator final : public StreamOperator {
 public:
  explicit AggregateOperator(AggregationConfig config)
      : config_(std::move(config)),
        table_(&config_.functions, /*windowed=*/false, config_.cache_bytes) {}

  void Bind(StateStore* state) override { table_.Bind(state); }
  bool stateful() const override { return true; }
  bool emits_updates() const override { return true; }

  Status Process(const RecordContext&, Row&& row, Output&) override {
    key_.clear();
    GroupTable::EncodeGroupKey(row, config_.group_columns, &key_);
    ASSIGN_OR_RETURN(GroupTable::Group * group, table_.Find(key_));
    if (group->windows.empty()) table_.AddWindow(group, 0, 0, 0);
    table_.Add(group, 0, row);
    return Status::OK();
  }

  Status Flush(const BatchContext&, Output& out) override {
    for (const auto& [group, window] : table_.TakeUpdated()) {
      Row row;
      AppendAggregateRow(*group, *window, &row);
      RETURN_IF_ERROR(out.Emit(std::move(row)));
    }
    RETURN_IF_ERROR(table_.WriteBack());
    table_.Evict();
    table_.NextBatch();
    return Status::OK();
  }

  StateStats state_stats() const override { return table_.stats(); }
  void DiscardCache() override { table_.Discard(); }

 private:
  AggregationConfig config_;
  GroupTable table_;
  std::string key_;  // reused
};

std::unique_ptr<Operator> MakeAggregate(const OperatorArgs& a) {
  CheckKnownFields(a, {"group_by", "aggregates", "cache_mb"});
  std::vector<Column> columns;
  auto config = ParseAggregation(a, &columns);
  if (!config) return nullptr;
  *a.output = Schema(std::move(columns));
  return std::make_unique<AggregateOperator>(std::move(*config));
}

}  // namespace

void RegisterAggregateOperator(OperatorRegistry* r) { r->Register("aggregate", MakeAggregate); }

}  // namespace pinstream
