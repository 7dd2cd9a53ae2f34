// `pinstream offsets show`: the checkpointed source positions of every topology (SPEC §8),
// read through a read-only ProcessorStore, so it works while the processor runs.
#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "sinks/processor_store.h"

namespace pinstream::cli {

namespace {

struct OffsetsFlags {
  std::string data;
  std::string topology;  // empty: every topology
};

// {"<topology>": {"batch_id", "time", "offsets": {stream: {shard: seq}}, "tables": {...}}}
Status Show(const OffsetsFlags& f) {
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(f.data, /*read_only=*/true));
  ASSIGN_OR_RETURN(std::vector<BatchRecord> records, store->ListOffsets());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& r : records) {
    if (f.topology.empty() || r.topology == f.topology) out[r.topology] = r.ToJson();
  }
  if (!f.topology.empty() && out.empty()) {
    return Status::ResourceNotFound("topology '" + f.topology + "' has no committed offsets");
  }
  std::cout << out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  std::cout.flush();
  return Status::OK();
}

}  // namespace

void AddOffsetsCommands(CLI::App& app, Action* action) {
  auto f = std::make_shared<OffsetsFlags>();
  auto* offsets = app.add_subcommand("offsets", "checkpointed source offsets of the processor");
  offsets->require_subcommand(1);

  auto* show = offsets->add_subcommand(
      "show",
      "per topology: the newest batch, its time, and the stream -> shard -> sequence "
      "number it covers");
  show->add_option("--data", f->data, "the processor's data directory")->required();
  show->add_option("--topology", f->topology, "only this topology");
  show->callback([=] { *action = [f] { return Show(*f); }; });
}

}  // namespace pinstream::cli
