// pinstream's command line: parse flags, set up logging, run one command, report its Status.
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "apps/commands.h"

int main(int argc, char** argv) {
  // GetRecords replies are megabytes each. glibc would mmap and unmap every one, and the page
  // faults of touching fresh pages cost more than copying the data; keep them on the heap.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"pinstream: a real-time stream processor with windowed state", "pinstream"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags such as --log-level may follow the subcommand
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off (logs go to stderr)")
      ->capture_default_str();

  pinstream::cli::Action action;
  app.add_subcommand("help", "show this help")->callback([&] { throw CLI::CallForHelp(); });
  pinstream::cli::AddBrokerCommand(app, &action);
  pinstream::cli::AddStreamCommands(app, &action);
  pinstream::cli::AddDemoCommand(app, &action);
  pinstream::cli::AddEmulateCommand(app, &action);
  pinstream::cli::AddValidateCommand(app, &action);
  pinstream::cli::AddRunCommand(app, &action);
  pinstream::cli::AddTableCommands(app, &action);
  pinstream::cli::AddOffsetsCommands(app, &action);
  pinstream::cli::AddSqlCommand(app, &action);
  pinstream::cli::AddArchiveCommand(app, &action);
  pinstream::cli::AddBatchCommand(app, &action);
  pinstream::cli::AddTopCommand(app, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto logger = spdlog::stderr_color_mt("pinstream");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  pinstream::Status status = action ? action() : pinstream::Status::OK();
  if (!status.ok()) {
    std::cerr << status.ToString() << std::endl;
    return 1;
  }
  return 0;
}
