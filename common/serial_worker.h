#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "common/status.h"

namespace pinstream {

// One thread that runs one task at a time for the thread that owns it, so that work can
// overlap the owner's next step without a thread per task: the processor store writes one
// batch here while the next is staged. The thread starts at the first Submit.
//
// For one owning thread: Submit and Await are not to be called concurrently.
class SerialWorker {
 public:
  explicit SerialWorker(std::string thread_name) : thread_name_(std::move(thread_name)) {}
  // Waits for a submitted task (its status is dropped: Await first to see it), then stops.
  ~SerialWorker();

  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Runs `task` on the worker's thread. The task submitted before must have been awaited.
  void Submit(std::function<Status()> task);

  // Whether a task was submitted and not yet awaited.
  bool pending() const { return pending_; }

  // Waits for the submitted task and returns its status; OK when none is pending.
  Status Await();

 private:
  void Run(std::stop_token stop);

  const std::string thread_name_;
  bool pending_ = false;  // the owner's
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::function<Status()> task_;  // GUARDED_BY(mu_)
  std::optional<Status> result_;  // GUARDED_BY(mu_)
  std::jthread thread_;           // last: stopped and joined before the rest goes
};

}  // namespace pinstream
