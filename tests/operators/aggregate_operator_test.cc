// The global keyed aggregate: upserts of the groups a batch changed, grouping by several
// columns, incremental state (only changed entries written), and a cache much smaller than the
// state (groups evicted and read back) giving the same answers as a plain recomputation.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tests/operators/stream_test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::Dbl;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::RowText;
using testing::Str;
using testing::StreamHarness;
using testing::TempDir;

const Schema kInput({Col("country", Type::kString), Col("year", Type::kInt),
                     Col("category", Type::kString), Col("followers", Type::kInt)});

Row Post(std::string country, int64_t year, std::string category,
         std::optional<int64_t> followers) {
  return {Str(std::move(country)), Int(year), Str(std::move(category)),
          followers ? Int(*followers) : Null()};
}

std::string Text(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& r : rows) out += RowText(r) + "\n";
  return out;
}

class AggregateTest : public ::testing::Test {
 protected:
  TempDir dir_;
  StreamHarness h_{&dir_};
};

TEST_F(AggregateTest, UpsertsTheChangedGroupsOncePerBatch) {
  ASSERT_TRUE(h_.Build({{"op", "aggregate"},
                        {"group_by", {"country", "year"}},
                        {"aggregates",
                         {{"posts", "count"},
                          {"category", {{"mode", "category"}, {"count_as", "category_count"}}},
                          {"median_followers", {{"median", "followers"}}}}}},
                       kInput));
  EXPECT_TRUE(h_.op()->emits_updates());
  EXPECT_EQ(h_.built().output,
            Schema({Col("country", Type::kString), Col("year", Type::kInt),
                    Column{"posts", Type::kInt, Type::kNull, false}, Col("category", Type::kString),
                    Col("category_count", Type::kInt), Col("median_followers", Type::kDouble)}));
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 10)));
  ASSERT_OK(h_.Feed(Post("fr", 2020, "travel", 30)));
  ASSERT_OK(h_.Feed(Post("fr", 2021, "art", std::nullopt)));
  ASSERT_OK(h_.Feed(Post("de", 2020, "travel", 5)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({Row{Str("de"), Int(2020), Int(1), Str("travel"), Int(1), Dbl(5)},
                                   Row{Str("fr"), Int(2020), Int(2), Str("art"), Int(1), Dbl(20)},
                                   Row{Str("fr"), Int(2021), Int(1), Str("art"), Int(1), Null()}}));
  h_.FlushAndCommit();
  EXPECT_TRUE(h_.Take().empty());
  ASSERT_OK(h_.Feed(Post("fr", 2020, "travel", 40)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()),
            Text({Row{Str("fr"), Int(2020), Int(3), Str("travel"), Int(2), Dbl(30)}}));
  // After a restart the groups continue from the committed state.
  h_.Crash();
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 50)));
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 60)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()),
            Text({Row{Str("fr"), Int(2020), Int(5), Str("art"), Int(3), Dbl(40)}}));
}

TEST_F(AggregateTest, NoGroupByIsOneGroup) {
  ASSERT_TRUE(h_.Build({{"op", "aggregate"}, {"aggregates", {{"posts", "count"}}}}, kInput));
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 1)));
  ASSERT_OK(h_.Feed(Post("de", 2021, "art", 1)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({Row{Int(2)}}));
}

// A median's values are entries of their own: one key per distinct value, so that a batch
// writes the entries it changed, not the whole multiset.
TEST_F(AggregateTest, StateIsWrittenIncrementally) {
  ASSERT_TRUE(h_.Build({{"op", "aggregate"},
                        {"group_by", {"country"}},
                        {"aggregates", {{"median_followers", {{"median", "followers"}}}}}},
                       kInput));
  for (int i = 0; i < 1000; ++i) ASSERT_OK(h_.Feed(Post("fr", 2020, "art", i)));
  h_.FlushAndCommit();
  const uint64_t keys = h_.op()->state_stats().keys;
  EXPECT_EQ(keys, 1001u);  // the record + 1000 entries
  h_.Take();
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 5000)));
  ASSERT_OK(h_.Feed(Post("fr", 2020, "art", 3)));
  ASSERT_OK(h_.Flush());
  EXPECT_EQ(h_.op()->state_stats().keys, 1002u);  // 5000 is new; 3 now counts 2
  EXPECT_EQ(Text(h_.Take()), Text({Row{Str("fr"), Dbl(499.5)}}));
}

// A cache far smaller than the state: groups are evicted after write-back and read back from
// the store on their next row. Every batch's rows equal those of the same operator with a cache
// that holds everything.
TEST(AggregateCacheTest, EvictedGroupsAreReadBack) {
  const ojson config = {{"op", "aggregate"},
                        {"group_by", {"country"}},
                        {"aggregates",
                         {{"n", "count"},
                          {"med", {{"median", "followers"}}},
                          {"distinct", {{"count_distinct", "category"}}},
                          {"best", {{"arg_max", "category"}, {"by", "followers"}}}}}};
  ojson small = config;
  small["cache_mb"] = 1;
  TempDir dir, ref_dir;
  StreamHarness h(&dir), ref(&ref_dir);
  ASSERT_TRUE(h.Build(small, kInput));
  ASSERT_TRUE(ref.Build(config, kInput));
  std::mt19937 rng(5);
  constexpr int kGroups = 3000;  // ~30 entries each: several MiB of cached state
  for (int batch = 0; batch < 10; ++batch) {
    for (int i = 0; i < 5000; ++i) {
      Row row = Post("g" + std::to_string(rng() % kGroups), 2020, "c" + std::to_string(rng() % 50),
                     rng() % 100000);
      ASSERT_OK(h.Feed(row));
      ASSERT_OK(ref.Feed(std::move(row)));
    }
    h.FlushAndCommit();
    ref.FlushAndCommit();
    ASSERT_EQ(Text(h.Take()), Text(ref.Take())) << "batch " << batch;
  }
  const StateStats stats = h.op()->state_stats();
  EXPECT_LT(stats.cached_bytes, size_t{1} << 20);
  EXPECT_LT(stats.cached_groups, static_cast<uint64_t>(kGroups));
  EXPECT_EQ(ref.op()->state_stats().cached_groups, static_cast<uint64_t>(kGroups));
  EXPECT_EQ(stats.keys, ref.op()->state_stats().keys);
  EXPECT_EQ(stats.bytes, ref.op()->state_stats().bytes);
  EXPECT_GT(stats.keys, 50'000u);
}

TEST(AggregateConfigTest, Errors) {
  using Errors = std::vector<std::string>;
  auto errors = [](ojson config) {
    config["op"] = "aggregate";
    return testing::BuildOperator(config, kInput).errors;
  };
  EXPECT_EQ(errors({{"group_by", "country"}}),
            Errors{"/step: needs \"aggregates\": {\"output column\": \"count\" or {\"function\": "
                   "\"column\"}, ...}"});
  EXPECT_EQ(errors({{"group_by", {"country", "country"}}, {"aggregates", {{"n", "count"}}}}),
            Errors{"/step/group_by/1: column 'country' appears twice"});
  EXPECT_EQ(errors({{"aggregates", {{"n", "count"}}}, {"cache_mb", 0}}),
            Errors{"/step/cache_mb: must be a whole number of MiB, at least 1"});
  EXPECT_EQ(errors({{"aggregates", {{"n", "count"}}}, {"emit", "final"}}),
            Errors{"/step/emit: unknown option 'emit'"});
}

}  // namespace
}  // namespace pinstream

namespace pinstream {
namespace {

// "ttl": groups left alone for the ttl (in arrival time) leave the state at a batch end once the
// watermark passes, and a later row starts the group afresh, whether or not the cleanup ran.
TEST(AggregateTtlTest, IdleGroupsExpireAndStartAfresh) {
  constexpr int64_t kMinute = 60'000;
  TempDir dir;
  StreamHarness h(&dir);
  ASSERT_TRUE(h.Build(
      {{"op", "aggregate"},
       {"group_by", {"country"}},
       {"ttl", "1m"},
       {"aggregates", {{"posts", "count"}, {"median_followers", {{"median", "followers"}}}}}},
      kInput));
  h.op()->AddChannel(Channel{0, 0});
  ASSERT_OK(h.Feed(Post("fr", 2020, "art", 10), /*arrival_ms=*/0));
  ASSERT_OK(h.Feed(Post("fr", 2020, "art", 20), 30'000));  // extends fr to 1m30s
  ASSERT_OK(h.Feed(Post("de", 2020, "art", 5), 40'000));
  h.FlushAndCommit();
  EXPECT_EQ(Text(h.Take()),
            Text({Row{Str("de"), Int(1), Dbl(5)}, Row{Str("fr"), Int(2), Dbl(15)}}));
  // The groups' keys hold their encoded values; which groups have state shows in them.
  auto groups_in_state = [&h] {
    std::set<std::string> groups;
    for (const std::string& key : h.StateKeys()) {
      for (const char* g : {"fr", "de", "it"})
        if (key.find(g) != std::string::npos) groups.insert(g);
    }
    return groups;
  };
  EXPECT_EQ(groups_in_state(), (std::set<std::string>{"de", "fr"}));

  // At 1m35s the watermark has passed fr's end (30s + 1m) but not de's (40s + 1m)...
  ASSERT_OK(h.Feed(Post("it", 2020, "art", 1), kMinute + 35'000));
  h.FlushAndCommit();
  h.Take();
  // ... so fr is gone from the state; de and it stay.
  EXPECT_EQ(groups_in_state(), (std::set<std::string>{"de", "it"}));
  ASSERT_OK(h.Feed(Post("de", 2020, "art", 7), kMinute + 36'000));
  ASSERT_OK(h.Feed(Post("fr", 2020, "art", 30), kMinute + 37'000));
  h.FlushAndCommit();
  EXPECT_EQ(Text(h.Take()),
            Text({Row{Str("de"), Int(2), Dbl(6)}, Row{Str("fr"), Int(1), Dbl(30)}}));

  // Within one batch, with no cleanup in between: a row after the end still resets the group.
  ASSERT_OK(h.Feed(Post("de", 2020, "art", 100), 10 * kMinute));
  h.FlushAndCommit();
  EXPECT_EQ(Text(h.Take()), Text({Row{Str("de"), Int(1), Dbl(100)}}));
  // Every group but de (ends 11m) has expired and left the state.
  EXPECT_EQ(groups_in_state(), (std::set<std::string>{"de"}));

  auto bad = testing::BuildOperator(
      {{"op", "aggregate"}, {"ttl", "0s"}, {"aggregates", {{"n", "count"}}}}, kInput);
  EXPECT_EQ(bad.errors, (std::vector<std::string>{"/step/ttl: must be a positive duration"}));
}

}  // namespace
}  // namespace pinstream
