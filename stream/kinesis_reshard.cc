// KinesisApi's resharding actions: SplitShard, MergeShards and UpdateShardCount. The plans are
// stream/reshard_plan's; the store applies them (StreamStore::Reshard).
#include "stream/kinesis_api.h"
#include "stream/kinesis_arn.h"
#include "stream/kinesis_request.h"

namespace pinstream {

using json = nlohmann::json;

Result<json> KinesisApi::SplitShard(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(std::string_view shard, RequiredString(req, "ShardToSplit"));
  ASSIGN_OR_RETURN(std::string_view key, RequiredString(req, "NewStartingHashKey"));
  RETURN_IF_ERROR(
      store_->Reshard(name, [&](const StreamDescription& d) { return PlanSplit(d, shard, key); }));
  return json::object();
}

Result<json> KinesisApi::MergeShards(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(std::string_view shard, RequiredString(req, "ShardToMerge"));
  ASSIGN_OR_RETURN(std::string_view adjacent, RequiredString(req, "AdjacentShardToMerge"));
  RETURN_IF_ERROR(store_->Reshard(
      name, [&](const StreamDescription& d) { return PlanMerge(d, shard, adjacent); }));
  return json::object();
}

Result<json> KinesisApi::UpdateShardCount(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(int64_t target, OptionalInt(req, "TargetShardCount", 0));
  // UNIFORM_SCALING is the only type (the model's enum has checked it).
  ASSIGN_OR_RETURN(std::string_view scaling, RequiredString(req, "ScalingType"));
  (void)scaling;
  size_t current = 0;
  RETURN_IF_ERROR(store_->Reshard(name, [&](const StreamDescription& d) {
    current = d.open_shard_count();
    return PlanUniformScaling(d, target);
  }));
  return json{{"StreamName", std::string(name)},
              {"StreamARN", StreamArn(name)},
              {"CurrentShardCount", current},
              {"TargetShardCount", target}};
}

}  // namespace pinstream
