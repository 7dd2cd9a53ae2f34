#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "operators/graph.h"

namespace pinstream::cli {

namespace {

Status Validate(const std::string& path) {
  BuildErrors errors;
  auto topology = Topology::Load(path, &errors);
  std::unique_ptr<Graph> graph;
  if (topology) graph = Graph::Build(topology, &errors);
  if (!errors.empty()) {
    std::cerr << FormatErrors(path, errors);
    return Status::InvalidArgument(path + ": " + std::to_string(errors.errors().size()) +
                                   " problem(s)");
  }
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& t : graph->tables()) {
    tables[t.name] = {{"key", t.key_columns}, {"schema", t.schema.ToJson()}};
  }
  PrintJson({{"topology", topology->name}, {"valid", true}, {"tables", tables}});
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
