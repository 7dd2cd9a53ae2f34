// `pinstream offsets show|reset` (SPEC §8): the checkpointed source positions of every topology,
// read through a read-only ProcessorStore so that `show` works while the processor runs, and
// the replay tool that moves them (sinks/replay.h), which needs the processor stopped.
#include <filesystem>
#include <iostream>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/json_dump.h"
#include "sinks/processor_store.h"
#include "sinks/replay.h"

namespace pinstream::cli {

namespace {

struct OffsetsFlags {
  std::string data;
  std::string topology;  // show: empty = every topology; reset: empty = the only one
  std::string to;
  std::string stream;
  std::string shard;
  bool rewind_tables = false;
  bool dry_run = false;
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
  std::cout << DumpJson(out) << "\n";
  std::cout.flush();
  return Status::OK();
}

// Prints the plan as JSON (with "dry_run" and, when applied, the "batch_id" recording it).
Status Reset(const OffsetsFlags& f) {
  ResetRequest request;
  request.topology = f.topology;
  ASSIGN_OR_RETURN(request.to, ParseResetPosition(f.to));
  request.stream = f.stream;
  request.shard = f.shard;
  request.rewind_tables = f.rewind_tables;
  ProcessorStore::Options options;
  options.path = f.data;
  options.read_only = f.dry_run;
  options.sync = true;  // a reset is rare and must not be lost
  if (!f.dry_run && !std::filesystem::exists(std::filesystem::path(f.data) / "CURRENT")) {
    return Status::ResourceNotFound("no processor store at '" + f.data + "'");
  }
  ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(options));
  ASSIGN_OR_RETURN(ResetPlan plan, PlanReset(*store, request));
  nlohmann::ordered_json out = plan.ToJson();
  out["dry_run"] = f.dry_run;
  if (!f.dry_run) {
    ASSIGN_OR_RETURN(int64_t batch_id, ApplyReset(store.get(), plan));
    out["batch_id"] = batch_id;
  }
  std::cout << DumpJson(out) << "\n";
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

  auto* reset = offsets->add_subcommand(
      "reset",
      "move a topology's offsets (all shards, one stream, or one shard); with --rewind-tables its "
      "tables and operator state go back to the newest batch not past the new position, and "
      "every shard resumes from that batch, so that a replay rebuilds the same tables. Stop "
      "the processor first");
  reset->add_option("--data", f->data, "the processor's data directory")->required();
  reset
      ->add_option("--to", f->to,
                   "trim-horizon, latest, seq:N (from sequence number N, inclusive) or "
                   "timestamp:ISO8601 (from records that arrived at or after it)")
      ->required();
  reset->add_option("--topology", f->topology, "the topology (default: the only one)");
  reset->add_option("--stream", f->stream, "only this stream");
  reset->add_option("--shard", f->shard, "only this shard (e.g. shardId-000000000001)");
  reset->add_flag("--rewind-tables", f->rewind_tables,
                  "take tables and operator state back to match, for an exact replay");
  reset->add_flag("--dry-run", f->dry_run, "print what would change, change nothing");
  reset->callback([=] { *action = [f] { return Reset(*f); }; });
}

}  // namespace pinstream::cli
