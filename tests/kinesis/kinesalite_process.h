#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"

namespace pinstream::testing {

// A real kinesalite (the Kinesis emulator, installed from the npm registry into KINESALITE_DIR by
// tests/kinesis/kinesalite/install.sh) on a free loopback port: `node cli.js --port P` with
// streams created, deleted and updated at once, ready once it printed "Listening at". Its
// output goes to `log_path`. Stopped by pid in the destructor; it also dies with the thread
// that started it (PR_SET_PDEATHSIG). Not thread-safe.
class KinesaliteProcess {
 public:
  static Result<std::unique_ptr<KinesaliteProcess>> Start(const std::string& log_path);
  ~KinesaliteProcess();
  KinesaliteProcess(const KinesaliteProcess&) = delete;
  KinesaliteProcess& operator=(const KinesaliteProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:P"

 private:
  KinesaliteProcess(pid_t pid, std::string url) : pid_(pid), url_(std::move(url)) {}
  pid_t pid_;
  std::string url_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
Result<int> FreeLoopbackPort();

}  // namespace pinstream::testing
