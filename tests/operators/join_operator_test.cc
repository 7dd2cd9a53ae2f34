// The join operator: the output schema and its checks, a row emitted when the last input's row
// arrives (in any order), the time bound, many-to-many versus "once", expiry into the unmatched
// table with the reason, late rows and null keys, watermarks over several channels, state
// cleanup and recovery after a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/operators/stream_test_util.h"

namespace pinstream {
namespace {

using testing::BuildOperator;
using testing::Col;
using testing::Int;
using testing::kSecond;
using testing::Null;
using testing::ojson;
using testing::RowText;
using testing::Str;
using testing::StreamHarness;
using testing::TempDir;

constexpr int64_t kMinute = 60 * kSecond;
constexpr uint32_t kPin = 0, kGeo = 1, kUser = 2;

const std::vector<NamedInput> kInputs = {
    {"pin", Schema({Col("ind", Type::kInt), Col("category", Type::kString)})},
    {"geo", Schema({Col("ind", Type::kInt), Col("country", Type::kString)})},
    {"user", Schema({Col("age", Type::kInt), Col("ind", Type::kInt)})},
};

ojson JoinConfig(ojson extra = ojson::object()) {
  ojson c = {{"op", "join"}, {"on", {"ind"}}, {"within", "1m"}, {"unmatched", "alone"}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

// Each input on a channel of its own: shard 0 of sources 0, 1, 2.
Channel ChannelOf(uint32_t input) { return Channel{input, 0}; }

class JoinTest : public ::testing::Test {
 protected:
  bool Build(ojson extra = ojson::object()) {
    if (!h_.Build(JoinConfig(std::move(extra)), kInputs[0].schema, kInputs)) return false;
    for (uint32_t i = 0; i < kInputs.size(); ++i) h_.op()->AddChannel(ChannelOf(i));
    return true;
  }
  // A row of `input` for `ind`, arriving at `at`.
  void Put(uint32_t input, int64_t ind, int64_t at) {
    Row row;
    switch (input) {
      case kPin:
        row = {Int(ind), Str("cat" + std::to_string(ind))};
        break;
      case kGeo:
        row = {Int(ind), Str("country" + std::to_string(ind))};
        break;
      default:
        row = {Int(20 + ind), Int(ind)};
    }
    ASSERT_OK(h_.Feed(std::move(row), at, ChannelOf(input), input));
  }
  std::vector<std::string> Joined() {
    std::vector<std::string> out;
    for (const Row& r : h_.Take()) out.push_back(RowText(r));
    return out;
  }

  TempDir dir_;
  StreamHarness h_{&dir_};
};

TEST_F(JoinTest, OutputIsTheKeyThenEveryInputsOtherColumns) {
  ASSERT_TRUE(Build());
  EXPECT_EQ(h_.built().output, Schema({Col("ind", Type::kInt), Col("category", Type::kString),
                                       Col("country", Type::kString), Col("age", Type::kInt)}));
  ASSERT_EQ(h_.built().sides.size(), 1u);
  EXPECT_EQ(h_.built().sides[0].table, "alone");
  std::vector<std::string> names;
  for (const auto& c : h_.built().sides[0].schema.columns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"unmatched_input", "ind", "unmatched_time",
                                             "unmatched_row", "unmatched_reason"}));
}

TEST_F(JoinTest, ConfigurationErrors) {
  auto errors = [](ojson config, const std::vector<NamedInput>* inputs = &kInputs) {
    return BuildOperator(config, kInputs[0].schema, inputs).errors;
  };
  using ::testing::ElementsAre;
  using ::testing::HasSubstr;
  EXPECT_THAT(errors(JoinConfig(), nullptr),
              ElementsAre(HasSubstr("starts a pipeline with several")));
  EXPECT_THAT(errors(JoinConfig({{"on", {"country"}}})),
              ElementsAre("/step/on: 'pin' has no column 'country'"));
  ojson no_within = JoinConfig();
  no_within.erase("within");
  EXPECT_THAT(errors(no_within), ElementsAre(HasSubstr("a join needs \"within\"")));
  ojson no_table = JoinConfig();
  no_table.erase("unmatched");
  EXPECT_THAT(errors(no_table), ElementsAre("/step: missing option 'unmatched'"));
  EXPECT_THAT(errors(JoinConfig({{"unmatched", "dead_letters"}})),
              ElementsAre(HasSubstr("not errors")));
  EXPECT_THAT(errors(JoinConfig({{"time", "ts"}})), ElementsAre(HasSubstr("/step/time: must be")));
  EXPECT_THAT(errors(JoinConfig({{"time", {{"pin", "category"}, {"geo", "x"}, {"usr", "age"}}}})),
              ElementsAre("/step/time/usr: 'usr' is not an input of this pipeline",
                          "/step/time/pin: 'category' of 'pin' is string, not a timestamp",
                          "/step/time/geo: 'geo' has no column 'x'",
                          "/step/time: names no timestamp column of 'user'"));
  EXPECT_THAT(errors(JoinConfig({{"once", "yes"}})),
              ElementsAre("/step/once: must be true or false"));

  std::vector<NamedInput> clash = kInputs;
  clash[1].schema = Schema({Col("ind", Type::kInt), Col("category", Type::kString)});
  EXPECT_THAT(errors(JoinConfig(), &clash),
              ElementsAre("/step: column 'category' of 'geo' is also in 'pin': rename or drop one "
                          "before the join"));
  std::vector<NamedInput> types = kInputs;
  types[2].schema = Schema({Col("ind", Type::kString)});
  EXPECT_THAT(errors(JoinConfig(), &types),
              ElementsAre("/step/on: key column 'ind' is string in 'user' but int in 'pin'"));
}

TEST_F(JoinTest, EmitsWhenTheLastInputArrivesInAnyOrder) {
  ASSERT_TRUE(Build());
  Put(kGeo, 1, 1000);
  Put(kUser, 2, 1000);
  Put(kUser, 1, 1100);
  EXPECT_TRUE(Joined().empty());
  Put(kPin, 1, 1200);
  EXPECT_EQ(Joined(), (std::vector<std::string>{R"([1,"cat1","country1",21])"}));
  h_.FlushAndCommit(0);
  Put(kPin, 2, 2000);  // across a commit: ind 2's user row waits in the store
  Put(kGeo, 2, 2000);
  EXPECT_EQ(Joined(), (std::vector<std::string>{R"([2,"cat2","country2",22])"}));
}

TEST_F(JoinTest, RowsJoinOnlyWithinTheBound) {
  ASSERT_TRUE(Build());
  Put(kPin, 1, 0);
  Put(kGeo, 1, kMinute);       // exactly the bound apart: joins
  Put(kUser, 1, kMinute + 1);  // but this is more than a minute after the pin row
  EXPECT_TRUE(Joined().empty());
  Put(kPin, 1, 30 * kSecond);  // a second pin row within a minute of both
  EXPECT_EQ(Joined(), (std::vector<std::string>{R"([1,"cat1","country1",21])"}));
}

TEST_F(JoinTest, EveryCombinationJoinsWithoutOnce) {
  ASSERT_TRUE(Build());
  Put(kPin, 1, 0);
  Put(kPin, 1, 10);
  Put(kGeo, 1, 20);
  EXPECT_TRUE(Joined().empty());
  Put(kUser, 1, 30);
  EXPECT_EQ(Joined().size(), 2u);  // both pin rows with the geo and the user row
  Put(kGeo, 1, 40);
  EXPECT_EQ(Joined().size(), 2u);  // the new geo row with both pin rows and the user row
  h_.FlushAndCommit();
  EXPECT_FALSE(h_.StateKeys().empty());  // they wait: later rows may join them too
}

TEST_F(JoinTest, OnceSpendsTheRowsOfAJoin) {
  ASSERT_TRUE(Build({{"once", true}}));
  Put(kPin, 1, 0);
  Put(kGeo, 1, 10);
  h_.FlushAndCommit();
  Put(kUser, 1, 20);
  EXPECT_EQ(Joined().size(), 1u);
  h_.FlushAndCommit();
  // Nothing of ind 1 is left, but the meta record (sizes, watermark).
  EXPECT_EQ(h_.StateKeys(), (std::vector<std::string>{"m"}));
  EXPECT_EQ(h_.op()->state_stats().keys, 1u);
  Put(kPin, 1, 30);
  Put(kUser, 1, 30);
  EXPECT_TRUE(Joined().empty()) << "the geo row was spent";
}

TEST_F(JoinTest, UnmatchedRowsExpireIntoTheirTableWithTheReason) {
  ASSERT_TRUE(Build({{"idle_timeout", "0s"}}));
  Put(kPin, 1, 0);
  Put(kGeo, 1, 0);
  Put(kPin, 2, 0);
  Put(kGeo, 2, 0);
  Put(kUser, 2, 0);
  EXPECT_EQ(Joined().size(), 1u);
  h_.FlushAndCommit();
  // Every channel moves past 0 + 1m: the watermark is then above the bound of ind 1's rows.
  Put(kPin, 3, kMinute + 1);
  Put(kGeo, 3, kMinute + 1);
  Put(kUser, 4, kMinute + 1);
  h_.FlushAndCommit();
  ASSERT_EQ(h_.out.side_rows.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Row& r = h_.out.side_rows[i];
    SCOPED_TRACE(RowText(r));
    EXPECT_EQ(r[0].as_string(), i == 0 ? "pin" : "geo");
    EXPECT_EQ(r[1], Int(1));
    EXPECT_EQ(r[2], Value::TimestampMs(0));
    EXPECT_EQ(r[3].as_string(),
              i == 0 ? R"({"ind":1,"category":"cat1"})" : R"({"ind":1,"country":"country1"})");
    EXPECT_EQ(r[4].as_string(),
              "no row of 'user' came with its key within 1m (it left the state when the "
              "watermark reached 1970-01-01T00:01:00.001Z)");
  }
  // ind 1 left the state; ind 3 and 4 wait (records and index entries), with the meta record.
  std::vector<std::string> keys = h_.StateKeys();
  EXPECT_EQ(keys.size(), 5u) << ::testing::PrintToString(keys);
  EXPECT_EQ(h_.op()->state_stats().keys, keys.size());
}

TEST_F(JoinTest, TheSlowestChannelHoldsExpiryBack) {
  ASSERT_TRUE(Build({{"idle_timeout", "10s"}}));
  Put(kPin, 1, 0);
  Put(kGeo, 1, 0);
  Put(kPin, 2, 5 * kMinute);
  Put(kGeo, 2, 5 * kMinute);
  h_.FlushAndCommit(/*now_ms=*/1000);  // the user channel has sent nothing: no watermark yet
  EXPECT_TRUE(h_.out.side_rows.empty());
  Put(kUser, 1, 10);  // the user channel is behind, and ind 1 still joins
  EXPECT_EQ(Joined().size(), 1u);
  h_.FlushAndCommit(2000);
  EXPECT_TRUE(h_.out.side_rows.empty());
  h_.FlushAndCommit(20'000);  // user silent for 10 s of processing time: idle
  Put(kPin, 3, 5 * kMinute);
  h_.FlushAndCommit(20'001);
  EXPECT_TRUE(h_.out.side_rows.empty()) << "ind 2's rows are within a minute of the watermark";
}

TEST_F(JoinTest, LateRowsAndNullKeysGoStraightToTheUnmatchedTable) {
  ASSERT_TRUE(Build({{"idle_timeout", "0s"}, {"once", true}}));
  for (uint32_t i : {kPin, kGeo, kUser}) Put(i, 10, 3 * kMinute);
  EXPECT_EQ(Joined().size(), 1u);
  Put(kGeo, 11, kMinute - 1);  // watermark 3m: more than a minute later
  ASSERT_OK(h_.Feed({Null(), Str("x")}, 3 * kMinute, ChannelOf(kPin), kPin));
  ASSERT_EQ(h_.out.side_rows.size(), 2u);
  EXPECT_EQ(h_.out.side_rows[0][4].as_string(),
            "late: its time 1970-01-01T00:00:59.999Z is more than 1m before the watermark "
            "1970-01-01T00:03:00Z, so its partners may have left the state");
  EXPECT_EQ(h_.out.side_rows[1][4].as_string(),
            "its key column 'ind' is null, and null joins nothing (as in SQL)");
  h_.FlushAndCommit();
  EXPECT_EQ(h_.StateKeys(), (std::vector<std::string>{"m"}));
}

TEST_F(JoinTest, EventTimeColumnsPerInput) {
  const std::vector<NamedInput> inputs = {
      {"a", Schema({Col("k", Type::kString), Col("ts_a", Type::kTimestamp)})},
      {"b", Schema({Col("k", Type::kString), Col("ts_b", Type::kTimestamp)})}};
  ASSERT_TRUE(h_.Build({{"op", "join"},
                        {"on", "k"},
                        {"within", "5s"},
                        {"time", {{"a", "ts_a"}, {"b", "ts_b"}}},
                        {"unmatched", "alone"}},
                       inputs[0].schema, inputs));
  auto ts = [](int64_t s) { return Value::TimestampMs(s * kSecond); };
  // Arrival times say nothing now; the columns do.
  ASSERT_OK(h_.Feed({Str("x"), ts(100)}, /*arrival_ms=*/0, ChannelOf(0), 0));
  ASSERT_OK(h_.Feed({Str("x"), ts(106)}, 0, ChannelOf(1), 1));
  EXPECT_TRUE(Joined().empty());
  ASSERT_OK(h_.Feed({Str("x"), ts(104)}, 0, ChannelOf(1), 1));
  EXPECT_EQ(Joined(),
            (std::vector<std::string>{R"(["x","1970-01-01T00:01:40Z","1970-01-01T00:01:44Z"])"}));
  Status null_time = h_.Feed({Str("x"), Null()}, 0, ChannelOf(0), 0);
  EXPECT_EQ(null_time.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(null_time.message(), ::testing::HasSubstr("'ts_a' is null"));
}

TEST_F(JoinTest, StateSurvivesACrashAndAnUncommittedBatchReplays) {
  ASSERT_TRUE(Build({{"once", true}}));
  Put(kPin, 1, 0);
  Put(kGeo, 1, 0);
  h_.FlushAndCommit();
  Put(kUser, 1, 5);  // joins, but the batch never commits
  EXPECT_EQ(Joined().size(), 1u);
  h_.Crash();
  for (uint32_t i = 0; i < kInputs.size(); ++i) h_.op()->AddChannel(ChannelOf(i));
  Put(kUser, 1, 5);  // the replay joins again with the committed rows
  EXPECT_EQ(Joined(), (std::vector<std::string>{R"([1,"cat1","country1",21])"}));
  h_.FlushAndCommit();
  EXPECT_EQ(h_.StateKeys(), (std::vector<std::string>{"m"}));
}

}  // namespace
}  // namespace pinstream
