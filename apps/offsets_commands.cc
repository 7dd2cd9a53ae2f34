// `pinstream offsets show|reset` (SPEC §8): the checkpointed source positions of every topology,
// read through a read-only ProcessorStore so that `show` works while the processor runs, and
// the replay tool that moves them (sinks/replay.h), which needs the processor stopped. `show`
// reads the data directories of several instances of one topology as one document.
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/json_dump.h"
#include "runtime/instance_marker.h"
#include "sinks/partitioned_table.h"
#include "sinks/processor_store.h"
#include "sinks/replay.h"

namespace pinstream::cli {

namespace {

struct OffsetsFlags {
  std::vector<std::string> data;  // show: directories or patterns (ExpandDataDirs); reset: one
  std::string topology;           // show: empty = every topology; reset: empty = the only one
  std::string to;
  std::string stream;
  std::string shard;
  bool rewind_tables = false;
  bool dry_run = false;
};

// Several directories: {"<topology>": {"offsets": {stream: {shard: seq}} (their union),
// "instances": [{"data", "instance", "instances", "batch_id", "time", "offsets", ...}]}}, one
// entry per directory that committed the topology. A shard checkpointed in two directories is an
// error: the instances' shards are disjoint.
Result<nlohmann::ordered_json> ShowSeveral(const OffsetsFlags& f,
                                           const std::vector<std::string>& dirs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  // topology -> stream -> shard -> the directory holding it
  std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> where;
  for (const std::string& dir : dirs) {
    auto store = ProcessorStore::Open(dir, /*read_only=*/true);
    if (!store.ok()) return store.status().WithContext("'" + dir + "'");
    ASSIGN_OR_RETURN(std::vector<BatchRecord> records, (*store)->ListOffsets());
    ASSIGN_OR_RETURN(std::optional<InstanceSplit> split, ReadInstanceMarker(dir));
    for (const auto& r : records) {
      if (!f.topology.empty() && r.topology != f.topology) continue;
      nlohmann::ordered_json& topology = out[r.topology];
      if (!topology.contains("offsets")) topology["offsets"] = nlohmann::ordered_json::object();
      for (const auto& [stream, shards] : r.offsets) {
        for (const auto& [shard, offset] : shards) {
          auto [it, added] = where[r.topology][stream].emplace(shard, dir);
          if (!added) {
            return Status::InvalidArgument("topology '" + r.topology + "': " + stream + " " +
                                           shard + " is checkpointed in both '" + it->second +
                                           "' and '" + dir +
                                           "': they are not instances of one split");
          }
          topology["offsets"][stream][shard] = offset;
        }
      }
      nlohmann::ordered_json instance;
      instance["data"] = dir;
      if (split) {
        instance["instance"] = split->instance;
        instance["instances"] = split->instances;
      }
      instance.update(r.ToJson());
      topology["instances"].push_back(std::move(instance));
    }
  }
  return out;
}

// {"<topology>": {"batch_id", "time", "offsets": {stream: {shard: seq}}, "tables": {...}}}
Status Show(const OffsetsFlags& f) {
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, ExpandDataDirs(f.data));
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (dirs.size() > 1) {
    ASSIGN_OR_RETURN(out, ShowSeveral(f, dirs));
  } else {
    ASSIGN_OR_RETURN(auto store, ProcessorStore::Open(dirs.front(), /*read_only=*/true));
    ASSIGN_OR_RETURN(std::vector<BatchRecord> records, store->ListOffsets());
    for (const auto& r : records) {
      if (f.topology.empty() || r.topology == f.topology) out[r.topology] = r.ToJson();
    }
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
  if (f.data.size() != 1) {
    return Status::InvalidArgument("offsets reset moves one --data directory's offsets");
  }
  const std::string& data = f.data.front();
  ResetRequest request;
  request.topology = f.topology;
  ASSIGN_OR_RETURN(request.to, ParseResetPosition(f.to));
  request.stream = f.stream;
  request.shard = f.shard;
  request.rewind_tables = f.rewind_tables;
  ProcessorStore::Options options;
  options.path = data;
  options.read_only = f.dry_run;
  options.sync = true;  // a reset is rare and must not be lost
  if (!f.dry_run && !std::filesystem::exists(std::filesystem::path(data) / "CURRENT")) {
    return Status::ResourceNotFound("no processor store at '" + data + "'");
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
  show->add_option("--data", f->data,
                   "the processor's data directory; given several times (or as a pattern, e.g. "
                   "'out/instance-*'), the instances of one topology: their offsets as one "
                   "document, per directory and as the union of their (disjoint) shards")
      ->required()
      ->allow_extra_args(false);
  show->add_option("--topology", f->topology, "only this topology");
  show->callback([=] { *action = [f] { return Show(*f); }; });

  auto* reset = offsets->add_subcommand(
      "reset",
      "move a topology's offsets (all shards, one stream, or one shard); with --rewind-tables its "
      "tables and operator state go back to the newest batch not past the new position, and "
      "every shard resumes from that batch, so that a replay rebuilds the same tables. Stop "
      "the processor first");
  reset->add_option("--data", f->data, "the processor's data directory")
      ->required()
      ->allow_extra_args(false);
  reset
      ->add_option("--to", f->to,
                   "trim-horizon, latest, seq:N (from sequence number N, inclusive; a Kinesis "
                   "source's N needs --shard) or timestamp:ISO8601 (from records that arrived at "
                   "or after it)")
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
