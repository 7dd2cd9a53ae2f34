#include "batch/batch_history.h"

#include <nlohmann/json.hpp>

#include "common/json_dump.h"
#include "common/time_format.h"
#include "sinks/table_store.h"

namespace pinstream {

TableDef BatchRunsTableDef() {
  return TableDef{kBatchRunsTable,
                  Schema({{"topology", Type::kString, Type::kNull, false},
                          {"date", Type::kString, Type::kNull, true},
                          {"status", Type::kString, Type::kNull, false},
                          {"attempt", Type::kInt, Type::kNull, false},
                          {"objects", Type::kInt, Type::kNull, false},
                          {"records", Type::kInt, Type::kNull, false},
                          {"rows", Type::kInt, Type::kNull, false},
                          {"seconds", Type::kDouble, Type::kNull, false},
                          {"error", Type::kString, Type::kNull, true},
                          {"started", Type::kTimestamp, Type::kNull, false},
                          {"object_keys", Type::kArray, Type::kString, false}}),
                  {}};
}

Row BatchRun::ToRow() const {
  Value::Array keys;
  keys.reserve(object_keys.size());
  for (const std::string& k : object_keys) keys.push_back(Value::String(k));
  return Row{Value::String(topology),
             date ? Value::String(*date) : Value(),
             Value::String(status),
             Value::Int(attempt),
             Value::Int(objects),
             Value::Int(records),
             Value::Int(rows),
             Value::Double(seconds),
             error.empty() ? Value() : Value::String(error),
             Value::TimestampMs(started_ms),
             Value::MakeArray(std::move(keys))};
}

Result<BatchRun> BatchRun::FromRow(const Row& row) {
  // The table checks rows against its schema on the way in; checked again here, so that a row
  // of another shape is an error rather than a bad variant access.
  const Schema schema = BatchRunsTableDef().schema;
  bool fits = row.size() == schema.size();
  for (size_t i = 0; fits && i < row.size(); ++i) {
    const Column& c = schema.columns()[i];
    fits = row[i].type() == c.type || (row[i].is_null() && c.nullable);
  }
  for (size_t i = 0; fits && i < row[10].as_array().size(); ++i) {
    fits = row[10].as_array()[i].type() == Type::kString;
  }
  if (!fits) return Status::Corruption("a batch_runs row that does not fit its schema");
  BatchRun run;
  run.topology = row[0].as_string();
  if (!row[1].is_null()) run.date = row[1].as_string();
  run.status = row[2].as_string();
  run.attempt = row[3].as_int();
  run.objects = row[4].as_int();
  run.records = row[5].as_int();
  run.rows = row[6].as_int();
  run.seconds = row[7].as_double();
  if (!row[8].is_null()) run.error = row[8].as_string();
  run.started_ms = row[9].as_timestamp_ms();
  for (const Value& k : row[10].as_array()) run.object_keys.push_back(k.as_string());
  return run;
}

std::string BatchRun::ToJson() const {
  nlohmann::ordered_json j;
  j["topology"] = topology;
  j["date"] = date ? nlohmann::ordered_json(*date) : nlohmann::ordered_json();
  j["status"] = status;
  j["attempt"] = attempt;
  j["objects"] = objects;
  j["records"] = records;
  j["rows"] = rows;
  j["seconds"] = seconds;
  j["error"] = error.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(error);
  j["started"] = FormatIso8601(started_ms);
  return DumpJson(j);
}

Result<std::vector<BatchRun>> LoadBatchRuns(const TableStore& tables) {
  std::vector<BatchRun> runs;
  const Table* table = tables.Find(kBatchRunsTable);
  if (table == nullptr) return runs;
  RETURN_IF_ERROR(table->Scan(std::nullopt, [&](const Row& row) -> Status {
    ASSIGN_OR_RETURN(BatchRun run, BatchRun::FromRow(row));
    runs.push_back(std::move(run));
    return Status::OK();
  }));
  return runs;
}

BatchDone DoneRuns(const std::vector<BatchRun>& runs, const std::string& topology) {
  BatchDone done;
  for (const BatchRun& run : runs) {
    if (run.topology != topology || run.status != BatchRun::kSucceeded) continue;
    if (run.date) done.dates.insert(*run.date);
    done.object_keys.insert(run.object_keys.begin(), run.object_keys.end());
  }
  return done;
}

}  // namespace pinstream
