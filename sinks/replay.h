#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sinks/processor_store.h"
#include "stream/stream_types.h"

namespace pinstream {

// The replay tool of SPEC §8 (`pinstream offsets reset`): moves a topology's checkpointed
// offsets, and with `rewind_tables` takes its tables and operator state back so that a replay
// rebuilds the same tables.
//
// Which batch to rewind to: the newest whose offsets are not past the new position in any
// selected shard (a batch is past it when it processed a record at or after the position). Its
// tables and state are what the topology had before it read anything at or after the position.
// Every shard then resumes from that batch's offsets, so nothing between them and the new
// position is skipped (tables hold none of it any more); the selected shards resume at the new
// position itself only when no batch was past it (nothing to rewind: the reset skips ahead).
struct ResetRequest {
  std::string topology;  // empty: the store's only topology
  IteratorPosition to;   // TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AT_TIMESTAMP
  std::string stream;    // empty: every stream of the checkpoint
  std::string shard;     // empty: every shard (of `stream`)
  bool rewind_tables = false;
};

// "trim-horizon", "latest", "seq:N" or "timestamp:ISO-8601", as `offsets reset --to` takes them.
Result<IteratorPosition> ParseResetPosition(std::string_view text);

struct ResetPlan {
  std::string topology;
  BatchRecord current;                            // the newest batch (batch_id 0: none yet)
  std::vector<std::string> shards;                // the selected shards, as "stream/shard"
  std::optional<int64_t> rewind_to;               // the batch to go back to (0: before the first)
  std::map<std::string, int64_t> table_versions;  // with rewind_to: the versions restored
  Checkpoint checkpoint;                          // the position after the reset

  // {"topology","rewind":null|{"to_batch","tables":{name:{"from","to"}}},
  //  "offsets":{"before":{...},"after":{...}}}
  nlohmann::ordered_json ToJson() const;
};

Result<ResetPlan> PlanReset(const ProcessorStore& store, const ResetRequest& request);

// Writes the plan (one atomic write): returns the id of the batch that records it.
Result<int64_t> ApplyReset(ProcessorStore* store, const ResetPlan& plan);

}  // namespace pinstream
