#include "tests/stream/broker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pinstream::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Starts `argv[0] argv[1..]` with stdin from /dev/null and stdout/stderr on the given fds. The
// child is killed when the thread that started it exits, so a crashed test leaves no broker.
Result<pid_t> Spawn(const std::vector<std::string>& args, int stdout_fd, int stderr_fd,
                    const std::vector<std::string>& env = {}) {
  // Everything the child needs is prepared here: after fork() it may only call
  // async-signal-safe functions, since other threads of the test may hold allocator locks.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& o) {
      return entry.substr(0, entry.find('=') + 1) == o.substr(0, o.find('=') + 1);
    });
    if (!replaced) envp.push_back(*e);
  }
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return Status::IOError(ErrnoText("opening /dev/null"));
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(null_fd);
    return Status::IOError(ErrnoText("fork"));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(stdout_fd, STDOUT_FILENO) < 0 ||
        dup2(stderr_fd, STDERR_FILENO) < 0) {
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(null_fd);
  return pid;
}

// Waits up to `timeout` for `pid` to exit and reaps it: its wait status. On timeout the process
// is left running and the result is Unavailable.
Result<int> WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  // glibc 2.36 declares pidfd_open without C linkage, so call it directly.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    const auto deadline = Clock::now() + timeout;
    int ready;
    do {
      pollfd item{pidfd, POLLIN, 0};
      ready = poll(&item, 1, MillisLeft(deadline));
    } while (ready < 0 && errno == EINTR);
    close(pidfd);
    if (ready == 0) {
      return Status::Unavailable("process " + std::to_string(pid) + " did not exit within " +
                                 std::to_string(timeout.count()) + " ms");
    }
  }
  // Without pidfds (old kernels), fall back to a blocking wait; ctest's timeout bounds it.
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IOError(ErrnoText("waitpid"));
  }
  return status;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    return "killed by signal " + std::to_string(WTERMSIG(wait_status)) + " (" +
           strsignal(WTERMSIG(wait_status)) + ")";
  }
  return "wait status " + std::to_string(wait_status);
}

Result<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(
    const std::string& data_dir, const std::vector<std::string>& extra_args,
    std::chrono::milliseconds ready_timeout) {
  std::vector<std::string> args = {PINSTREAM_BINARY, "broker",   "--data",
                                   data_dir,         "--listen", "tcp://127.0.0.1:*"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  std::string stderr_path = data_dir;
  while (stderr_path.size() > 1 && stderr_path.back() == '/') stderr_path.pop_back();
  stderr_path += ".stderr.log";
  int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) return Status::IOError(ErrnoText(("opening " + stderr_path).c_str()));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
    close(err_fd);
    return Status::IOError(ErrnoText("pipe2"));
  }
  auto pid = Spawn(args, pipe_fds[1], err_fd);
  close(pipe_fds[1]);
  close(err_fd);
  if (!pid.ok()) {
    close(pipe_fds[0]);
    return pid.status();
  }
  std::unique_ptr<BrokerProcess> broker(new BrokerProcess(*pid, pipe_fds[0], stderr_path));

  // The ready line is the first thing the broker prints on stdout.
  const auto deadline = Clock::now() + ready_timeout;
  std::string line;
  while (line.find('\n') == std::string::npos) {
    pollfd item{broker->stdout_fd_, POLLIN, 0};
    int ready = poll(&item, 1, MillisLeft(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Status::IOError(ErrnoText("poll"));
    if (ready == 0) {
      Status killed = broker->Kill();
      return Status::Unavailable("broker printed no ready line within " +
                                 std::to_string(ready_timeout.count()) + " ms (" +
                                 killed.ToString() + "); stderr: " + broker->StderrTail());
    }
    char buf[4096];
    ssize_t n = read(broker->stdout_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(ErrnoText("reading the broker's stdout"));
    if (n == 0) {
      auto status = broker->Reap(kExitTimeout);
      return Status::Unavailable(
          "broker " + (status.ok() ? DescribeWaitStatus(*status) : status.status().ToString()) +
          " before it was ready; stdout: '" + line + "'; stderr: " + broker->StderrTail());
    }
    line.append(buf, static_cast<size_t>(n));
  }
  line.resize(line.find('\n'));
  auto ready = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!ready.is_object() || !ready.contains("endpoint") || !ready["endpoint"].is_string() ||
      !ready.contains("pid") || !ready["pid"].is_number_integer()) {
    return Status::Corruption("malformed ready line from broker: '" + line + "'");
  }
  if (ready["pid"].get<int64_t>() != broker->pid_) {
    return Status::Corruption("ready line names pid " +
                              std::to_string(ready["pid"].get<int64_t>()) +
                              ", but the broker's pid is " + std::to_string(broker->pid_));
  }
  broker->endpoint_ = ready["endpoint"].get<std::string>();
  return broker;
}

BrokerProcess::~BrokerProcess() {
  if (running()) (void)Kill();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Status BrokerProcess::Terminate(int signo) {
  if (!running()) return Status::InvalidArgument("the broker is not running");
  const pid_t pid = pid_;
  if (kill(pid, signo) < 0) return Status::IOError(ErrnoText("kill"));
  ASSIGN_OR_RETURN(int status, Reap(kExitTimeout));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  return Status::Internal("broker " + std::to_string(pid) + " " + DescribeWaitStatus(status) +
                          " after signal " + std::to_string(signo) + "; stderr: " + StderrTail());
}

Status BrokerProcess::Kill() {
  if (!running()) return Status::InvalidArgument("the broker is not running");
  const pid_t pid = pid_;
  if (kill(pid, SIGKILL) < 0) return Status::IOError(ErrnoText("kill"));
  ASSIGN_OR_RETURN(int status, Reap(kExitTimeout));
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return Status::OK();
  return Status::Internal("broker " + std::to_string(pid) + " " + DescribeWaitStatus(status) +
                          " instead of dying of SIGKILL");
}

Result<int> BrokerProcess::Reap(std::chrono::milliseconds timeout) {
  auto status = WaitForExit(pid_, timeout);
  if (!status.ok() && status.status().code() == Status::Code::kUnavailable) {
    kill(pid_, SIGKILL);
    (void)WaitForExit(pid_, kExitTimeout);
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (!status.ok()) return status.status().WithContext("stopping the broker (killed it)");
  return status;
}

std::string BrokerProcess::StderrTail() const {
  std::string text = ReadWholeFile(stderr_path_);
  constexpr size_t kTail = 2000;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return "'" + text + "'";
}

Result<CliRun> RunPinstream(const std::vector<std::string>& args, const std::string& scratch_dir,
                            const std::vector<std::string>& env) {
  static std::atomic<int> counter{0};
  const std::string base = scratch_dir + "/cli-" + std::to_string(counter++);
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    return Status::IOError(ErrnoText(("creating " + base + ".{out,err}").c_str()));
  }
  std::vector<std::string> argv = {PINSTREAM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto pid = Spawn(argv, out_fd, err_fd, env);
  close(out_fd);
  close(err_fd);
  if (!pid.ok()) return pid.status();
  auto status = WaitForExit(*pid, std::chrono::seconds(30));
  if (!status.ok()) {
    kill(*pid, SIGKILL);
    (void)WaitForExit(*pid, std::chrono::seconds(30));
    return status.status();
  }
  CliRun run;
  run.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  run.out = ReadWholeFile(out_path);
  run.err = ReadWholeFile(err_path);
  return run;
}

}  // namespace pinstream::testing
