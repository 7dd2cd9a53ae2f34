#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "common/status.h"

namespace pinstream::cli {

// Each Add*Commands registers subcommands on `app`; when one of them is chosen, its action is
// stored in `*action` and run by main after parsing.
using Action = std::function<Status()>;

void AddBrokerCommand(CLI::App& app, Action* action);
void AddStreamCommands(CLI::App& app, Action* action);
// The control plane's `stream` subcommands (tag, retention, consumers, ...), on `stream`.
void AddStreamControlCommands(CLI::App* stream, Action* action);
// Resharding's `stream` subcommands (split, merge, scale), on `stream`.
void AddStreamReshardCommands(CLI::App* stream, Action* action);
void AddDemoCommand(CLI::App& app, Action* action);
void AddEmulateCommand(CLI::App& app, Action* action);
void AddValidateCommand(CLI::App& app, Action* action);
void AddRunCommand(CLI::App& app, Action* action);
void AddTableCommands(CLI::App& app, Action* action);
void AddOffsetsCommands(CLI::App& app, Action* action);
void AddSqlCommand(CLI::App& app, Action* action);
void AddArchiveCommand(CLI::App& app, Action* action);
void AddBatchCommand(CLI::App& app, Action* action);
void AddTopCommand(CLI::App& app, Action* action);

}  // namespace pinstream::cli
