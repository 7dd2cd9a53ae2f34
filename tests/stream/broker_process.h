#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace pinstream::testing {

// A real `pinstream broker` process for process-level tests: started with fork/exec of
// PINSTREAM_BINARY, ready once it printed its ready line (read from a pipe with a deadline),
// stopped by signalling its pid. Its stderr is appended to `<data dir>.stderr.log`, next to the
// data directory, so that a failing test can show the broker's side.
//
// The destructor kills the process if it is still running, and the kernel kills it when the
// thread that started it exits (PR_SET_PDEATHSIG), so start brokers from the test's main thread.
// Not thread-safe.
class BrokerProcess {
 public:
  static constexpr std::chrono::milliseconds kReadyTimeout{20'000};
  static constexpr std::chrono::milliseconds kExitTimeout{20'000};

  // Runs `pinstream broker --data DATA_DIR --listen tcp://127.0.0.1:* EXTRA_ARGS...` and waits
  // for `{"data":..,"endpoint":..,"pid":..}` on its stdout. Fails (and reaps the process) when
  // the broker exits first or prints nothing within `ready_timeout`.
  static Result<std::unique_ptr<BrokerProcess>> Start(
      const std::string& data_dir, const std::vector<std::string>& extra_args = {},
      std::chrono::milliseconds ready_timeout = kReadyTimeout);

  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  // The bound endpoint from the ready line, e.g. "tcp://127.0.0.1:41234".
  const std::string& endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const std::string& stderr_path() const { return stderr_path_; }

  // Sends `signo` (SIGTERM by default, or SIGINT) and waits for the process: OK only when it
  // exited with status 0 within kExitTimeout; otherwise it is killed and the error says why.
  Status Terminate(int signo = SIGTERM);
  // SIGKILL, then reaps the process: OK when it died of that signal.
  Status Kill();

 private:
  BrokerProcess(pid_t pid, int stdout_fd, std::string stderr_path)
      : pid_(pid), stdout_fd_(stdout_fd), stderr_path_(std::move(stderr_path)) {}

  // Reaps the process (waiting up to `timeout`, then killing it) and forgets it.
  Result<int> Reap(std::chrono::milliseconds timeout);
  std::string StderrTail() const;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::string endpoint_;
};

// The outcome of one run of the pinstream binary.
struct CliRun {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;     // everything it wrote on stdout
  std::string err;     // everything it wrote on stderr
};

// Runs `PINSTREAM_BINARY args...` to completion (stdout and stderr go to files under
// `scratch_dir`) and returns its exit code and output. `env` holds NAME=VALUE entries that are
// set in (or replace those of) the environment the child inherits.
Result<CliRun> RunPinstream(const std::vector<std::string>& args, const std::string& scratch_dir,
                            const std::vector<std::string>& env = {});

// Describes a wait status: "exited with status 3", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace pinstream::testing
