#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "operators/commit_store.h"
#include "sinks/batch_log.h"
#include "sinks/table_store.h"

namespace pinstream {

// Retention of a processor store (ProcessorStore::Vacuum and the automatic pass that
// ProcessorStore::SetRetention turns on; the code is in sinks/retention.cc), as Delta Lake's
// log retention and VACUUM: a table keeps the versions of its history_retention (the one
// current at the cutoff included), a topology the batch records and undo logs of its
// rewind_retention. What goes is deleted with range deletes where the keys are contiguous, and
// the emptied ranges are compacted so that the space returns to the disk.

// A topology's policy as the store records it ("retention/<topology>" in `meta`), so that a
// `table vacuum` by hand applies what the topology said.
nlohmann::json RetentionToJson(const RetentionPolicy& policy);
Result<RetentionPolicy> RetentionFromJson(const nlohmann::json& j);

struct VacuumOptions {
  // How much table history to keep; default: the history_retention of the topology that
  // writes the table (the shortest, when several do), else 7 days.
  std::optional<int64_t> retain_ms;
  // Only these tables (then no batch records are trimmed); empty: every table, and every
  // topology's batch records and undo logs by its rewind_retention (else 24 hours).
  std::vector<std::string> tables;
  bool dry_run = false;  // report what would go, change nothing
  bool compact = true;   // compact the emptied ranges (without, the space returns later)
};

struct VacuumReport {
  std::vector<VacuumStats> tables;
  std::vector<BatchTrimStats> topologies;
  int64_t bytes_removed = 0;  // the sum of the estimates
  // RocksDB's "rocksdb.total-sst-files-size" and "rocksdb.estimate-live-data-size" summed over
  // the column families, before (after a flush) and after the vacuum and its compaction.
  uint64_t sst_bytes_before = 0;
  uint64_t sst_bytes_after = 0;
  uint64_t live_bytes_before = 0;
  uint64_t live_bytes_after = 0;

  // {"dry_run","bytes_removed","sst_bytes_before","sst_bytes_after","live_bytes_before",
  //  "live_bytes_after"}
  nlohmann::ordered_json SummaryJson(bool dry_run) const;
};

}  // namespace pinstream
