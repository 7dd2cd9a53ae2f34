#include "tests/kinesis/kinesalite_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

namespace pinstream::testing {

Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Status::IOError(std::string("bind: ") + std::strerror(errno));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<std::unique_ptr<KinesaliteProcess>> KinesaliteProcess::Start(const std::string& log_path) {
  const std::string cli = std::string(KINESALITE_DIR) + "/node_modules/kinesalite/cli.js";
  if (!std::filesystem::exists(cli)) {
    return Status::Unavailable("kinesalite is not installed at " + cli +
                               ": ./run test installs it (tests/kinesis/kinesalite/install.sh)");
  }
  ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
  std::vector<std::string> args = {"node",
                                   cli,
                                   "--port",
                                   std::to_string(port),
                                   "--createStreamMs",
                                   "0",
                                   "--deleteStreamMs",
                                   "0",
                                   "--updateStreamMs",
                                   "0",
                                   "--shardLimit",
                                   "1000"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("opening " + log_path);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) _exit(127);
    execvp("node", argv.data());
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) return Status::IOError("fork");
  std::unique_ptr<KinesaliteProcess> process(
      new KinesaliteProcess(pid, "http://127.0.0.1:" + std::to_string(port)));
  // Ready once it accepts connections (it prints "Listening at" then, to the log).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return Status::Unavailable("kinesalite exited before it listened; see " + log_path);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (up) return process;
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("kinesalite did not listen within 30 s; see " + log_path);
    }
    poll(nullptr, 0, 50);  // node takes a moment to start
  }
}

KinesaliteProcess::~KinesaliteProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

}  // namespace pinstream::testing
