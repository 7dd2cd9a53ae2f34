#include "runtime/data_loss.h"

#include <string>

namespace pinstream {

TableDef DataLossTableDef() {
  return TableDef{kDataLossTable,
                  Schema({{"topology", Type::kString, Type::kNull, false},
                          {"stream", Type::kString, Type::kNull, false},
                          {"shard_id", Type::kString, Type::kNull, false},
                          {"last_checkpoint", Type::kString, Type::kNull, false},
                          {"first_available", Type::kString, Type::kNull, true},
                          {"records_lost", Type::kInt, Type::kNull, true},
                          {"reason", Type::kString, Type::kNull, false},
                          {"detected", Type::kTimestamp, Type::kNull, false}}),
                  {}};
}

Row DataLossRow(std::string_view topology, const DataGap& gap, int64_t detected_ms) {
  return Row{Value::String(std::string(topology)),
             Value::String(gap.stream),
             Value::String(gap.shard_id),
             Value::String(gap.last_checkpoint),
             gap.first_available.empty() ? Value() : Value::String(gap.first_available),
             gap.records_lost ? Value::Int(*gap.records_lost) : Value(),
             Value::String(gap.reason),
             Value::TimestampMs(detected_ms)};
}

Status DataLossError(std::string_view topology, const DataGap& gap) {
  std::string msg = "topology '" + std::string(topology) + "' lost records of stream '" +
                    gap.stream + "' shard " + gap.shard_id + ": " + gap.reason +
                    ". Checkpoint: after " + gap.last_checkpoint + "; ";
  msg += gap.first_available.empty() ? "what is still available is the stream's "
                                       "records from its source's start position"
                                     : "the first record still available: " + gap.first_available;
  if (gap.records_lost) msg += " (" + std::to_string(*gap.records_lost) + " records lost)";
  msg +=
      ". To go on from the earliest record available and record the gap in the 'data_loss' "
      "table, set \"on_data_loss\": \"continue\" in the topology (or its source); or move the "
      "offsets with `pinstream offsets reset`";
  return Status::DataLoss(msg);
}

}  // namespace pinstream
