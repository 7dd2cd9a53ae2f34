#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/value.h"
#include "operators/commit_store.h"

namespace pinstream {

class TableStore;

inline constexpr char kBatchRunsTable[] = "batch_runs";

// One attempt of a batch job's run, a row of the `batch_runs` table (append). A succeeded run's
// row commits with the run's rows and state, in the same write: a date is done exactly when its
// data is in the tables. A failed attempt's row commits alone, after its run was dropped.
struct BatchRun {
  std::string topology;
  std::optional<std::string> date;  // "YYYY-MM-DD"; none for a run over every object not read
  std::string status;               // kSucceeded, kFailed or kNoData
  int64_t attempt = 1;              // 1, then 2, ... for the retries of a failed run
  int64_t objects = 0;              // data objects read
  int64_t records = 0;
  int64_t rows = 0;  // written to the topology's tables
  double seconds = 0;
  std::string error;  // why an attempt failed; empty otherwise
  int64_t started_ms = 0;
  std::vector<std::string> object_keys;  // the data objects read, in reading order

  static constexpr char kSucceeded[] = "succeeded";
  static constexpr char kFailed[] = "failed";
  static constexpr char kNoData[] = "no_data";  // nothing archived for it (yet): not done
  static constexpr char kSkipped[] =
      "skipped";  // done before; BatchJob::Run's answer, not recorded

  Row ToRow() const;
  static Result<BatchRun> FromRow(const Row& row);
  // {"topology","date","status","attempt","objects","records","rows","seconds","error",
  //  "started"} as `batch history` prints it (object keys in the tables' history, not here).
  std::string ToJson() const;
};

TableDef BatchRunsTableDef();

// The attempts of every run recorded in `tables`, oldest first; none when there is no
// `batch_runs` table yet.
Result<std::vector<BatchRun>> LoadBatchRuns(const TableStore& tables);

// What earlier runs of `topology` did, for a new one to skip.
struct BatchDone {
  std::set<std::string> dates;        // succeeded
  std::set<std::string> object_keys;  // read by a succeeded run
};
BatchDone DoneRuns(const std::vector<BatchRun>& runs, const std::string& topology);

}  // namespace pinstream
