// `pinstream demo` (SPEC section 1): the flags, then demo/demo_run.h does the run; this prints
// its progress and notes on stderr, the JSON report on stdout and the summary on stderr.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "apps/demo_progress_line.h"
#include "common/json_dump.h"
#include "demo/demo_run.h"
#include "demo/demo_summary.h"

namespace pinstream::cli {

namespace {

struct DemoFlags {
  DemoOptions options;
  bool no_progress = false;
};

// "build/pinstream" when that is this binary (the README's spelling), else its full path.
std::string SelfCommand() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "pinstream";
  if (fs::equivalent("build/pinstream", self, ec)) return "build/pinstream";
  return self.string();
}

Status RunDemoCommand(const DemoFlags& flags) {
  DemoProgressLine progress(!flags.no_progress, flags.options.posts);
  DemoListener listener{
      .note = [](const std::string& text) { std::cerr << text; },
      .progress = [&progress](const DemoProgress& p) { progress.Update(p); },
      .progress_done = [&progress] { progress.Finish(); },
  };
  ASSIGN_OR_RETURN(DemoReport report, RunDemo(flags.options, listener));
  // The JSON first: on a terminal the summary and the commands to inspect the data come last.
  std::cout << DumpJson(DemoReportJson(report)) << std::endl;
  std::cerr << DemoSummary(report, SelfCommand());
  std::cerr.flush();
  return RefusedRecords(report);
}

}  // namespace

void AddDemoCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<DemoFlags>();
  DemoOptions& o = flags->options;
#ifdef PINSTREAM_SOURCE_DIR
  o.source_dir = PINSTREAM_SOURCE_DIR;  // `build/pinstream demo` finds its topology from anywhere
#endif
  auto* cmd = app.add_subcommand(
      "demo",
      "the embedded end-to-end demo: a broker, the posting emulation and the processor on "
      "topologies/pinterest.json, then a report of the tables");
  cmd->add_option("--data", o.data,
                  "data directory, kept afterwards (default: a fresh /tmp/pinstream-demo-*)");
  cmd->add_option("--topology", o.topology,
                  "topology file (default: topologies/pinterest.json here or in the source tree)");
  cmd->add_option("--posts", o.posts, "posts to emulate (each is 3 records)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", o.seed, "seed of the emulated posts")->capture_default_str();
  cmd->add_option("--rate", o.rate, "records per second (default: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--prefix", o.prefix, "stream name prefix (PINSTREAM_PREFIX)")
      ->capture_default_str();
  cmd->add_option("--shards", o.shards, "shards per stream")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-progress", flags->no_progress, "show no progress on stderr");
  cmd->add_flag("--batch", o.batch,
                "then the batch side: archive the streams by day, run the batch job over the "
                "archive, answer a question in SQL");
  AddApiKeyFileOption(cmd, &o.api_key_file);
  cmd->callback([flags, action] { *action = [flags] { return RunDemoCommand(*flags); }; });
}

}  // namespace pinstream::cli
