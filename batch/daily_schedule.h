#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "batch/batch_job.h"

namespace pinstream {

// The dates a @daily schedule starting at `start` has due at `now_ms`: every day from `start`
// that has ended (through yesterday, UTC), as Airflow runs a daily DAG for a day once its data
// interval is over. InvalidArgument for a malformed `start`.
Result<std::vector<std::string>> DueDates(const std::string& start, int64_t now_ms);

// Runs `job` as Airflow runs a @daily DAG with catch-up: now and after every midnight UTC, each
// due date not done yet, oldest first (BatchJob::Run skips the done ones and retries failed
// attempts with backoff). A date that still fails ends that round: later dates build on its
// state, so they wait for the next round, which tries it again. A date with nothing archived
// (no_data: before the archive began, or not archived yet) does not hold the later ones up; it
// stays not done, and each round looks again.
// Returns when `stop` is requested, or with the store's error; `on_run` sees every run.
Status RunDaily(BatchJob* job, const std::string& start, Clock* clock, std::stop_token stop,
                const std::function<void(const BatchRun&)>& on_run);

}  // namespace pinstream
