// dedup over a real ProcessorStore state namespace: first row of a key wins, later ones are
// dropped, and the keys seen survive Commit and a reopen (and vanish with an Abort); a null key
// is an error, not a repeat. With "within", keys expire by arrival or event time: a repeat
// after `within` is kept, the state shrinks at batch ends, and the expiry survives restarts.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/operators/stream_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::ApplyOperator;
using testing::BuildOperator;
using testing::Col;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::Str;
using testing::TempDir;

const Schema kSchema({Col("ind", Type::kInt), Col("name", Type::kString),
                      Col("other", Type::kString)});

class DedupTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = ProcessorStore::Open(dir_.Sub("store"), /*read_only=*/false);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }

  // A dedup on `key`, bound to the state namespace `op_id`.
  std::unique_ptr<Operator> MakeDedup(ojson key, const std::string& op_id = "pin/7") {
    auto built = BuildOperator({{"op", "dedup"}, {"key", std::move(key)}}, kSchema);
    EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
    if (!built.ok()) return nullptr;
    EXPECT_EQ(built.output, kSchema);
    EXPECT_TRUE(built.op->stateful());
    built.op->Bind(store_->State(op_id));
    return std::move(built.op);
  }

  // True when `op` keeps `row` (unchanged), false when it drops it.
  static bool Keeps(Operator& op, const Row& row) {
    auto out = ApplyOperator(op, row);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return false;
    if (out->has_value()) {
      EXPECT_EQ(**out, row);
    }
    return out->has_value();
  }

  void Commit() {
    Offsets offsets;
    offsets["s"]["shardId-000000000000"] = std::to_string(++commits_);
    auto batch = store_->Commit("dedup-test", Checkpoint{offsets, {}, {}});
    ASSERT_OK(batch.status());
  }

  TempDir dir_;
  std::unique_ptr<ProcessorStore> store_;
  int commits_ = 0;
};

TEST_F(DedupTest, FirstWinsWithinAndAcrossBatches) {
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("first"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("a"), Null()}));
  // The same batch sees its own keys (read-your-writes), whatever the other columns hold.
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("second"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("first"), Null()}));
  Commit();
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("third"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(2), Str("b"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("c"), Null()}));
  Commit();
}

TEST_F(DedupTest, StateSurvivesReopen) {
  {
    auto dedup = MakeDedup({"ind"});
    ASSERT_NE(dedup, nullptr);
    EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("x"), Null()}));
    EXPECT_TRUE(Keeps(*dedup, {Int(-5), Str("x"), Null()}));
    Commit();
  }
  Reopen();
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("again"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(-5), Str("again"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("new"), Null()}));
}

TEST_F(DedupTest, UncommittedKeysAreForgottenByAbortAndByACrash) {
  {
    auto dedup = MakeDedup({"ind"});
    ASSERT_NE(dedup, nullptr);
    EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("x"), Null()}));
    Commit();
    EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("x"), Null()}));
    store_->Abort();
    // The aborted batch's key is new again; the committed one is not.
    EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("y"), Null()}));
    EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("y"), Null()}));
    // Staged, never committed: closing the store loses it, as a kill -9 would.
    EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("x"), Null()}));
  }
  Reopen();
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("z"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("z"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("z"), Null()}));
}

TEST_F(DedupTest, NamespacesAreIsolated) {
  auto pin = MakeDedup({"ind"}, "pin/7");
  auto geo = MakeDedup({"ind"}, "geo/5");
  // An operator id that extends another's must not share its keys either.
  auto pin70 = MakeDedup({"ind"}, "pin/70");
  ASSERT_TRUE(pin && geo && pin70);
  EXPECT_TRUE(Keeps(*pin, {Int(1), Null(), Null()}));
  EXPECT_TRUE(Keeps(*geo, {Int(1), Null(), Null()}));
  EXPECT_TRUE(Keeps(*pin70, {Int(1), Null(), Null()}));
  Commit();
  EXPECT_FALSE(Keeps(*pin, {Int(1), Null(), Null()}));
  EXPECT_FALSE(Keeps(*geo, {Int(1), Null(), Null()}));
  EXPECT_FALSE(Keeps(*pin70, {Int(1), Null(), Null()}));
}

TEST_F(DedupTest, CompositeKeysAndNulls) {
  auto dedup = MakeDedup({"name", "other"});
  ASSERT_NE(dedup, nullptr);
  // Key parts are delimited: ("ab", "c") and ("a", "bc") are different keys.
  EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("ab"), Str("c")}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("a"), Str("bc")}));
  EXPECT_FALSE(Keeps(*dedup, {Int(3), Str("ab"), Str("c")}));
  // The empty string is a key value like any other.
  EXPECT_TRUE(Keeps(*dedup, {Int(6), Str(""), Str("c")}));
  EXPECT_FALSE(Keeps(*dedup, {Int(6), Str(""), Str("c")}));
  // Unicode and large keys.
  EXPECT_TRUE(Keeps(*dedup, {Int(7), Str("\xE2\x80\xA6\xC2\xA0"), Str(std::string(100000, 'k'))}));
  EXPECT_FALSE(Keeps(*dedup, {Int(8), Str("\xE2\x80\xA6\xC2\xA0"), Str(std::string(100000, 'k'))}));
  Commit();
  EXPECT_FALSE(Keeps(*dedup, {Int(9), Str("a"), Str("bc")}));
}

TEST_F(DedupTest, ANullKeyColumnIsAnErrorNotARepeat) {
  // A record without its key is no repeat of another record without one: each goes to the
  // dead letters (the error), none is swallowed, and nothing of them enters the state.
  auto dedup = MakeDedup({"ind", "name"});
  ASSERT_NE(dedup, nullptr);
  for (int i = 0; i < 2; ++i) {
    auto out = ApplyOperator(*dedup, {Null(), Str("x"), Null()});
    EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(out.status().message(), "dedup key column 'ind' is null");
    out = ApplyOperator(*dedup, {Int(1), Null(), Null()});
    EXPECT_EQ(out.status().message(), "dedup key column 'name' is null");
  }
  Commit();
  std::vector<std::string> keys;
  ASSERT_OK(store_->State("pin/7")->Scan("", "", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }));
  EXPECT_TRUE(keys.empty());
  EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("x"), Null()}));
}

TEST_F(DedupTest, UnboundIsAnInternalError) {
  auto built = BuildOperator({{"op", "dedup"}, {"key", "ind"}}, kSchema);
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  Row row{Int(1), Null(), Null()};
  bool keep = true;
  EXPECT_EQ(built.op->Apply(row, &keep).code(), Status::Code::kInternal);
}

// --- "within" ---------------------------------------------------------------------------------

using testing::kSecond;
using testing::StreamHarness;
using testing::Ts;

const Schema kTimedSchema({Col("ind", Type::kInt), Col("ts", Type::kTimestamp)});

class DedupWithinTest : public ::testing::Test {
 protected:
  bool Build(ojson config) {
    config["op"] = "dedup";
    if (!config.contains("key")) config["key"] = {"ind"};
    return h_.Build(config, kTimedSchema);
  }

  // Feeds `ind` arriving at `arrival_ms` on shard `shard`: true when the row was kept.
  bool Keeps(int64_t ind, int64_t arrival_ms, uint32_t shard = 0, Value ts = Value()) {
    h_.Take();
    Status s = h_.Feed({Int(ind), std::move(ts)}, arrival_ms, Channel{0, shard});
    EXPECT_OK(s);
    auto rows = h_.Take();
    EXPECT_LE(rows.size(), 1u);
    return rows.size() == 1;
  }

  uint64_t StatsKeys() { return h_.op()->state_stats().keys; }

  TempDir dir_;
  StreamHarness h_{&dir_, "pin/7"};
};

TEST_F(DedupWithinTest, ARepeatWithinIsDroppedAndOneAfterIsKept) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  EXPECT_TRUE(Keeps(1, 0));
  EXPECT_TRUE(Keeps(2, 3 * kSecond));
  EXPECT_FALSE(Keeps(1, 9999));
  // At first time + within the key has expired, whether or not a batch end has cleaned it up:
  // the row starts it afresh, and repeats are judged from there.
  EXPECT_TRUE(Keeps(1, 10 * kSecond));
  EXPECT_FALSE(Keeps(1, 15 * kSecond));
  EXPECT_FALSE(Keeps(2, 12 * kSecond));
  h_.FlushAndCommit();
  EXPECT_FALSE(Keeps(1, 19 * kSecond));
  EXPECT_TRUE(Keeps(1, 20 * kSecond));
  EXPECT_TRUE(Keeps(2, 13 * kSecond));
  h_.FlushAndCommit();
}

TEST_F(DedupWithinTest, TheStateShrinksAtBatchEnds) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  h_.op()->AddChannel(Channel{0, 0});
  for (int64_t i = 0; i < 100; ++i) EXPECT_TRUE(Keeps(i, i * kSecond));
  // A key record and an index entry per key.
  EXPECT_EQ(StatsKeys(), 200u);
  h_.FlushAndCommit();
  // The watermark is at 99 s: keys first seen at 89 s or before have expired, 90..99 s remain
  // (10 keys), and the watermark record.
  EXPECT_EQ(StatsKeys(), 2 * 10u + 1);
  EXPECT_EQ(h_.StateKeys().size(), StatsKeys());
  EXPECT_LT(h_.op()->state_stats().bytes, 21u * 40);
  // Expired keys are new again, kept ones still repeats.
  EXPECT_TRUE(Keeps(5, 100 * kSecond));
  EXPECT_FALSE(Keeps(95, 100 * kSecond));
  // A long stream with few distinct keys at a time stays small.
  for (int64_t i = 0; i < 1000; ++i) {
    Keeps(1000 + i, (200 + i) * kSecond);
    if (i % 50 == 0) h_.FlushAndCommit();
  }
  h_.FlushAndCommit();
  EXPECT_EQ(StatsKeys(), 2 * 10u + 1);
  EXPECT_EQ(h_.StateKeys().size(), StatsKeys());
}

TEST_F(DedupWithinTest, ARestartKeepsTheExpiry) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  EXPECT_TRUE(Keeps(1, 0));
  EXPECT_TRUE(Keeps(2, 5 * kSecond));
  h_.FlushAndCommit();
  EXPECT_TRUE(Keeps(3, 6 * kSecond));  // staged, never committed: lost with the crash
  h_.Crash();
  h_.op()->AddChannel(Channel{0, 0});
  // The committed first times came back: judged as before, and counted.
  EXPECT_FALSE(Keeps(1, 9 * kSecond));
  EXPECT_EQ(StatsKeys(), 2 * 2u + 1);
  EXPECT_FALSE(Keeps(2, 12 * kSecond));
  EXPECT_TRUE(Keeps(3, 12 * kSecond));
  EXPECT_TRUE(Keeps(1, 10 * kSecond));
  h_.FlushAndCommit();  // at a watermark of 12 s, nothing has expired yet
  h_.Crash();
  EXPECT_FALSE(Keeps(2, 14 * kSecond));
  EXPECT_TRUE(Keeps(2, 15 * kSecond));
  EXPECT_FALSE(Keeps(1, 19 * kSecond));
  EXPECT_FALSE(Keeps(3, 21 * kSecond));
  EXPECT_TRUE(Keeps(3, 22 * kSecond));
  h_.FlushAndCommit();
  // The watermark (22 s) expired key 1 (first at 10 s); keys 2 and 3 remain.
  EXPECT_EQ(StatsKeys(), 2 * 2u + 1);
  EXPECT_EQ(h_.StateKeys().size(), StatsKeys());
  EXPECT_TRUE(Keeps(1, 22 * kSecond));
}

TEST_F(DedupWithinTest, AnAbortedBatchIsForgotten) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  EXPECT_TRUE(Keeps(1, 0));
  h_.FlushAndCommit();
  const uint64_t committed = StatsKeys();
  EXPECT_TRUE(Keeps(2, kSecond));
  EXPECT_TRUE(Keeps(1, 11 * kSecond));
  h_.store()->Abort();
  h_.op()->DiscardCache();
  EXPECT_FALSE(Keeps(1, 2 * kSecond));
  EXPECT_EQ(StatsKeys(), committed);
  EXPECT_TRUE(Keeps(2, 2 * kSecond));
}

TEST_F(DedupWithinTest, ExpiryWaitsForEveryShardUntilItIsIdle) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  h_.op()->AddChannel(Channel{0, 0});
  h_.op()->AddChannel(Channel{0, 1});
  EXPECT_TRUE(Keeps(1, 0, 0));
  EXPECT_TRUE(Keeps(2, 100 * kSecond, 0));
  h_.FlushAndCommit(/*now_ms=*/0);
  // Shard 1 has sent nothing: it may still bring repeats of key 1, which stays.
  EXPECT_EQ(StatsKeys(), 2 * 2u + 1);
  h_.FlushAndCommit(/*now_ms=*/30 * kSecond);
  EXPECT_EQ(StatsKeys(), 2 * 2u + 1);
  // Silent for the idle timeout (a minute) while shard 0 sends: it no longer holds expiry back,
  // and key 1 leaves (key 2 and 3 remain).
  EXPECT_TRUE(Keeps(3, 101 * kSecond, 0));
  h_.FlushAndCommit(/*now_ms=*/61 * kSecond);
  EXPECT_EQ(StatsKeys(), 2 * 2u + 1);
  EXPECT_TRUE(Keeps(1, 101 * kSecond, 0));
  // Shard 1 speaks again: its rows are judged like any other.
  EXPECT_FALSE(Keeps(2, 105 * kSecond, 1));
  EXPECT_TRUE(Keeps(2, 110 * kSecond, 1));
}

TEST_F(DedupWithinTest, EventTimeWithMaxDelay) {
  ASSERT_TRUE(Build({{"within", "10s"}, {"time", "ts"}, {"max_delay", "5s"}}));
  h_.op()->AddChannel(Channel{0, 0});
  EXPECT_TRUE(Keeps(1, 0, 0, Ts(100 * kSecond)));
  // By the row's own time, not its arrival.
  EXPECT_FALSE(Keeps(1, 500 * kSecond, 0, Ts(109 * kSecond)));
  EXPECT_TRUE(Keeps(2, 500 * kSecond, 0, Ts(114 * kSecond)));
  h_.FlushAndCommit();
  // The watermark is 114 - 5 = 109 s: key 1 (expires at 110 s) stays for a row up to 5 s out of
  // order.
  EXPECT_FALSE(Keeps(1, 0, 0, Ts(109 * kSecond)));
  EXPECT_TRUE(Keeps(1, 0, 0, Ts(110 * kSecond)));
  // A null time: an error (the record goes to the dead letters), nothing applied.
  Status s = h_.Feed({Int(3), Value()}, 0, Channel{0, 0});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "dedup time column 'ts' is null");
  EXPECT_TRUE(Keeps(3, 0, 0, Ts(114 * kSecond)));
}

TEST_F(DedupWithinTest, ANullKeyColumnIsAnError) {
  ASSERT_TRUE(Build({{"within", "10s"}}));
  for (int i = 0; i < 2; ++i) {
    Status s = h_.Feed({Value(), Value()}, 0, Channel{0, 0});
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(s.message(), "dedup key column 'ind' is null");
  }
  EXPECT_TRUE(h_.Take().empty());
  h_.FlushAndCommit();
  EXPECT_EQ(h_.StateKeys(), std::vector<std::string>{"m"});  // the watermark record only
}

TEST_F(DedupWithinTest, KeysSeenBeforeWithinWasSetNeverExpire) {
  // A topology that adds "within" to a running dedup keeps the keys it had (stored without a
  // time): still repeats, for good; the new keys expire.
  {
    auto built = testing::BuildOperator({{"op", "dedup"}, {"key", {"ind"}}}, kTimedSchema);
    ASSERT_TRUE(built.ok());
    built.op->Bind(h_.store()->State("pin/7"));
    ASSERT_TRUE(testing::ApplyOperator(*built.op, {Int(1), Value()})->has_value());
    Checkpoint checkpoint;
    checkpoint.offsets["s"]["shardId-000000000000"] = "1";
    ASSERT_OK(h_.store()->Commit("dedup-test", checkpoint).status());
  }
  ASSERT_TRUE(Build({{"within", "10s"}}));
  h_.op()->AddChannel(Channel{0, 0});
  EXPECT_FALSE(Keeps(1, 1000 * kSecond));
  EXPECT_EQ(StatsKeys(), 1u);
  EXPECT_TRUE(Keeps(2, 1000 * kSecond));
  EXPECT_TRUE(Keeps(3, 2000 * kSecond));
  h_.FlushAndCommit();
  EXPECT_FALSE(Keeps(1, 3000 * kSecond));
  EXPECT_TRUE(Keeps(2, 3000 * kSecond));
  // And back without "within": every key stored, with or without a time, is a repeat.
  auto plain = testing::BuildOperator({{"op", "dedup"}, {"key", {"ind"}}}, kTimedSchema);
  ASSERT_TRUE(plain.ok());
  plain.op->Bind(h_.store()->State("pin/7"));
  for (int64_t ind : {1, 2, 3}) {
    EXPECT_FALSE(testing::ApplyOperator(*plain.op, {Int(ind), Value()})->has_value()) << ind;
  }
}

TEST_F(DedupWithinTest, WithoutWithinTheStateIsAsBefore) {
  // One key record per key, with an empty value: the layout data directories already hold.
  auto built = testing::BuildOperator({{"op", "dedup"}, {"key", {"ind"}}}, kTimedSchema);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built.op->stream(), nullptr);
  built.op->Bind(h_.store()->State("pin/7"));
  ASSERT_TRUE(testing::ApplyOperator(*built.op, {Int(7), Value()})->has_value());
  std::string encoded;
  Value::Int(7).EncodeTo(&encoded);
  std::vector<std::pair<std::string, std::string>> state;
  ASSERT_OK(h_.store()->State("pin/7")->Scan("", "", [&](std::string_view k, std::string_view v) {
    state.emplace_back(k, v);
    return true;
  }));
  EXPECT_EQ(state, (std::vector<std::pair<std::string, std::string>>{{encoded, ""}}));
}

TEST(DedupConfigTest, Errors) {
  using Errors = std::vector<std::string>;
  EXPECT_EQ(BuildOperator({{"op", "dedup"}}, kSchema).errors,
            Errors{"/step: missing option 'key'"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", {"ind", "nope"}}}, kSchema).errors,
            Errors{"/step/key/1: unknown column 'nope'"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", 5}}, kSchema).errors,
            Errors{"/step/key: must be a list of strings"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"ttl", "1h"}}, kSchema).errors,
            Errors{"/step/ttl: unknown option 'ttl'"});
  const Schema timed({Col("ind", Type::kInt), Col("ts", Type::kTimestamp)});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"within", "0s"}}, timed).errors,
            Errors{"/step/within: must be a positive duration"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"within", 5}}, timed).errors,
            Errors{"/step/within: must be a duration such as \"10s\", \"1m\" or \"500ms\""});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"time", "ts"}}, timed).errors,
            Errors{"/step/time: applies only with \"within\" (keys without it never expire)"});
  EXPECT_EQ(
      BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"within", "1h"}, {"time", "nope"}}, timed)
          .errors,
      Errors{"/step/time: unknown column 'nope'"});
  EXPECT_EQ(
      BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"within", "1h"}, {"time", "ind"}}, timed)
          .errors,
      Errors{"/step/time: 'ind' is int, not a timestamp"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"within", "1h"}, {"max_delay", "-1s"}},
                          timed)
                .errors,
            Errors{"/step/max_delay: invalid duration '-1s' (examples: 24h, 90m, 30s, 500ms, 7d)"});
  auto built = BuildOperator(
      {{"op", "dedup"}, {"key", "ind"}, {"within", "1h"}, {"time", "ApproximateArrivalTimestamp"}},
      timed);
  EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
}

}  // namespace
}  // namespace pinstream
