#include <spdlog/spdlog.h>

#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "batch/batch_job.h"
#include "batch/daily_schedule.h"
#include "common/time_format.h"
#include "sinks/processor_store.h"

namespace pinstream::cli {

namespace {

struct BatchFlags {
  std::string topology;
  std::string input;
  std::string data;
  std::string endpoint_url;
  std::string region;
  std::string profile;
  std::string date;
  std::string from;
  std::string to;
  std::string schedule;
  std::string start;
  int retries = -1;  // -1: 0 for one run, 3 on a schedule
  std::string retry_delay = "1m";
};

Status Batch(const BatchFlags& flags) {
  std::stop_source stop;
  std::jthread watcher = WatchStopSignals(stop, "batch");
  if (!flags.schedule.empty() && flags.schedule != "@daily") {
    return Status::InvalidArgument("--schedule takes @daily (cron: see docs/batch.md)");
  }
  if (!flags.schedule.empty() &&
      (flags.start.empty() || !flags.date.empty() || !flags.from.empty())) {
    return Status::InvalidArgument("--schedule @daily takes --start DATE, and no --date/--from");
  }
  if (flags.from.empty() != flags.to.empty()) {
    return Status::InvalidArgument("--from and --to go together");
  }
  ASSIGN_OR_RETURN(LoadedTopology loaded, LoadTopology(flags.topology));
  BatchJob::Options options;
  options.input = flags.input;
  options.s3 = S3Options{flags.endpoint_url, flags.region, flags.profile};
  options.data = flags.data;
  options.retries = flags.retries >= 0 ? flags.retries : (flags.schedule.empty() ? 0 : 3);
  ASSIGN_OR_RETURN(options.retry_delay_ms, ParseDurationMillis(flags.retry_delay));
  ASSIGN_OR_RETURN(auto job, BatchJob::Open(loaded.topology, options));
  std::optional<BatchRun> failed;  // the last failed run
  auto report = [&failed](const BatchRun& run) {
    std::cout << run.ToJson() << std::endl;
    if (run.status == BatchRun::kFailed) failed = run;
  };
  if (!flags.schedule.empty()) {
    return RunDaily(job.get(), flags.start, options.clock, stop.get_token(), report);
  }
  std::vector<std::optional<std::string>> runs;
  if (!flags.date.empty()) {
    ASSIGN_OR_RETURN(auto dates, DateRange(flags.date, flags.date));
    runs.push_back(dates[0]);
  } else if (!flags.from.empty()) {
    ASSIGN_OR_RETURN(auto dates, DateRange(flags.from, flags.to));
    runs.assign(dates.begin(), dates.end());
  } else {
    runs.push_back(std::nullopt);  // every object not read yet
  }
  for (const auto& date : runs) {
    ASSIGN_OR_RETURN(BatchRun run, job->Run(date, stop.get_token()));
    report(run);
    // Later dates build on this one's state: a backfill stops at a date that failed.
    if (run.status == BatchRun::kFailed) break;
  }
  if (failed) {
    return Status::Internal("the batch run of " + failed->date.value_or("the new objects") +
                            " failed after " + std::to_string(failed->attempt) +
                            " attempt(s): " + failed->error);
  }
  return Status::OK();
}

Status History(const std::string& data) {
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(data, /*read_only=*/true));
  ASSIGN_OR_RETURN(std::vector<BatchRun> runs, LoadBatchRuns(*store->tables()));
  for (const BatchRun& run : runs) std::cout << run.ToJson() << '\n';
  return Status::OK();
}

}  // namespace

void AddBatchCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<BatchFlags>();
  auto* cmd = app.add_subcommand(
      "batch", "run a topology over an archive (pinstream archive), one commit per run");
  cmd->add_option("topology", flags->topology, "topology file (its sources' streams are topics)");
  cmd->add_option("--input", flags->input, "the archive: a directory or s3://BUCKET/PREFIX");
  cmd->add_option("--data", flags->data, "the processor's store (tables, state, run history)");
  cmd->add_option("--endpoint-url", flags->endpoint_url,
                  "S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS's for the region)");
  cmd->add_option("--region", flags->region, "S3 region (default: the AWS environment and files)");
  cmd->add_option("--profile", flags->profile, "AWS profile (default: $AWS_PROFILE, else default)");
  cmd->add_option("--date", flags->date,
                  "run one arrival day, YYYY-MM-DD (archive --partition-by-day)");
  cmd->add_option("--from", flags->from, "backfill: the first day of a range (with --to)");
  cmd->add_option("--to", flags->to, "backfill: the last day of a range, included");
  cmd->add_option("--schedule", flags->schedule,
                  "@daily: keep running, run each ended day from --start (catching up)");
  cmd->add_option("--start", flags->start, "the schedule's first day, YYYY-MM-DD");
  cmd->add_option("--retries", flags->retries,
                  "attempts after a failed one (default: 0, or 3 with --schedule)");
  cmd->add_option("--retry-delay", flags->retry_delay,
                  "before the first retry, doubled for each next one (default 1m)");
  auto* history = cmd->add_subcommand("history", "the batch runs' history, as JSON Lines");
  auto history_data = std::make_shared<std::string>();
  history->add_option("--data", *history_data, "the processor's store")->required();
  history->callback(
      [history_data, action] { *action = [history_data] { return History(*history_data); }; });
  cmd->callback([cmd, history, flags, action] {
    if (history->parsed()) return;
    if (flags->topology.empty() || flags->input.empty() || flags->data.empty()) {
      throw CLI::ValidationError("batch", "needs TOPOLOGY, --input and --data");
    }
    *action = [flags] { return Batch(*flags); };
  });
}

}  // namespace pinstream::cli
