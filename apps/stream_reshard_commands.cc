// `pinstream stream split|merge|scale`: Kinesis's resharding actions, sent to the broker as
// JSON; each prints the stream's shards as they are after it.
#include <functional>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "common/hash_key.h"

namespace pinstream::cli {

namespace {

using json = nlohmann::json;

struct ReshardFlags {
  std::string broker = kDefaultBroker;
  std::string api_key_file;
  std::string name;
  std::string shard;
  std::string adjacent;
  std::string at;  // SplitShard's NewStartingHashKey; empty: the middle of the shard's range
  int64_t count = 0;
};

Result<json> AllShards(StreamClient& client, const std::string& name) {
  json shards = json::array();
  json request = {{"StreamName", name}};
  for (;;) {
    ASSIGN_OR_RETURN(json page, client.Call("ListShards", request));
    for (const auto& s : page.value("Shards", json::array())) shards.push_back(s);
    if (!page.contains("NextToken")) return shards;
    request = {{"NextToken", page["NextToken"]}};
  }
}

// The middle of a shard's hash range: a split there halves its share of the keys.
Result<std::string> MiddleOf(StreamClient& client, const std::string& name,
                             const std::string& shard_id) {
  ASSIGN_OR_RETURN(std::vector<ShardDescription> shards, client.ListShards(name));
  for (const auto& s : shards) {
    if (ShardIdFromIndex(s.index) != shard_id) continue;
    return HashKeyToString(s.starting_hash_key + (s.ending_hash_key - s.starting_hash_key) / 2 + 1);
  }
  return Status::ResourceNotFound("no shard " + shard_id + " in stream " + name);
}

// Sends `action` (its request made by `request`, which may ask the broker), then prints the
// stream's shards.
Status Reshard(const ReshardFlags& f, const char* action,
               const std::function<Result<json>(StreamClient&)>& request) {
  ASSIGN_OR_RETURN(auto conn, ConnectBroker(f.broker, f.api_key_file));
  StreamClient& client = *conn->client;
  ASSIGN_OR_RETURN(json body, request(client));
  ASSIGN_OR_RETURN(json reply, client.Call(action, body));
  ASSIGN_OR_RETURN(json shards, AllShards(client, f.name));
  json out = {{"StreamName", f.name}, {"Shards", shards}};
  if (reply.contains("TargetShardCount")) out["TargetShardCount"] = reply["TargetShardCount"];
  PrintJson(out);
  return Status::OK();
}

}  // namespace

void AddStreamReshardCommands(CLI::App* stream, Action* action) {
  auto f = std::make_shared<ReshardFlags>();
  auto add = [&](const char* name, const char* help) {
    auto* cmd = stream->add_subcommand(name, help);
    cmd->add_option("--broker", f->broker,
                    "broker endpoint (default: $PINSTREAM_BROKER, else this)")
        ->envname("PINSTREAM_BROKER")
        ->capture_default_str();
    AddApiKeyFileOption(cmd, &f->api_key_file);
    cmd->add_option("name", f->name, "stream name")->required();
    return cmd;
  };

  auto* split = add("split", "SplitShard: close a shard and give its hash keys to two children");
  split->add_option("shard", f->shard, "the shard to split, e.g. shardId-000000000000")->required();
  split->add_option("--at", f->at,
                    "NewStartingHashKey, the second child's first hash key (default: the "
                    "middle of the shard's range)");
  split->callback([action, f] {
    *action = [f] {
      return Reshard(*f, "SplitShard", [&f](StreamClient& client) -> Result<json> {
        json request = {{"StreamName", f->name}, {"ShardToSplit", f->shard}};
        if (!f->at.empty()) {
          request["NewStartingHashKey"] = f->at;
        } else {
          ASSIGN_OR_RETURN(request["NewStartingHashKey"], MiddleOf(client, f->name, f->shard));
        }
        return request;
      });
    };
  });

  auto* merge = add("merge", "MergeShards: close two adjacent shards and open one over both");
  merge->add_option("shard", f->shard, "ShardToMerge")->required();
  merge->add_option("adjacent", f->adjacent, "AdjacentShardToMerge")->required();
  merge->callback([action, f] {
    *action = [f] {
      return Reshard(*f, "MergeShards", [&f](StreamClient&) -> Result<json> {
        return json{{"StreamName", f->name},
                    {"ShardToMerge", f->shard},
                    {"AdjacentShardToMerge", f->adjacent}};
      });
    };
  });

  auto* scale = add("scale",
                    "UpdateShardCount (UNIFORM_SCALING): between half and double the "
                    "open shards");
  scale->add_option("count", f->count, "TargetShardCount")->required()->check(CLI::PositiveNumber);
  scale->callback([action, f] {
    *action = [f] {
      return Reshard(*f, "UpdateShardCount", [&f](StreamClient&) -> Result<json> {
        return json{{"StreamName", f->name},
                    {"TargetShardCount", f->count},
                    {"ScalingType", "UNIFORM_SCALING"}};
      });
    };
  });
}

}  // namespace pinstream::cli
