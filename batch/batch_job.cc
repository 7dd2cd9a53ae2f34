#include "batch/batch_job.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "archive/archive_layout.h"
#include "batch/archive_source.h"
#include "common/json_dump.h"
#include "common/time_format.h"
#include "operators/graph.h"
#include "runtime/processor.h"
#include "sinks/processor_store.h"

namespace pinstream {

namespace {

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

}  // namespace

std::string DateOf(int64_t epoch_ms) { return FormatIso8601(epoch_ms).substr(0, 10); }

Result<std::vector<std::string>> DateRange(const std::string& from, const std::string& to) {
  auto day = [](const std::string& d) -> Result<int64_t> {
    auto ms = ParseTimestampMillis(d);
    if (d.size() != 10 || !ms.ok() || DateOf(*ms) != d) {
      return Status::InvalidArgument("'" + d + "' is not a date (YYYY-MM-DD)");
    }
    return *ms;
  };
  ASSIGN_OR_RETURN(int64_t first, day(from));
  ASSIGN_OR_RETURN(int64_t last, day(to));
  if (last < first) return Status::InvalidArgument("the range " + from + " .. " + to + " is empty");
  std::vector<std::string> dates;
  for (int64_t t = first; t <= last; t += kDayMs) dates.push_back(DateOf(t));
  return dates;
}

BatchJob::BatchJob(std::shared_ptr<const Topology> topology, Options options)
    : topology_(std::move(topology)), options_(std::move(options)) {}

BatchJob::~BatchJob() = default;

Result<std::unique_ptr<BatchJob>> BatchJob::Open(std::shared_ptr<const Topology> topology,
                                                 Options options) {
  std::unique_ptr<BatchJob> job(new BatchJob(std::move(topology), std::move(options)));
  ASSIGN_OR_RETURN(job->input_, OpenObjectStore(job->options_.input, job->options_.s3));
  ASSIGN_OR_RETURN(job->prefetch_input_, OpenObjectStore(job->options_.input, job->options_.s3));
  ProcessorStore::Options store;
  store.path = job->options_.data;
  store.clock = job->options_.clock;
  // A run is one commit of everything it read: its rows and state are written as they come,
  // so that only the last of them, offsets and versions are left for the commit.
  store.write_ahead = true;
  store.rows_ahead_bytes = job->options_.rows_ahead_bytes;
  store.state_ahead_keys = job->options_.state_ahead_keys;
  ASSIGN_OR_RETURN(job->store_, ProcessorStore::Open(store));
  ASSIGN_OR_RETURN(job->runs_, job->store_->OpenTable(BatchRunsTableDef()));
  return job;
}

Result<std::vector<BatchRun>> BatchJob::History() const { return LoadBatchRuns(*store_->tables()); }

Result<std::vector<std::vector<ArchiveObject>>> BatchJob::ChooseObjects(
    const std::optional<std::string>& date, const BatchDone& done, BatchRun* run) {
  std::vector<std::vector<ArchiveObject>> chosen;
  for (const Topology::Source& source : topology_->sources) {
    std::string prefix = TopicPrefix(source.stream);
    if (date) prefix += "dt=" + *date + "/";
    ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed, input_->List(prefix));
    std::vector<ArchiveObject> objects;
    for (const ObjectInfo& info : listed) {
      auto object = ParseArchiveKey(info.key);
      if (!object || object->headers || object->topic != source.stream) continue;
      if (done.object_keys.contains(info.key)) continue;
      run->object_keys.push_back(info.key);
      objects.push_back(std::move(*object));
    }
    chosen.push_back(std::move(objects));
  }
  run->objects = static_cast<int64_t>(run->object_keys.size());
  return chosen;
}

Status BatchJob::RecordAlone(const BatchRun& run) {
  RETURN_IF_ERROR(runs_->Write(run.ToRow()));
  nlohmann::ordered_json params;
  params["date"] = run.date ? nlohmann::ordered_json(*run.date) : nlohmann::ordered_json();
  params["status"] = run.status;
  store_->SetCommitInfo(CommitInfo{"BATCH", DumpJson(params)});
  ASSIGN_OR_RETURN(Checkpoint checkpoint, store_->LoadCheckpoint(topology_->name));
  RETURN_IF_ERROR(store_->Commit(topology_->name, checkpoint).status());
  return store_->AwaitCommits();
}

Result<BatchRun> BatchJob::Attempt(const std::optional<std::string>& date, int attempt,
                                   std::stop_token stop) {
  Clock* clock = options_.clock;
  BatchRun run;
  run.topology = topology_->name;
  run.date = date;
  run.attempt = attempt;
  run.started_ms = clock->NowMillis();
  auto seconds = [&] { return static_cast<double>(clock->NowMillis() - run.started_ms) / 1000.0; };
  ASSIGN_OR_RETURN(std::vector<BatchRun> history, History());
  auto objects = ChooseObjects(date, DoneRuns(history, topology_->name), &run);
  Status failed;
  if (!objects.ok()) {
    failed = objects.status();
  } else if (run.objects == 0) {
    run.status = BatchRun::kNoData;
    run.seconds = seconds();
    RETURN_IF_ERROR(RecordAlone(run));
    return run;
  } else {
    BuildErrors errors;
    std::unique_ptr<Graph> graph = Graph::Build(topology_, &errors);
    if (graph == nullptr) return Status::Internal("the topology no longer builds");
    // The objects are read on the prefetcher's thread, through a store of its own.
    ObjectPrefetcher prefetcher(prefetch_input_.get());
    std::vector<std::unique_ptr<Source>> sources;
    for (size_t s = 0; s < topology_->sources.size(); ++s) {
      sources.push_back(std::make_unique<ArchiveSource>(&prefetcher, topology_->sources[s].stream,
                                                        std::move((*objects)[s])));
    }
    nlohmann::ordered_json params;
    params["date"] = date ? nlohmann::ordered_json(*date) : nlohmann::ordered_json();
    params["objects"] = run.object_keys;
    Processor::Options options;
    options.once = true;
    options.single_batch = true;
    options.commit_info = CommitInfo{"BATCH", DumpJson(params)};
    options.clock = clock;
    // The run's row joins its one commit: the date is done exactly when its data is in.
    options.before_commit = [&](const Processor::Stats& stats) {
      run.status = BatchRun::kSucceeded;
      run.records = static_cast<int64_t>(stats.records_in);
      run.rows = static_cast<int64_t>(stats.rows_out);
      run.seconds = seconds();
      return runs_->Write(run.ToRow());
    };
    Processor processor(std::move(graph), std::move(sources), store_.get(), options);
    failed = processor.Run(stop);
    if (failed.ok()) failed = store_->AwaitCommits();
    // The run's one commit is all in the memtables: their flush (which a later run's commit or
    // the store's close waits for) overlaps freeing the run's state.
    if (failed.ok()) store_->StartFlush();
    if (failed.ok() && run.status.empty()) {
      // The objects held no record: nothing was committed, the run is recorded as for none.
      run.status = BatchRun::kNoData;
      run.seconds = seconds();
      RETURN_IF_ERROR(RecordAlone(run));
    }
    if (failed.ok()) return run;
    store_->Abort();
    if (stop.stop_requested()) return failed;  // stopped, not failed: nothing to record
  }
  run.status = BatchRun::kFailed;
  run.error = failed.ToString();
  run.records = run.rows = 0;
  run.seconds = seconds();
  if (Status s = RecordAlone(run); !s.ok()) {
    return s.WithContext("recording the failed run (" + run.error + ")");
  }
  return run;
}

Result<BatchRun> BatchJob::Run(const std::optional<std::string>& date, std::stop_token stop) {
  if (date) {
    ASSIGN_OR_RETURN(std::vector<BatchRun> history, History());
    if (DoneRuns(history, topology_->name).dates.contains(*date)) {
      BatchRun skipped;
      skipped.topology = topology_->name;
      skipped.date = date;
      skipped.started_ms = options_.clock->NowMillis();
      skipped.status = BatchRun::kSkipped;
      return skipped;
    }
  }
  int64_t delay_ms = options_.retry_delay_ms;
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(BatchRun run, Attempt(date, attempt, stop));
    spdlog::info(
        "batch run topology={} date={} attempt={} status={} objects={} records={} "
        "rows={} seconds={:.2f}{}",
        run.topology, run.date.value_or("-"), run.attempt, run.status, run.objects, run.records,
        run.rows, run.seconds, run.error.empty() ? "" : " error=" + run.error);
    if (run.status != BatchRun::kFailed || attempt > options_.retries) return run;
    spdlog::info("batch run retrying in {}", FormatDurationMillis(delay_ms));
    if (!SleepUntil(*options_.clock, options_.clock->NowMillis() + delay_ms, stop)) return run;
    delay_ms *= 2;
  }
}

}  // namespace pinstream
