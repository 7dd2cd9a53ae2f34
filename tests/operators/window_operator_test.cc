// The window operator: tumbling boundaries, sliding overlaps, session gaps and merging,
// out-of-order and late records, watermarks over several shards with an idle one, final versus
// update emission, state cleanup after windows close, and recovery after a crash.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "operators/window_assigner.h"
#include "tests/operators/stream_test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::Int;
using testing::kSecond;
using testing::Null;
using testing::ojson;
using testing::RowText;
using testing::Str;
using testing::StreamHarness;
using testing::TempDir;
using testing::Ts;

const Schema kInput({Col("ts", Type::kTimestamp), Col("country", Type::kString),
                     Col("n", Type::kInt)});

Row Event(int64_t ms, std::string country = "fr", std::optional<int64_t> n = std::nullopt) {
  return {Ts(ms), Str(std::move(country)), n ? Int(*n) : Null()};
}

std::string Text(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& r : rows) out += RowText(r) + "\n";
  return out;
}

// A window step grouped by country, counting rows, with `extra` options.
ojson WindowConfig(ojson extra) {
  ojson c = {{"op", "window"},
             {"time", "ts"},
             {"group_by", {"country"}},
             {"aggregates", {{"rows", "count"}}}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

class WindowTest : public ::testing::Test {
 protected:
  TempDir dir_;
  StreamHarness h_{&dir_};
};

TEST_F(WindowTest, OutputSchema) {
  ASSERT_TRUE(
      h_.Build(WindowConfig({{"tumbling", "1m"},
                             {"aggregates", {{"rows", "count"}, {"median_n", {{"median", "n"}}}}}}),
               kInput));
  EXPECT_EQ(h_.built().output,
            Schema({Column{"window_start", Type::kTimestamp, Type::kNull, false},
                    Column{"window_end", Type::kTimestamp, Type::kNull, false},
                    Col("country", Type::kString), Column{"rows", Type::kInt, Type::kNull, false},
                    Col("median_n", Type::kDouble)}));
  EXPECT_FALSE(h_.op()->emits_updates());
  EXPECT_TRUE(h_.built().sides.empty());
}

TEST_F(WindowTest, TumblingBoundaryBelongsToTheNextWindow) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "1m"}}), kInput));
  ASSERT_OK(h_.Feed(Event(0)));
  ASSERT_OK(h_.Feed(Event(60 * kSecond - 1)));
  ASSERT_OK(h_.Feed(Event(60 * kSecond)));        // exactly the end of [0, 60s): the next window
  ASSERT_OK(h_.Feed(Event(61 * kSecond, "de")));  // watermark 61 s: [0, 60) closes
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(60 * kSecond), Str("fr"), Int(2)}}));
  ASSERT_OK(h_.Feed(Event(119 * kSecond)));
  h_.FlushAndCommit();
  EXPECT_TRUE(h_.Take().empty());            // final: nothing before the watermark reaches an end
  ASSERT_OK(h_.Feed(Event(120 * kSecond)));  // watermark 120 s = the end of [60, 120)
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(60 * kSecond), Ts(120 * kSecond), Str("de"), Int(1)},
                                   {Ts(60 * kSecond), Ts(120 * kSecond), Str("fr"), Int(2)}}));
}

TEST(WindowAssignerTest, WindowsOfAnEvent) {
  using W = std::vector<TimeWindow>;
  std::vector<TimeWindow> out;
  WindowSpec tumbling{WindowSpec::Kind::kTumbling, 10, 0, 0};
  tumbling.Assign(10, &out);
  EXPECT_EQ(out, (W{{10, 20}}));
  tumbling.Assign(9, &out);
  EXPECT_EQ(out, (W{{0, 10}}));
  tumbling.Assign(-1, &out);  // before 1970: floors, too
  EXPECT_EQ(out, (W{{-10, 0}}));
  WindowSpec sliding{WindowSpec::Kind::kSliding, 10, 4, 0};
  sliding.Assign(8, &out);
  EXPECT_EQ(out, (W{{0, 10}, {4, 14}, {8, 18}}));
  sliding.Assign(-3, &out);
  EXPECT_EQ(out, (W{{-12, -2}, {-8, 2}, {-4, 6}}));
  WindowSpec hopping{WindowSpec::Kind::kSliding, 10, 10, 0};  // slide = size: tumbling
  hopping.Assign(25, &out);
  EXPECT_EQ(out, (W{{20, 30}}));
  WindowSpec session{WindowSpec::Kind::kSession, 0, 0, 7};
  session.Assign(5, &out);
  EXPECT_EQ(out, (W{{5, 12}}));
}

TEST_F(WindowTest, SlidingWindowsOverlap) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"sliding", "10s"}, {"slide", "5s"}}), kInput));
  ASSERT_OK(h_.Feed(Event(7 * kSecond)));   // [0, 10) and [5, 15)
  ASSERT_OK(h_.Feed(Event(10 * kSecond)));  // [5, 15) and [10, 20), not [0, 10)
  ASSERT_OK(h_.Feed(Event(12 * kSecond)));  // [5, 15) and [10, 20)
  ASSERT_OK(h_.Feed(Event(100 * kSecond)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(10 * kSecond), Str("fr"), Int(1)},
                                   {Ts(5 * kSecond), Ts(15 * kSecond), Str("fr"), Int(3)},
                                   {Ts(10 * kSecond), Ts(20 * kSecond), Str("fr"), Int(2)}}));
}

TEST_F(WindowTest, SessionGapsAndMerging) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"session", "10s"}, {"max_delay", "30s"}}), kInput));
  ASSERT_OK(h_.Feed(Event(0)));
  ASSERT_OK(h_.Feed(Event(5 * kSecond)));   // within the gap: session [0, 15)
  ASSERT_OK(h_.Feed(Event(30 * kSecond)));  // a new session [30, 40)
  ASSERT_OK(h_.Feed(Event(20 * kSecond)));  // exactly a gap before 30: its own [20, 30)
  ASSERT_OK(h_.Feed(Event(0, "de")));       // another group, its own session
  h_.FlushAndCommit();
  // 14 s bridges [0, 15) and [20, 30): one session [0, 30) of four events.
  ASSERT_OK(h_.Feed(Event(14 * kSecond)));
  h_.FlushAndCommit();
  ASSERT_OK(h_.Feed(Event(1000 * kSecond, "xx")));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(10 * kSecond), Str("de"), Int(1)},
                                   {Ts(0), Ts(30 * kSecond), Str("fr"), Int(4)},
                                   {Ts(30 * kSecond), Ts(40 * kSecond), Str("fr"), Int(1)}}));
}

TEST_F(WindowTest, SessionExtendsBackwardsWithOutOfOrderEvents) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"session", "10s"}, {"max_delay", "30s"}}), kInput));
  ASSERT_OK(h_.Feed(Event(50 * kSecond)));
  ASSERT_OK(h_.Feed(Event(45 * kSecond)));  // earlier, overlapping: [45, 60)
  ASSERT_OK(h_.Feed(Event(38 * kSecond)));  // [38, 48) overlaps too: [38, 60)
  h_.FlushAndCommit();
  ASSERT_OK(h_.Feed(Event(200 * kSecond)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(38 * kSecond), Ts(60 * kSecond), Str("fr"), Int(3)}}));
}

TEST_F(WindowTest, ALateEventThatJoinsAnOpenSessionCounts) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"session", "10s"}, {"late", "late"}}), kInput));
  ASSERT_OK(h_.Feed(Event(100 * kSecond)));
  ASSERT_OK(h_.Feed(Event(105 * kSecond)));  // [100, 115), watermark 105 s
  // Its own window [92, 102) has closed, but it overlaps the open session: [92, 115).
  ASSERT_OK(h_.Feed(Event(92 * kSecond)));
  // [80, 90) has closed and overlaps nothing open: late.
  ASSERT_OK(h_.Feed(Event(80 * kSecond)));
  EXPECT_EQ(h_.out.side_rows.size(), 1u);
  ASSERT_OK(h_.Feed(Event(500 * kSecond)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(92 * kSecond), Ts(115 * kSecond), Str("fr"), Int(3)}}));
}

TEST_F(WindowTest, OutOfOrderWithinLatenessCountsAndLateGoesToTheLateTable) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "1m"},
                                     {"max_delay", "5s"},
                                     {"allowed_lateness", "10s"},
                                     {"late", "late_posts"}}),
                       kInput));
  ASSERT_EQ(h_.built().sides.size(), 1u);
  EXPECT_EQ(h_.built().sides[0].table, "late_posts");
  EXPECT_EQ(
      h_.built().sides[0].schema,
      Schema({Col("ts", Type::kTimestamp), Col("country", Type::kString), Col("n", Type::kInt),
              Column{"late_watermark", Type::kTimestamp, Type::kNull, false},
              Column{"late_reason", Type::kString, Type::kNull, false}}));
  ASSERT_OK(h_.Feed(Event(10 * kSecond)));
  ASSERT_OK(h_.Feed(Event(65 * kSecond)));  // watermark 60 s
  ASSERT_OK(h_.Feed(Event(30 * kSecond)));  // out of order: [0, 60) is open until 70 s
  h_.FlushAndCommit();
  EXPECT_TRUE(h_.Take().empty());
  ASSERT_OK(h_.Feed(Event(74 * kSecond)));  // watermark 69 s: still open
  ASSERT_OK(h_.Feed(Event(59 * kSecond)));
  ASSERT_OK(h_.Feed(Event(75 * kSecond)));           // watermark 70 s = end + lateness: closed
  ASSERT_OK(h_.Feed(Event(59 * kSecond, "fr", 7)));  // late
  ASSERT_OK(h_.Feed(Event(60 * kSecond)));           // the next window: not late
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(60 * kSecond), Str("fr"), Int(3)}}));
  ASSERT_EQ(h_.out.side_rows.size(), 1u);
  const Row& late = h_.out.side_rows[0];
  ASSERT_EQ(late.size(), 5u);
  EXPECT_EQ(Row(late.begin(), late.begin() + 4),
            (Row{Ts(59 * kSecond), Str("fr"), Int(7), Ts(70 * kSecond)}));
  EXPECT_EQ(late[4].as_string(),
            "event time 1970-01-01T00:00:59Z is late: its window [1970-01-01T00:00:00Z, "
            "1970-01-01T00:01:00Z) closed when the watermark passed its end + allowed lateness "
            "10s (watermark 1970-01-01T00:01:10Z)");
}

TEST_F(WindowTest, LateWithoutALateTableIsADeadLetter) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "10s"}}), kInput));
  ASSERT_OK(h_.Feed(Event(100 * kSecond)));
  Status s = h_.Feed(Event(5 * kSecond));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("is late"), std::string::npos) << s.ToString();
  // A null event time cannot be windowed: an error too, never a silent drop.
  s = h_.Feed({Null(), Str("fr"), Null()});
  EXPECT_EQ(s.ToString(),
            "InvalidArgumentException: column 'ts' is null: a window needs the time of every "
            "record");
}

TEST_F(WindowTest, WatermarkIsTheMinimumOverShardsAndIdleShardsStopHoldingIt) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "10s"}, {"idle_timeout", "1m"}}), kInput));
  const Channel a{0, 0}, b{0, 1}, c{0, 2};
  h_.op()->AddChannel(a);
  h_.op()->AddChannel(b);
  h_.op()->AddChannel(c);
  ASSERT_OK(h_.Feed(Event(100 * kSecond), 0, a));
  ASSERT_OK(h_.Feed(Event(25 * kSecond), 0, b));
  h_.FlushAndCommit(/*now_ms=*/0);
  EXPECT_TRUE(h_.Take().empty());  // c has sent nothing yet: no watermark at all
  ASSERT_OK(h_.Feed(Event(101 * kSecond), 0, a));
  ASSERT_OK(h_.Feed(Event(26 * kSecond), 0, b));
  h_.FlushAndCommit(/*now_ms=*/59 * kSecond);
  EXPECT_TRUE(h_.Take().empty());  // c silent for 59 s: not idle yet
  ASSERT_OK(h_.Feed(Event(102 * kSecond), 0, a));
  ASSERT_OK(h_.Feed(Event(31 * kSecond), 0, b));
  h_.FlushAndCommit(/*now_ms=*/61 * kSecond);
  // c is idle (silent 61 s); the slower active shard b holds the watermark at 31 s.
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(20 * kSecond), Ts(30 * kSecond), Str("fr"), Int(2)}}));
  ASSERT_OK(h_.Feed(Event(103 * kSecond), 0, a));
  h_.FlushAndCommit(/*now_ms=*/130 * kSecond);
  // b has been silent for 69 s: a alone sets the watermark, 103 s.
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(30 * kSecond), Ts(40 * kSecond), Str("fr"), Int(1)}}));
  // c wakes up with an old event: the watermark never goes back, so it is late.
  Status late = h_.Feed(Event(35 * kSecond), 0, c);
  EXPECT_EQ(late.code(), Status::Code::kInvalidArgument) << late.ToString();
  ASSERT_OK(h_.Feed(Event(104 * kSecond), 0, c));
  // a and b are idle now: c alone moves the watermark, to 104 s; [100, 110) stays open.
  h_.FlushAndCommit(/*now_ms=*/1000 * kSecond);
  EXPECT_TRUE(h_.Take().empty());
}

TEST_F(WindowTest, UpdateModeEmitsChangedWindowsOncePerBatch) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "1m"}, {"emit", "update"}}), kInput));
  EXPECT_TRUE(h_.op()->emits_updates());
  ASSERT_OK(h_.Feed(Event(1 * kSecond)));
  ASSERT_OK(h_.Feed(Event(2 * kSecond)));
  ASSERT_OK(h_.Feed(Event(3 * kSecond, "de")));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(60 * kSecond), Str("de"), Int(1)},
                                   {Ts(0), Ts(60 * kSecond), Str("fr"), Int(2)}}));
  h_.FlushAndCommit();
  EXPECT_TRUE(h_.Take().empty());  // nothing changed
  ASSERT_OK(h_.Feed(Event(4 * kSecond)));
  ASSERT_OK(h_.Feed(Event(61 * kSecond)));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(60 * kSecond), Str("fr"), Int(3)},
                                   {Ts(60 * kSecond), Ts(120 * kSecond), Str("fr"), Int(1)}}));
  // Closing a window in update mode emits nothing more: its last update was its final value.
  ASSERT_OK(h_.Feed(Event(500 * kSecond, "zz")));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(480 * kSecond), Ts(540 * kSecond), Str("zz"), Int(1)}}));
}

TEST_F(WindowTest, StateIsCleanedWhenWindowsClose) {
  ASSERT_TRUE(h_.Build(
      WindowConfig({{"tumbling", "10s"},
                    {"aggregates",
                     {{"rows", "count"}, {"med", {{"median", "n"}}}, {"top", {{"mode", "n"}}}}}}),
      kInput));
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(h_.Feed(Event(i * 100, "c" + std::to_string(i % 5), i % 7)));
  }
  h_.FlushAndCommit();
  const StateStats during = h_.op()->state_stats();
  EXPECT_GT(during.keys, 20u);  // 5 records, 5 index keys, 2 x 5 x 7 entries...
  EXPECT_GT(h_.StateKeys().size(), 20u);
  EXPECT_EQ(h_.StateKeys().size(), during.keys + 1);  // + the size record itself
  ASSERT_OK(h_.Feed(Event(60 * kSecond, "other", 1)));
  h_.FlushAndCommit();
  EXPECT_EQ(h_.Take().size(), 5u);
  // Left: the open window of "other" (record, index, two entries), the watermark and sizes.
  const StateStats after = h_.op()->state_stats();
  EXPECT_EQ(after.keys, 5u);
  EXPECT_EQ(h_.StateKeys().size(), 6u);
  ASSERT_OK(h_.Feed(Event(1000 * kSecond, "last", 1)));
  h_.FlushAndCommit();
  h_.Crash();  // the sizes survive a restart
  EXPECT_EQ(h_.StateKeys().size(), 6u);
  ASSERT_OK(h_.Flush());
  EXPECT_EQ(h_.op()->state_stats().keys, 5u);
}

TEST(WindowConfigTest, Errors) {
  using Errors = std::vector<std::string>;
  auto errors = [](ojson extra) {
    return testing::BuildOperator(WindowConfig(std::move(extra)), kInput).errors;
  };
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"time", "country"}}),
            Errors{"/step/time: 'country' is string, not a timestamp (convert it with "
                   "to_timestamp)"});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"time", "when"}}),
            Errors{"/step/time: unknown column 'when' (or \"ApproximateArrivalTimestamp\" for "
                   "the records' arrival time)"});
  EXPECT_EQ(errors(ojson::object()),
            Errors{"/step: a window needs one of \"tumbling\": SIZE, \"sliding\": SIZE with "
                   "\"slide\": STEP, or \"session\": GAP (durations such as \"1m\")"});
  EXPECT_EQ(errors({{"sliding", "1m"}, {"slide", "2m"}}),
            Errors{"/step/slide: must not exceed the window size (windows would leave gaps)"});
  EXPECT_EQ(errors({{"sliding", "1m"}}),
            Errors{"/step: a sliding window needs \"slide\": how often a window starts"});
  EXPECT_EQ(errors({{"tumbling", "0s"}}), Errors{"/step/tumbling: must be a positive duration"});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"max_delay", 5}}),
            Errors{"/step/max_delay: must be a duration such as \"10s\", \"1m\" or \"500ms\""});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"emit", "append"}}),
            Errors{"/step/emit: must be \"final\" (a row per window when it closes) or "
                   "\"update\" (the changed windows at the end of every batch)"});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"group_by", {"nope"}}}),
            Errors{"/step/group_by/0: unknown column 'nope'"});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"aggregates", {{"country", "count"}}}}),
            Errors{"/step/aggregates/country: column 'country' already exists"});
  EXPECT_EQ(errors({{"tumbling", "1m"}, {"watermark", "5s"}}),
            Errors{"/step/watermark: unknown option 'watermark'"});
  // The arrival time needs no column.
  EXPECT_TRUE(errors({{"tumbling", "1m"}, {"time", "ApproximateArrivalTimestamp"}}).empty());
}

TEST_F(WindowTest, ArrivalTime) {
  ASSERT_TRUE(h_.Build(WindowConfig({{"tumbling", "10s"}, {"time", "ApproximateArrivalTimestamp"}}),
                       kInput));
  ASSERT_OK(h_.Feed({Null(), Str("fr"), Null()}, /*arrival_ms=*/3 * kSecond));
  ASSERT_OK(h_.Feed({Null(), Str("fr"), Null()}, /*arrival_ms=*/12 * kSecond));
  h_.FlushAndCommit();
  EXPECT_EQ(Text(h_.Take()), Text({{Ts(0), Ts(10 * kSecond), Str("fr"), Int(1)}}));
}

// A run killed after some commits (staged state lost) and resumed from the committed offsets
// gives exactly the rows of an uninterrupted run: state, watermark and entries are committed
// with the batches, and the cache is only a cache.
TEST(WindowRecoveryTest, CrashAndResumeEqualsAnUninterruptedRun) {
  const ojson config = WindowConfig({{"tumbling", "10s"},
                                     {"max_delay", "3s"},
                                     {"allowed_lateness", "2s"},
                                     {"late", "late"},
                                     {"cache_mb", 1},
                                     {"aggregates",
                                      {{"rows", "count"},
                                       {"total", {{"sum", "n"}}},
                                       {"med", {{"median", "n"}}},
                                       {"top", {{"mode", "n"}, {"count_as", "top_count"}}},
                                       {"p90", {{"percentile", "n"}, {"p", 0.9}}}}}});
  // 30 batches of 200 out-of-order events over 40 groups, some late.
  std::mt19937 rng(11);
  std::vector<std::vector<Row>> batches(30);
  int64_t t = 0;
  for (auto& batch : batches) {
    for (int i = 0; i < 200; ++i) {
      t += rng() % 40;
      const int64_t jitter = static_cast<int64_t>(rng() % 6000);
      batch.push_back(Event(t - jitter, "g" + std::to_string(rng() % 40),
                            rng() % 9 ? std::optional<int64_t>(rng() % 1000) : std::nullopt));
    }
  }
  auto run = [&](std::optional<size_t> crash_after) {
    TempDir dir;
    StreamHarness h(&dir);
    EXPECT_TRUE(h.Build(config, kInput));
    std::vector<Row> committed, late;
    for (size_t b = 0; b < batches.size(); ++b) {
      for (const auto& row : batches[b]) EXPECT_OK(h.Feed(row));
      if (crash_after && b == *crash_after + 1) {
        // Processed, flushed, never committed: lost with the process.
        EXPECT_OK(h.Flush());
        h.Take();
        h.out.side_rows.clear();
        h.Crash();
        for (const auto& row : batches[b]) EXPECT_OK(h.Feed(row));
      }
      h.FlushAndCommit(static_cast<int64_t>(b));
      for (auto& r : h.Take()) committed.push_back(std::move(r));
      for (auto& r : h.out.side_rows) late.push_back(std::move(r));
      h.out.side_rows.clear();
    }
    return std::make_pair(committed, late);
  };
  const auto expected = run(std::nullopt);
  EXPECT_GT(expected.first.size(), 100u);
  EXPECT_GT(expected.second.size(), 0u);
  for (size_t crash : {0u, 7u, 20u}) {
    const auto got = run(crash);
    EXPECT_EQ(Text(got.first), Text(expected.first)) << "crash after batch " << crash;
    EXPECT_EQ(Text(got.second), Text(expected.second)) << "crash after batch " << crash;
  }
}

}  // namespace
}  // namespace pinstream
