#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "operators/graph.h"

namespace pinstream::cli {

namespace {

Status Validate(const std::string& path) {
  ASSIGN_OR_RETURN(LoadedTopology loaded, LoadTopology(path));
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& t : loaded.graph->tables()) {
    tables[t.name] = {{"key", t.key_columns}, {"schema", t.schema.ToJson()}};
  }
  PrintJson({{"topology", loaded.topology->name}, {"valid", true}, {"tables", tables}});
  return Status::OK();
}

}  // namespace

void AddValidateCommand(CLI::App& app, Action* action) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "validate", "check a topology file; each problem as file: /json/pointer: message");
  cmd->add_option("topology", *path, "topology file")->required();
  cmd->callback([path, action] { *action = [path] { return Validate(*path); }; });
}

}  // namespace pinstream::cli
