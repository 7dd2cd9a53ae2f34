#pragma once

// What processes hold, read from /proc: for checks that something was released. Asking
// whether a port refuses connections is racy under `ctest -j` (another test may bind the freed
// port at once); asking whether a given process still holds the socket or the files is not.

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace pinstream::testing {

// The inodes of the TCP sockets (IPv4 and IPv6) of this network namespace that listen on
// `port`.
inline std::set<uint64_t> ListeningSocketInodes(int port) {
  std::set<uint64_t> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      uint64_t inode = 0;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
            timeout >> inode)) {
        continue;
      }
      const auto colon = local.rfind(':');
      if (colon == std::string::npos || state != "0A") continue;  // 0A: TCP_LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) out.insert(inode);
    }
  }
  return out;
}

// The targets of process `pid`'s open file descriptors ("socket:[123]", "/tmp/x/LOCK", ...);
// empty when the process is gone or not ours to inspect.
inline std::vector<std::string> OpenFiles(pid_t pid) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code link_ec;
    fs::path target = fs::read_symlink(it->path(), link_ec);
    if (!link_ec) out.push_back(target.string());
  }
  return out;
}

// True when process `pid` holds a TCP socket that listens on `port`.
inline bool ProcessListensOn(pid_t pid, int port) {
  const std::set<uint64_t> inodes = ListeningSocketInodes(port);
  for (const std::string& file : OpenFiles(pid)) {
    if (!file.starts_with("socket:[")) continue;
    if (inodes.contains(std::stoull(file.substr(8)))) return true;
  }
  return false;
}

// The processes other than this one that hold a file under `dir` open or name it on their
// command line.
inline std::vector<pid_t> ProcessesUsing(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<pid_t> out;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    std::ifstream cmdline(it->path() / "cmdline", std::ios::binary);
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    bool uses = args.find(dir) != std::string::npos;
    for (const std::string& file : OpenFiles(pid)) uses = uses || file.starts_with(dir);
    if (uses) out.push_back(pid);
  }
  return out;
}

}  // namespace pinstream::testing
