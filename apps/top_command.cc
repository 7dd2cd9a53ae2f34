// `pinstream top`: a live view of a broker and a processor, from their /monitor/status.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "apps/terminal_screen.h"
#include "common/api_key.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "monitor/status_fetch.h"
#include "monitor/top_view.h"

namespace pinstream::cli {

namespace {

// Where README's examples put the broker's HTTP gateway (`broker --http 127.0.0.1:8080`).
constexpr char kDefaultBrokerHttp[] = "http://127.0.0.1:8080";

struct TopFlags {
  std::string broker_http = kDefaultBrokerHttp;
  std::string processor;  // the processor's --metrics base URL; empty: none
  std::string interval = "1s";
  bool once = false;
  std::string api_key_file;
};

// What a frame needs: fetched anew each interval, kept for a redraw when the window changes.
struct Watched {
  TopSource broker;
  TopSource processor;
};

// One fetch of `source`: a fetch that fails is shown, never returned.
void Fetch(std::string_view kind, const std::string& api_key, std::chrono::milliseconds timeout,
           TopSource* source) {
  Result<nlohmann::json> status = FetchMonitorStatus(source->url, kind, api_key, timeout);
  if (status.ok()) {
    source->status = std::move(status).value();
    source->error.clear();
  } else {
    source->status = nullptr;
    source->error = status.status().code() == Status::Code::kUnavailable
                        ? "unreachable: " + status.status().message()
                        : status.status().ToString();
  }
}

// SIGINT, SIGTERM and SIGWINCH as a descriptor to poll beside the keys, so that a signal ends
// the wait at once and the terminal is restored by the normal way out. Blocked first, in this
// thread before any other exists, so that no thread takes them the default way.
Result<int> OpenSignalFd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (fd < 0) return Status::Internal(std::string("signalfd: ") + std::strerror(errno));
  return fd;
}

enum class Wake { kTick, kQuit, kResize };

// Waits until `deadline` for a key or a signal: `q`, Ctrl-C or SIGINT/SIGTERM quit; a window
// change redraws. `key_fd` -1: no keys are read.
Wake WaitUntil(std::chrono::steady_clock::time_point deadline, int signal_fd, int* key_fd) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Wake::kTick;
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {*key_fd, POLLIN, 0}};
    const int n = poll(fds, *key_fd >= 0 ? 2 : 1, static_cast<int>(left.count()) + 1);
    if (n <= 0) continue;  // EINTR, or the deadline: checked above
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof info) == sizeof info && info.ssi_signo == SIGWINCH) {
        return Wake::kResize;
      }
      return Wake::kQuit;
    }
    if (*key_fd >= 0 && fds[1].revents != 0) {
      char keys[64];
      const ssize_t got = read(*key_fd, keys, sizeof keys);
      if (got <= 0 && (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL))) *key_fd = -1;
      for (ssize_t i = 0; i < got; ++i) {
        if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 /* Ctrl-C */) return Wake::kQuit;
      }
    }
  }
}

void PrintPlain(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::cout << line << "\n";
  std::cout.flush();
}

Status RunTop(const TopFlags& flags) {
  ASSIGN_OR_RETURN(int64_t interval_ms, ParseDurationMillis(flags.interval));
  if (interval_ms < 100) return Status::InvalidArgument("--interval is at least 100ms");
  const std::chrono::milliseconds interval(interval_ms);
  // A service that hangs holds a frame (and `q`) up to this long.
  const std::chrono::milliseconds timeout(std::min<int64_t>(interval_ms, 2000));
  ASSIGN_OR_RETURN(const std::string api_key, LoadApiKey(flags.api_key_file));
  ASSIGN_OR_RETURN(const int signal_fd, OpenSignalFd());
  struct CloseFd {
    int fd;
    ~CloseFd() { close(fd); }
  } close_signal_fd{signal_fd};

  Watched watched;
  watched.broker.url = NormalizeBaseUrl(flags.broker_http);
  if (!flags.processor.empty()) watched.processor.url = NormalizeBaseUrl(flags.processor);
  auto fetch = [&] {
    Fetch("broker", api_key, timeout, &watched.broker);
    // The key guards the broker; a processor's --metrics server asks for none.
    if (!watched.processor.url.empty()) Fetch("processor", "", timeout, &watched.processor);
  };
  const bool interactive = !flags.once && isatty(STDOUT_FILENO);
  std::unique_ptr<TerminalScreen> screen;
  if (interactive) {
    ASSIGN_OR_RETURN(screen, TerminalScreen::Open());
  }
  int key_fd = screen ? screen->key_fd() : -1;

  auto deadline = std::chrono::steady_clock::now();
  for (bool first = true;; first = false) {
    fetch();
    TopFrameOptions options{.now_ms = Clock::Real()->NowMillis()};
    if (screen) {
      options.width = screen->size().columns;
      options.show_keys = key_fd >= 0;
      screen->Draw(RenderTopFrame(watched.broker, watched.processor, options));
    } else {
      if (!first) std::cout << "\n";
      PrintPlain(RenderTopFrame(watched.broker, watched.processor, options));
    }
    if (flags.once) return Status::OK();
    deadline = std::max(deadline + interval, std::chrono::steady_clock::now());
    for (;;) {
      const Wake wake = WaitUntil(deadline, signal_fd, &key_fd);
      if (wake == Wake::kQuit) return Status::OK();
      if (wake == Wake::kTick) break;
      if (screen) {  // a new size: the same data laid out again, without waiting for the next
        options.width = screen->size().columns;
        screen->Draw(RenderTopFrame(watched.broker, watched.processor, options));
      }
    }
  }
}

}  // namespace

void AddTopCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<TopFlags>();
  auto* cmd = app.add_subcommand(
      "top",
      "live view of a broker and a processor: streams, shards, rates, lag, batches, dead letters "
      "(q quits; one plain frame per interval when stdout is not a terminal)");
  cmd->add_option("--broker-http", flags->broker_http,
                  "the broker's HTTP gateway (`broker --http`; its ready line's \"http\"); "
                  "default: $PINSTREAM_HTTP, else this")
      ->envname("PINSTREAM_HTTP")
      ->capture_default_str();
  cmd->add_option("--processor", flags->processor,
                  "a processor's monitoring server (`run --metrics`), e.g. http://127.0.0.1:9464");
  cmd->add_option("--interval", flags->interval, "time between frames (e.g. 1s, 500ms)")
      ->capture_default_str();
  cmd->add_flag("--once", flags->once, "print one plain frame and exit");
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->callback([flags, action] { *action = [flags] { return RunTop(*flags); }; });
}

}  // namespace pinstream::cli
