// ProcessorStore's retention (sinks/retention.h): the automatic pass SetRetention turns on,
// Vacuum by hand, and the compactions that return the space to the disk.
#include "sinks/retention.h"

#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/rocksdb_status.h"
#include "sinks/processor_store.h"

namespace pinstream {

namespace {

constexpr char kRetentionPrefix[] = "retention/";
// An automatic pass compacts what it emptied once this much has accumulated: compacting a
// range rewrites what is left in it, which is not worth it for a few deleted versions (RocksDB's
// own compactions drop those as they pass).
constexpr int64_t kCompactAfterBytes = int64_t{32} << 20;
constexpr int64_t kDefaultHistoryMs = RetentionPolicy().history_ms;
constexpr int64_t kMinCheckIntervalMs = 1000;

std::string RetentionKey(std::string_view topology) {
  return std::string(kRetentionPrefix) + std::string(topology);
}

}  // namespace

nlohmann::json RetentionToJson(const RetentionPolicy& policy) {
  return {{"history_ms", policy.history_ms},
          {"rewind_ms", policy.rewind_ms},
          {"check_interval_ms", policy.check_interval_ms}};
}

Result<RetentionPolicy> RetentionFromJson(const nlohmann::json& j) {
  RetentionPolicy policy;
  try {
    policy.history_ms = j.at("history_ms").get<int64_t>();
    policy.rewind_ms = j.at("rewind_ms").get<int64_t>();
    policy.check_interval_ms = j.value("check_interval_ms", policy.check_interval_ms);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed retention policy: ") + e.what());
  }
  return policy;
}

nlohmann::ordered_json VacuumReport::SummaryJson(bool dry_run) const {
  nlohmann::ordered_json j;
  j["dry_run"] = dry_run;
  j["bytes_removed"] = bytes_removed;
  j["sst_bytes_before"] = sst_bytes_before;
  j["sst_bytes_after"] = sst_bytes_after;
  j["live_bytes_before"] = live_bytes_before;
  j["live_bytes_after"] = live_bytes_after;
  return j;
}

Status ProcessorStore::SetRetention(std::string_view topology, const RetentionPolicy& policy) {
  RETURN_IF_ERROR(AwaitCommits());
  RETURN_IF_ERROR(CheckWritable());
  if (policy.history_ms <= 0 || policy.rewind_ms <= 0 || policy.check_interval_ms <= 0) {
    return Status::InvalidArgument("retention durations must be positive");
  }
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(
      FromRocks(batch.Put(meta_, RetentionKey(topology), RetentionToJson(policy).dump()),
                "recording the retention of topology '" + std::string(topology) + "'"));
  RETURN_IF_ERROR(
      Write("recording the retention of topology '" + std::string(topology) + "'", &batch));
  retention_[std::string(topology)] = policy;
  return Status::OK();
}

Result<std::optional<RetentionPolicy>> ProcessorStore::RecordedRetention(
    std::string_view topology) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, RetentionKey(topology), &value);
  if (s.IsNotFound()) return std::optional<RetentionPolicy>();
  RETURN_IF_ERROR(
      FromRocks(s, "reading the retention of topology '" + std::string(topology) + "'"));
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded()) return Status::Corruption("malformed retention policy");
  ASSIGN_OR_RETURN(RetentionPolicy policy, RetentionFromJson(j));
  return std::optional<RetentionPolicy>(policy);
}

// Runs on the thread that writes the commits, after a commit of `topology` was written.
// `now` is the batch's commit time: the clock as the processor's thread read it.
Status ProcessorStore::MaybeApplyRetention(std::string_view topology, const RetentionPolicy& policy,
                                           const std::vector<std::string>& tables, int64_t now) {
  const int64_t interval = std::max(
      kMinCheckIntervalMs,
      std::min(policy.check_interval_ms, std::min(policy.history_ms, policy.rewind_ms) / 10));
  auto ran = retention_ran_ms_.find(topology);
  if (ran != retention_ran_ms_.end() && now - ran->second < interval) return Status::OK();
  retention_ran_ms_[std::string(topology)] = now;
  retention_passes_.fetch_add(1, std::memory_order_relaxed);

  rocksdb::WriteBatch batch;
  std::vector<KeyRange> ranges;
  int64_t bytes = 0;
  for (const auto& name : tables) {
    Table* table = tables_->Find(name);
    if (!table) continue;
    ASSIGN_OR_RETURN(VacuumStats stats, table->StageVacuum(now - policy.history_ms,
                                                           /*dry_run=*/false, &batch));
    bytes += stats.bytes_removed;
    for (auto& [begin, end] : stats.row_ranges) ranges.push_back({rows_, begin, end});
  }
  ASSIGN_OR_RETURN(BatchTrimStats trim, batch_log_->StageTrim(topology, now - policy.rewind_ms,
                                                              /*dry_run=*/false, &batch));
  bytes += trim.bytes_removed;
  if (trim.oldest_batch > trim.oldest_batch_before) {
    ranges.push_back(
        {meta_, BatchLog::BatchKey(topology, 0), BatchLog::BatchKey(topology, trim.oldest_batch)});
    ranges.push_back({meta_, BatchLog::UndoKey(topology, 0),
                      BatchLog::UndoKey(topology, trim.oldest_batch + 1)});
  }
  if (batch.Count() == 0) return Status::OK();
  RETURN_IF_ERROR(
      Write("applying the retention of topology '" + std::string(topology) + "'", &batch));
  spdlog::debug("retention applied topology={} bytes_removed={} oldest_batch={}", topology, bytes,
                trim.oldest_batch);
  // The emptied ranges accumulate until compacting them is worth it.
  for (auto& r : ranges) {
    auto& [begin, end] = uncompacted_[r.cf];
    if (begin.empty() || r.begin < begin) begin = r.begin;
    if (end.empty() || r.end > end) end = r.end;
  }
  uncompacted_bytes_ += bytes;
  if (uncompacted_bytes_ >= kCompactAfterBytes) ScheduleCompaction();
  return Status::OK();
}

// Compacts the accumulated ranges on a thread of its own, unless the last compaction still
// runs (the ranges then wait for the next pass).
void ProcessorStore::ScheduleCompaction() {
  if (compaction_.valid() &&
      compaction_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return;
  }
  std::vector<KeyRange> ranges;
  for (auto& [cf, range] : uncompacted_) ranges.push_back({cf, range.first, range.second});
  uncompacted_.clear();
  uncompacted_bytes_ = 0;
  compaction_ = std::async(std::launch::async, [this, ranges = std::move(ranges)] {
    pthread_setname_np(pthread_self(), "retention");
    if (Status st = CompactRanges(ranges); !st.ok()) {
      spdlog::warn("compaction after retention failed error={}", st.ToString());
    }
  });
}

Status ProcessorStore::CompactRanges(const std::vector<KeyRange>& ranges) {
  rocksdb::CompactRangeOptions options;
  // Rewrite the bottom level too: that is where old versions sit, and where a range tombstone
  // only frees space once the files under it are rewritten.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  options.canceled = &cancel_compaction_;
  for (const auto& r : ranges) {
    rocksdb::Slice begin(r.begin), end(r.end);
    auto s = db_->CompactRange(options, r.cf, r.begin.empty() ? nullptr : &begin,
                               r.end.empty() ? nullptr : &end);
    if (s.IsIncomplete() && cancel_compaction_.load()) return Status::OK();  // the store closes
    RETURN_IF_ERROR(FromRocks(s, "compacting after retention"));
  }
  return Status::OK();
}

void ProcessorStore::StoreSizes(uint64_t* sst, uint64_t* live) const {
  *sst = *live = 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) *sst += v;
    if (db_->GetIntProperty(h, "rocksdb.estimate-live-data-size", &v)) *live += v;
  }
}

Result<VacuumReport> ProcessorStore::Vacuum(const VacuumOptions& options) {
  if (!options.dry_run) {
    RETURN_IF_ERROR(AwaitCommits());
    RETURN_IF_ERROR(CheckWritable());
  }
  const int64_t now = options_.clock->NowMillis();
  // Each topology's policy, and the tables it writes (its newest batch names them).
  std::map<std::string, RetentionPolicy> policies;
  std::map<std::string, int64_t> history_of;  // table -> the shortest history_retention
  ASSIGN_OR_RETURN(std::vector<BatchRecord> newest, ListOffsets());
  for (const auto& record : newest) {
    ASSIGN_OR_RETURN(std::optional<RetentionPolicy> recorded, RecordedRetention(record.topology));
    const RetentionPolicy policy = recorded.value_or(RetentionPolicy());
    policies[record.topology] = policy;
    for (const auto& [name, _] : record.tables) {
      auto [it, added] = history_of.emplace(name, policy.history_ms);
      if (!added) it->second = std::min(it->second, policy.history_ms);
    }
  }
  std::vector<Table*> tables;
  if (options.tables.empty()) {
    tables = tables_->List();
  } else {
    for (const auto& name : options.tables) {
      Table* table = tables_->Find(name);
      if (!table) return Status::ResourceNotFound("table '" + name + "' not found");
      tables.push_back(table);
    }
  }

  VacuumReport report;
  if (!options.dry_run) {
    // Measure what is on the disk: rows still in the memtables would count after, not before.
    RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions(), handles_), "flushing"));
  }
  StoreSizes(&report.sst_bytes_before, &report.live_bytes_before);
  std::vector<KeyRange> ranges;
  for (Table* table : tables) {
    const std::string& name = table->spec().name;
    int64_t keep_ms = kDefaultHistoryMs;
    if (options.retain_ms) {
      keep_ms = *options.retain_ms;
    } else if (auto it = history_of.find(name); it != history_of.end()) {
      keep_ms = it->second;
    }
    // One write per table: a table's deletes are mostly range deletes, one per key at most.
    rocksdb::WriteBatch batch;
    ASSIGN_OR_RETURN(VacuumStats stats, table->StageVacuum(now - keep_ms, options.dry_run, &batch));
    if (batch.Count() > 0) {
      RETURN_IF_ERROR(Write("vacuuming table '" + name + "'", &batch));
    }
    report.bytes_removed += stats.bytes_removed;
    for (auto& [begin, end] : stats.row_ranges) ranges.push_back({rows_, begin, end});
    report.tables.push_back(std::move(stats));
  }
  if (options.tables.empty()) {
    for (const auto& [topology, policy] : policies) {
      rocksdb::WriteBatch batch;
      ASSIGN_OR_RETURN(BatchTrimStats trim, batch_log_->StageTrim(topology, now - policy.rewind_ms,
                                                                  options.dry_run, &batch));
      if (batch.Count() > 0) {
        RETURN_IF_ERROR(Write("trimming the batches of topology '" + topology + "'", &batch));
      }
      report.bytes_removed += trim.bytes_removed;
      report.topologies.push_back(std::move(trim));
    }
  }
  if (!options.dry_run && options.compact && report.bytes_removed > 0) {
    ranges.push_back({meta_, "", ""});  // commit logs, batch records, undo logs: all small keys
    RETURN_IF_ERROR(CompactRanges(ranges));
  }
  StoreSizes(&report.sst_bytes_after, &report.live_bytes_after);
  return report;
}

}  // namespace pinstream
