// Resharding as Kinesis does it: SplitShard, MergeShards and UpdateShardCount on the store and
// through KinesisApi; lineage, closed shards, ChildShards at a parent's end, stream states.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/hash_key.h"
#include "stream/kinesis_api.h"
#include "stream/reshard_plan.h"
#include "stream/stream_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using json = nlohmann::json;

constexpr int64_t kStartMs = 1'700'000'000'000;

class ReshardTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(int64_t create_ms = 0, int64_t update_ms = 0, int64_t delete_ms = 0) {
    api_.reset();
    store_.reset();
    StreamStore::Options options;
    options.path = dir_.Sub("db");
    options.clock = &clock_;
    options.write_buffer_bytes = size_t{8} << 20;
    options.create_stream_ms = create_ms;
    options.update_stream_ms = update_ms;
    options.delete_stream_ms = delete_ms;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    api_ = std::make_unique<KinesisApi>(store_.get());
  }

  json Call(std::string_view action, const json& request) {
    auto r = api_->Call(action, request);
    EXPECT_TRUE(r.ok()) << action << ": " << r.status().ToString();
    return r.ok() ? *r : json();
  }

  Status CallStatus(std::string_view action, const json& request) {
    return api_->Call(action, request).status();
  }

  // Puts one record per key; the shard each went to, by key.
  std::map<std::string, uint32_t> Put(const std::string& stream,
                                      const std::vector<std::string>& keys) {
    std::vector<std::string> data;  // PutEntry borrows it
    for (const auto& k : keys) data.push_back("data-" + k);
    std::vector<PutEntry> entries;
    for (size_t i = 0; i < keys.size(); ++i) {
      entries.push_back(PutEntry{keys[i], data[i], std::nullopt});
    }
    std::vector<PutResult> results;
    EXPECT_OK(store_->PutRecords(stream, entries, &results));
    std::map<std::string, uint32_t> shard_of;
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_TRUE(results[i].status.ok()) << results[i].status.ToString();
      shard_of[keys[i]] = results[i].sequence_number.shard_index;
    }
    return shard_of;
  }

  // Reads a shard from TRIM_HORIZON to its end (or the newest record): data, and the result of
  // the last read.
  std::vector<std::string> ReadShard(const std::string& stream, uint32_t shard,
                                     GetRecordsResult* last = nullptr) {
    std::vector<std::string> out;
    auto it = store_->GetShardIterator(stream, ShardIdFromIndex(shard),
                                       IteratorPosition{IteratorType::kTrimHorizon, "", 0});
    EXPECT_TRUE(it.ok()) << it.status().ToString();
    if (!it.ok()) return out;
    std::string iterator = *it;
    for (int i = 0; i < 100; ++i) {
      size_t before = out.size();
      auto r = store_->GetRecords(iterator, 2,
                                  [&](const RecordView& rec) { out.emplace_back(rec.data); });
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      if (last) *last = *r;
      if (r->shard_end() || out.size() == before) break;
      iterator = r->next_iterator;
    }
    return out;
  }

  std::vector<std::string> Keys(int n, const std::string& prefix = "k") {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back(prefix + std::to_string(i));
    return keys;
  }

  testing::TempDir dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<StreamStore> store_;
  std::unique_ptr<KinesisApi> api_;
};

// --- Plans ----------------------------------------------------------------------------------

StreamDescription Uniform(uint32_t n) {
  StreamDescription d;
  d.name = "s";
  for (uint32_t i = 0; i < n; ++i) {
    ShardDescription s;
    s.index = i;
    std::tie(s.starting_hash_key, s.ending_hash_key) = UniformHashRange(i, n);
    d.shards.push_back(s);
  }
  return d;
}

// Applies a plan to a description as the store does, for checking plans alone.
void Apply(StreamDescription* d, const ReshardPlan& plan) {
  for (uint32_t c : plan.close) d->shards[c].ending_counter = 0;
  for (const auto& s : plan.created) d->shards.push_back(s);
}

// The open shards tile [0, 2^128) without gaps or overlaps.
void ExpectTiling(const StreamDescription& d) {
  std::vector<const ShardDescription*> open;
  for (const auto& s : d.shards) {
    if (s.open()) open.push_back(&s);
  }
  std::sort(open.begin(), open.end(),
            [](auto* a, auto* b) { return a->starting_hash_key < b->starting_hash_key; });
  ASSERT_FALSE(open.empty());
  EXPECT_EQ(open.front()->starting_hash_key, HashKey{0});
  EXPECT_EQ(open.back()->ending_hash_key, kMaxHashKey);
  for (size_t i = 1; i < open.size(); ++i) {
    EXPECT_EQ(open[i - 1]->ending_hash_key + 1, open[i]->starting_hash_key);
  }
}

TEST(ReshardPlanTest, UniformScalingEndsUniformWithAtMostTwoParentsEach) {
  for (auto [from, to] : std::vector<std::pair<uint32_t, uint32_t>>{
           {1, 2}, {2, 4}, {3, 5}, {4, 3}, {4, 2}, {5, 3}, {6, 7}, {7, 4}, {8, 8}}) {
    StreamDescription d = Uniform(from);
    auto plan = PlanUniformScaling(d, to);
    ASSERT_TRUE(plan.ok()) << from << "->" << to << ": " << plan.status().ToString();
    Apply(&d, *plan);
    ExpectTiling(d);
    std::vector<const ShardDescription*> open;
    for (const auto& s : d.shards) {
      if (s.open()) open.push_back(&s);
    }
    ASSERT_EQ(open.size(), to) << from << "->" << to;
    std::sort(open.begin(), open.end(),
              [](auto* a, auto* b) { return a->starting_hash_key < b->starting_hash_key; });
    for (uint32_t i = 0; i < to; ++i) {
      auto [start, end] = UniformHashRange(i, to);
      EXPECT_EQ(open[i]->starting_hash_key, start) << from << "->" << to << " shard " << i;
      EXPECT_EQ(open[i]->ending_hash_key, end);
    }
    // Every created shard's parents are shards that existed before it, and every shard that
    // closed has children.
    for (const auto& s : d.shards) {
      if (s.parent) {
        EXPECT_LT(*s.parent, s.index);
      }
      if (s.adjacent_parent) {
        EXPECT_LT(*s.adjacent_parent, s.index);
      }
      if (!s.open()) {
        bool has_child = std::any_of(d.shards.begin(), d.shards.end(), [&](const auto& c) {
          return c.parent == s.index || c.adjacent_parent == s.index;
        });
        EXPECT_TRUE(has_child) << from << "->" << to << " shard " << s.index;
      }
    }
  }
}

TEST(ReshardPlanTest, UniformScalingRefusesMoreThanDoubleOrLessThanHalf) {
  auto up = PlanUniformScaling(Uniform(2), 5);
  EXPECT_EQ(up.status().code(), Status::Code::kLimitExceeded);
  EXPECT_EQ(up.status().message(),
            "UpdateShardCount cannot scale up over double your current open shard count. "
            "Current open shard count: 2 Target shard count: 5");
  auto down = PlanUniformScaling(Uniform(5), 2);
  EXPECT_EQ(down.status().code(), Status::Code::kLimitExceeded);
  EXPECT_TRUE(PlanUniformScaling(Uniform(5), 3).ok());
}

TEST(ReshardPlanTest, SplitAndMergeCheckTheirShardsAsKinesisDoes) {
  StreamDescription d = Uniform(2);
  auto bad_key = PlanSplit(d, "shardId-000000000000", "1");
  EXPECT_EQ(bad_key.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad_key.status().message().find("is not both greater than one plus the shard's "
                                            "StartingHashKey 0"),
            std::string::npos)
      << bad_key.status().message();
  EXPECT_EQ(PlanSplit(d, "shardId-000000000007", "100").status().message(),
            "Could not find shard shardId-000000000007 in stream s under account 000000000000.");
  auto split = PlanSplit(d, "shardId-000000000000", "1000");
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_EQ(split->created.size(), 2u);
  EXPECT_EQ(split->created[0].index, 2u);
  EXPECT_EQ(split->created[0].ending_hash_key, HashKey{999});
  EXPECT_EQ(split->created[1].starting_hash_key, HashKey{1000});
  EXPECT_EQ(split->created[1].parent, 0u);
  Apply(&d, *split);
  EXPECT_EQ(PlanSplit(d, "shardId-000000000000", "1000").status().message(),
            "Shard shardId-000000000000 in stream s under account 000000000000 has already been "
            "merged or split, and thus is not eligible for splitting.");
  // Shards 2 ([0, 999]) and 1 (the upper half) do not touch; 3 and 1 do.
  EXPECT_EQ(PlanMerge(d, "shardId-000000000002", "shardId-000000000001").status().message(),
            "Shards shardId-000000000002 and shardId-000000000001 in stream s under account "
            "000000000000 are not an adjacent pair of shards eligible for merging");
  auto merge = PlanMerge(d, "shardId-000000000001", "shardId-000000000003");
  ASSERT_TRUE(merge.ok()) << merge.status().ToString();
  ASSERT_EQ(merge->created.size(), 1u);
  EXPECT_EQ(merge->created[0].parent, 1u);
  EXPECT_EQ(merge->created[0].adjacent_parent, 3u);
  EXPECT_EQ(merge->created[0].starting_hash_key, HashKey{1000});
  EXPECT_EQ(merge->created[0].ending_hash_key, kMaxHashKey);
}

// --- The store ------------------------------------------------------------------------------

TEST_F(ReshardTest, SplitClosesTheParentAndRoutesItsKeysToTheChildren) {
  ASSERT_OK(store_->CreateStream("s", 1));
  const auto keys = Keys(40);
  Put("s", keys);
  ASSERT_OK(store_->Reshard("s", [](const StreamDescription& d) {
    return PlanSplit(d, "shardId-000000000000", HashKeyToString(kMaxHashKey / 2 + 1));
  }));
  StreamDescription d = *store_->DescribeStream("s");
  ASSERT_EQ(d.shards.size(), 3u);
  EXPECT_FALSE(d.shards[0].open());
  EXPECT_EQ(d.shards[0].ending_counter, 40u);
  EXPECT_EQ(d.shards[1].parent, 0u);
  EXPECT_EQ(d.shards[2].parent, 0u);
  EXPECT_EQ(d.open_shard_count(), 2u);

  // New records go to the children by hash, none to the closed parent.
  auto after = Put("s", Keys(40, "later"));
  for (const auto& [key, shard] : after) {
    const HashKey h = PartitionKeyHash(key);
    EXPECT_EQ(shard, h <= kMaxHashKey / 2 ? 1u : 2u) << key;
  }
  EXPECT_EQ(store_->DescribeStream("s")->shards[0].last_counter, 40u);

  // The parent reads to its end, then says so with its children.
  GetRecordsResult last;
  EXPECT_EQ(ReadShard("s", 0, &last).size(), 40u);
  ASSERT_TRUE(last.shard_end());
  ASSERT_EQ(last.child_shards.size(), 2u);
  EXPECT_EQ(last.child_shards[0].index, 1u);
  EXPECT_EQ(last.child_shards[0].parents, std::vector<uint32_t>{0});
  EXPECT_EQ(ReadShard("s", 1).size() + ReadShard("s", 2).size(), 40u);

  // The lineage survives a restart, and the parent stays closed.
  Open();
  d = *store_->DescribeStream("s");
  ASSERT_EQ(d.shards.size(), 3u);
  EXPECT_EQ(d.shards[0].ending_counter, 40u);
  EXPECT_EQ(d.shards[2].parent, 0u);
  auto again = Put("s", {"k1"});
  EXPECT_NE(again["k1"], 0u);
}

TEST_F(ReshardTest, AnEmptyClosedShardEndsAtOnce) {
  ASSERT_OK(store_->CreateStream("s", 2));
  ASSERT_OK(store_->Reshard("s", [](const StreamDescription& d) {
    return PlanMerge(d, "shardId-000000000000", "shardId-000000000001");
  }));
  GetRecordsResult last;
  EXPECT_TRUE(ReadShard("s", 1, &last).empty());
  ASSERT_TRUE(last.shard_end());
  ASSERT_EQ(last.child_shards.size(), 1u);
  EXPECT_EQ(last.child_shards[0].parents, (std::vector<uint32_t>{0, 1}));
  // LATEST on a closed shard is its end too.
  auto it = store_->GetShardIterator("s", "shardId-000000000000",
                                     IteratorPosition{IteratorType::kLatest, "", 0});
  ASSERT_TRUE(it.ok());
  auto r = store_->GetRecords(*it, 10, [](const RecordView&) {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->shard_end());
}

TEST_F(ReshardTest, UpdateShardCountUpAndDownKeepsEveryRecordReadableByLineage) {
  ASSERT_OK(store_->CreateStream("s", 2));
  std::set<std::string> written;
  int batch = 0;
  for (int target : {4, 3, 6, 3, 2}) {
    const auto keys = Keys(25, "b" + std::to_string(batch++) + "-");
    written.insert(keys.begin(), keys.end());
    Put("s", keys);
    json reply = Call(
        "UpdateShardCount",
        {{"StreamName", "s"}, {"TargetShardCount", target}, {"ScalingType", "UNIFORM_SCALING"}});
    EXPECT_EQ(reply["TargetShardCount"], target);
    EXPECT_EQ(store_->DescribeStream("s")->open_shard_count(), static_cast<size_t>(target));
  }
  // Every record is in exactly one shard, and a reader that follows ChildShards from the first
  // shards reaches every shard.
  std::set<std::string> read;
  std::set<uint32_t> visited;
  std::vector<uint32_t> todo = {0, 1};
  while (!todo.empty()) {
    uint32_t shard = todo.back();
    todo.pop_back();
    if (!visited.insert(shard).second) continue;
    GetRecordsResult last;
    for (const auto& d : ReadShard("s", shard, &last)) {
      EXPECT_TRUE(read.insert(d.substr(5)).second) << d << " in shard " << shard;
    }
    for (const auto& c : last.child_shards) todo.push_back(c.index);
  }
  EXPECT_EQ(read, written);
  EXPECT_EQ(visited.size(), store_->DescribeStream("s")->shards.size());
}

TEST_F(ReshardTest, ShardLimitCountsOpenShards) {
  StreamStore::Options options = store_->options();
  store_.reset();
  api_.reset();
  options.shard_limit = 3;
  auto store = StreamStore::Open(options);
  ASSERT_TRUE(store.ok());
  store_ = std::move(store).value();
  api_ = std::make_unique<KinesisApi>(store_.get());
  ASSERT_OK(store_->CreateStream("s", 2));
  ASSERT_OK(store_->Reshard("s", [](const StreamDescription& d) {
    return PlanSplit(d, "shardId-000000000000", "1000");
  }));
  Status s = CallStatus("SplitShard", {{"StreamName", "s"},
                                       {"ShardToSplit", "shardId-000000000002"},
                                       {"NewStartingHashKey", "500"}});
  EXPECT_EQ(s.code(), Status::Code::kLimitExceeded) << s.ToString();
  // A merge frees one.
  EXPECT_OK(CallStatus("MergeShards", {{"StreamName", "s"},
                                       {"ShardToMerge", "shardId-000000000002"},
                                       {"AdjacentShardToMerge", "shardId-000000000003"}}));
  EXPECT_EQ(store_->DescribeStream("s")->open_shard_count(), 2u);
}

// --- KinesisApi -----------------------------------------------------------------------------

TEST_F(ReshardTest, DescribeAndListShowLineageAndFilters) {
  Call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  Put("s", Keys(3));
  clock_.Advance(1000);
  Call("SplitShard", {{"StreamName", "s"},
                      {"ShardToSplit", "shardId-000000000000"},
                      {"NewStartingHashKey", "170141183460469231731687303715884105728"}});
  json shards = Call("ListShards", {{"StreamName", "s"}})["Shards"];
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_TRUE(shards[0]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  EXPECT_EQ(shards[1]["ParentShardId"], "shardId-000000000000");
  EXPECT_EQ(shards[1]["HashKeyRange"]["EndingHashKey"], "170141183460469231731687303715884105727");
  EXPECT_FALSE(shards[1]["SequenceNumberRange"].contains("EndingSequenceNumber"));

  auto ids = [&](const json& filter) {
    std::vector<std::string> out;
    const json page = Call("ListShards", {{"StreamName", "s"}, {"ShardFilter", filter}});
    for (const auto& s : page["Shards"]) out.push_back(s["ShardId"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({{"Type", "AT_LATEST"}}), (V{"shardId-000000000001", "shardId-000000000002"}));
  EXPECT_EQ(ids({{"Type", "AT_TRIM_HORIZON"}}), V{"shardId-000000000000"});
  EXPECT_EQ(ids({{"Type", "FROM_TRIM_HORIZON"}}).size(), 3u);
  EXPECT_EQ(ids({{"Type", "AT_TIMESTAMP"}, {"Timestamp", (kStartMs + 500) / 1000.0}}),
            V{"shardId-000000000000"});
  EXPECT_EQ(ids({{"Type", "FROM_TIMESTAMP"}, {"Timestamp", (kStartMs + 2000) / 1000.0}}),
            (V{"shardId-000000000001", "shardId-000000000002"}));

  json summary = Call("DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"];
  EXPECT_EQ(summary["OpenShardCount"], 2);

  // GetRecords at the parent's end: a null NextShardIterator and the ChildShards.
  json it = Call("GetShardIterator", {{"StreamName", "s"},
                                      {"ShardId", "shardId-000000000000"},
                                      {"ShardIteratorType", "TRIM_HORIZON"}});
  json page = Call("GetRecords", {{"ShardIterator", it["ShardIterator"]}});
  EXPECT_EQ(page["Records"].size(), 3u);
  EXPECT_TRUE(page["NextShardIterator"].is_null());
  ASSERT_EQ(page["ChildShards"].size(), 2u);
  EXPECT_EQ(page["ChildShards"][1]["ShardId"], "shardId-000000000002");
  EXPECT_EQ(page["ChildShards"][1]["ParentShards"], json::array({"shardId-000000000000"}));
}

TEST_F(ReshardTest, StreamsAreCreatingUpdatingAndDeletingForTheirDelays) {
  Open(/*create_ms=*/500, /*update_ms=*/300, /*delete_ms=*/200);
  auto status = [&] {
    return Call("DescribeStreamSummary",
                {{"StreamName", "s"}})["StreamDescriptionSummary"]["StreamStatus"]
        .get<std::string>();
  };
  Call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  EXPECT_EQ(status(), "CREATING");
  std::vector<PutResult> results;
  PutEntry e{"k", "v", std::nullopt};
  EXPECT_EQ(store_->PutRecords("s", std::span(&e, 1), &results).code(),
            Status::Code::kResourceNotFound);
  clock_.Advance(500);
  EXPECT_EQ(status(), "ACTIVE");
  EXPECT_OK(store_->PutRecords("s", std::span(&e, 1), &results));

  Call("UpdateShardCount",
       {{"StreamName", "s"}, {"TargetShardCount", 2}, {"ScalingType", "UNIFORM_SCALING"}});
  EXPECT_EQ(status(), "UPDATING");
  // Writes go on while UPDATING; another reshard waits.
  EXPECT_OK(store_->PutRecords("s", std::span(&e, 1), &results));
  Status busy = CallStatus("MergeShards", {{"StreamName", "s"},
                                           {"ShardToMerge", "shardId-000000000001"},
                                           {"AdjacentShardToMerge", "shardId-000000000002"}});
  EXPECT_EQ(busy.code(), Status::Code::kResourceInUse);
  EXPECT_EQ(busy.message(),
            "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING");
  clock_.Advance(300);
  EXPECT_EQ(status(), "ACTIVE");

  Call("DeleteStream", {{"StreamName", "s"}});
  EXPECT_EQ(status(), "DELETING");
  EXPECT_EQ(Call("ListStreams", json::object())["StreamNames"], json::array({"s"}));
  EXPECT_EQ(store_->CreateStream("s", 1).code(), Status::Code::kResourceInUse);
  EXPECT_EQ(store_->PutRecords("s", std::span(&e, 1), &results).code(),
            Status::Code::kResourceNotFound);
  clock_.Advance(200);
  EXPECT_EQ(CallStatus("DescribeStreamSummary", {{"StreamName", "s"}}).code(),
            Status::Code::kResourceNotFound);
  EXPECT_OK(store_->CreateStream("s", 1));
}

}  // namespace
}  // namespace pinstream
