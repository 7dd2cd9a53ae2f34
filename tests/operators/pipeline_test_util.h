#pragma once

// Helpers of the process-level processor tests: putting records into a real broker and
// remembering where they landed, running `pinstream` child processes with their own
// environment, and reading a processor's tables back.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/value.h"
#include "sinks/processor_store.h"
#include "stream/stream_client.h"
#include "stream/stream_types.h"
#include "tests/stream/broker_process.h"

namespace pinstream::testing {

// A record to put and, once put, where it landed.
struct PutRecord {
  std::string stream;
  std::string partition_key;
  std::string data;
  std::string shard_id;         // set by PutAll
  std::string sequence_number;  // set by PutAll
};

// Puts `records` in order with PutRecords (consecutive records of one stream in one request)
// and sets their shard ids and sequence numbers. Any refused record is an error: the tests
// must know exactly what the streams hold.
inline Status PutAll(StreamClient* client, std::vector<PutRecord>* records,
                     size_t max_batch = 500) {
  size_t begin = 0;
  while (begin < records->size()) {
    size_t end = begin;
    std::vector<PutEntry> entries;
    while (end < records->size() && (*records)[end].stream == (*records)[begin].stream &&
           entries.size() < max_batch) {
      entries.push_back(
          PutEntry{(*records)[end].partition_key, (*records)[end].data, std::nullopt});
      ++end;
    }
    std::vector<PutResult> results;
    RETURN_IF_ERROR(client->PutRecords((*records)[begin].stream, entries, &results));
    if (results.size() != entries.size())
      return Status::Internal("PutRecords answered for fewer entries");
    for (size_t i = 0; i < results.size(); ++i) {
      PutRecord& r = (*records)[begin + i];
      if (!results[i].status.ok()) return results[i].status.WithContext("putting " + r.data);
      r.shard_id = ShardIdFromIndex(results[i].sequence_number.shard_index);
      r.sequence_number = results[i].sequence_number.ToString();
    }
    begin = end;
  }
  return Status::OK();
}

// The rows of `table` in the processor store at `dir`, read through a read-only store as
// `pinstream table scan` reads them; `schema` receives the table's schema when not null.
inline Result<std::vector<Row>> ScanTable(const std::string& dir, const std::string& table,
                                          Schema* schema = nullptr) {
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(dir, /*read_only=*/true));
  Table* t = store->tables()->Find(table);
  if (t == nullptr) return Status::ResourceNotFound("no table '" + table + "'");
  if (schema != nullptr) *schema = t->spec().schema;
  std::vector<Row> rows;
  RETURN_IF_ERROR(t->Scan(std::nullopt, [&](const Row& row) {
    rows.push_back(row);
    return Status::OK();
  }));
  return rows;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The environment of this process with `overrides` set, as execve() takes it.
inline std::vector<std::string> EnvironmentWith(
    const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!overrides.contains(name)) env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

// A `pinstream` child process with its own environment, its stdout and stderr appended to a
// log file. It dies with the thread that started it (PR_SET_PDEATHSIG), so a failing test
// leaves no processor behind; start it from the test's main thread. The destructor kills it.
class PinstreamProcess {
 public:
  static Result<std::unique_ptr<PinstreamProcess>> Start(
      const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
      const std::string& log_path) {
    // Everything the child needs is prepared before fork(): other threads (a producer) may hold
    // allocator locks, so the child may only make async-signal-safe calls.
    std::vector<std::string> argv_strings = {PINSTREAM_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = EnvironmentWith(env);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return Status::IOError("opening " + log_path + ": " + std::strerror(errno));
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
          dup2(log_fd, STDERR_FILENO) < 0) {
        _exit(127);
      }
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(log_fd);
    close(null_fd);
    if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
    return std::unique_ptr<PinstreamProcess>(new PinstreamProcess(pid));
  }

  ~PinstreamProcess() {
    if (pid_ > 0) (void)Kill();
  }

  // The wait status if the process has exited (reaping it), nullopt while it runs.
  std::optional<int> Exited() {
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    return std::nullopt;
  }

  // SIGKILL and reap: the wait status (a process killed by us reports SIGKILL).
  Result<int> Kill() {
    if (pid_ <= 0) return Status::InvalidArgument("not running");
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return Status::IOError(std::string("waitpid: ") + std::strerror(errno));
    }
    pid_ = -1;
    return status;
  }

  // Sends `signo` and waits up to `timeout` for the process to exit: its wait status, or
  // Unavailable (and the process is killed) when it did not exit in time.
  Result<int> Stop(int signo, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return Status::InvalidArgument("not running");
    kill(pid_, signo);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto status = Exited()) return *status;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    (void)Kill();
    return Status::Unavailable("the process did not exit within " +
                               std::to_string(timeout.count()) + " ms of signal " +
                               std::to_string(signo));
  }

  pid_t pid() const { return pid_; }

 private:
  explicit PinstreamProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

// Sets environment variables for the lifetime of the guard (for RunPinstream, whose children
// inherit this process's environment), restoring the previous values after.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::map<std::string, std::string> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace pinstream::testing
