#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "archive/archive_layout.h"
#include "archive/object_store.h"
#include "batch/batch_history.h"
#include "common/clock.h"
#include "common/result.h"
#include "operators/topology.h"

namespace pinstream {

class ProcessorStore;
class TableWriter;

// The original's daily batch (a Spark notebook over the S3 sink connector's objects, run by
// Airflow): a topology's operators over archived objects, each source reading the archive's
// topic of its stream name (ArchiveSource), through the processor as a bounded run.
//
// One run is one commit: every table the run writes gets one version (operation "BATCH", its
// date and the objects it read in operation_parameters), with its operator state and its
// `batch_runs` row, in one write; a failed or stopped run commits nothing of its data.
//
// A run covers one arrival day (the objects under dt=<date>/, as `archive --partition-by-day`
// lays them out) or, without a date, every object not read by an earlier run, as Spark's file
// source reads new files only. Runs are idempotent: a date that succeeded is not run again, an
// object that a run read is not read again. Dates carry operator state from one to the next
// (a join or dedup across midnight), so a range runs oldest first and stops at a date that
// fails.
//
// Owns the processor store at `data` (one writer at a time, like `run`). Not thread-safe.
class BatchJob {
 public:
  struct Options {
    std::string input;  // the archive: a directory or s3://bucket/prefix
    S3Options s3;
    std::string data;  // the processor store
    int retries = 0;   // attempts after a failed one
    // Before the first retry; doubled before each next one (Airflow's exponential backoff).
    int64_t retry_delay_ms = 60'000;
    Clock* clock = Clock::Real();
    // The store writes a run's rows and operator state as they come, rows in writes of about
    // this many bytes, state once this many keys are staged (ProcessorStore::Options::
    // rows_ahead_bytes, state_ahead_keys); tests make them small.
    size_t rows_ahead_bytes = size_t{4} << 20;
    size_t state_ahead_keys = size_t{1} << 14;
  };

  static Result<std::unique_ptr<BatchJob>> Open(std::shared_ptr<const Topology> topology,
                                                Options options);
  ~BatchJob();

  // Runs `date` ("YYYY-MM-DD"), or without one every object not read yet, with the retries.
  // Returns the run's last attempt: succeeded, failed, no_data (nothing archived for it), or
  // skipped (done before; not recorded). An error only when the store itself fails.
  Result<BatchRun> Run(const std::optional<std::string>& date, std::stop_token stop);

  // The recorded attempts of every run, oldest first.
  Result<std::vector<BatchRun>> History() const;

 private:
  BatchJob(std::shared_ptr<const Topology> topology, Options options);
  // One attempt: chooses the objects, runs the processor over them, records the outcome.
  Result<BatchRun> Attempt(const std::optional<std::string>& date, int attempt,
                           std::stop_token stop);
  // The data objects the run reads, per topology source.
  Result<std::vector<std::vector<ArchiveObject>>> ChooseObjects(
      const std::optional<std::string>& date, const BatchDone& done, BatchRun* run);
  // Commits `run`'s row alone (a failed attempt, or one with nothing to read).
  Status RecordAlone(const BatchRun& run);

  std::shared_ptr<const Topology> topology_;
  Options options_;
  std::unique_ptr<ObjectStore> input_;           // lists the objects
  std::unique_ptr<ObjectStore> prefetch_input_;  // reads them, on a run's prefetcher thread
  std::unique_ptr<ProcessorStore> store_;
  TableWriter* runs_ = nullptr;
};

// "YYYY-MM-DD" of `epoch_ms` (UTC).
std::string DateOf(int64_t epoch_ms);
// The dates from `from` to `to`, both included; InvalidArgument for a malformed date or an
// empty range.
Result<std::vector<std::string>> DateRange(const std::string& from, const std::string& to);

}  // namespace pinstream
