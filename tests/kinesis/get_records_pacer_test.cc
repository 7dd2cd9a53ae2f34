// AWS's read limits of a shard as GetRecordsPacer applies them, on a clock moved by hand:
// kinesalite never throttles, so the pacing and the backoff are checked here.
#include "runtime/get_records_pacer.h"

#include <gtest/gtest.h>

#include "stream/kinesis_backoff.h"
#include "stream/kinesis_http_client.h"

namespace pinstream {
namespace {

constexpr int64_t kStart = 1'000'000;

TEST(GetRecordsPacerTest, AtMostFiveCallsASecond) {
  ManualClock clock(kStart);
  GetRecordsPacer pacer(&clock);
  EXPECT_LE(pacer.NextCallAtMs(), kStart);  // the first call goes at once
  int calls = 0;
  while (clock.NowMillis() < kStart + 1000) {
    if (clock.NowMillis() >= pacer.NextCallAtMs()) {
      pacer.OnRecords(clock.NowMillis(), 100);
      ++calls;
    }
    clock.Advance(1);
  }
  EXPECT_EQ(calls, 5);
}

TEST(GetRecordsPacerTest, ACallThatReturnedMegabytesWaitsForTheByteBudget) {
  ManualClock clock(kStart);
  GetRecordsPacer pacer(&clock);
  pacer.OnRecords(kStart, 2 * 1024 * 1024);  // 2 MB: a second's budget
  EXPECT_EQ(pacer.NextCallAtMs(), kStart + 1000);
  pacer.OnRecords(kStart + 1000, 10 * 1024 * 1024);  // the most a GetRecords returns
  EXPECT_EQ(pacer.NextCallAtMs(), kStart + 1000 + 5000);
  // A small read is held to the call rate only; the time counts from when the call started.
  pacer.OnRecords(kStart + 6000, 1000);
  EXPECT_EQ(pacer.NextCallAtMs(), kStart + 6200);
}

TEST(GetRecordsPacerTest, ThrottlingBacksOffExponentiallyWithJitterUpToTheCap) {
  ManualClock clock(kStart);
  GetRecordsPacer::Limits limits;
  limits.backoff_base_ms = 100;
  limits.backoff_cap_ms = 3000;
  GetRecordsPacer pacer(&clock, limits, /*seed=*/42);
  int64_t longest = 0;
  for (int i = 0; i < 12; ++i) {
    pacer.OnThrottled();
    const int64_t wait = pacer.NextCallAtMs() - clock.NowMillis();
    // Never sooner than the call rate allows, never past the cap; the ceiling doubles.
    EXPECT_GE(wait, limits.min_interval_ms);
    EXPECT_LE(wait, std::min<int64_t>(3000, std::max<int64_t>(200, 100 << i)));
    longest = std::max(longest, wait);
  }
  EXPECT_GT(longest, 1000);  // the ceiling grew (jittered draws up to 3000)
  EXPECT_EQ(pacer.throttled(), 12);
  // A call that returned resets the backoff.
  pacer.OnRecords(clock.NowMillis(), 0);
  EXPECT_EQ(pacer.throttled(), 0);
  EXPECT_EQ(pacer.NextCallAtMs(), clock.NowMillis() + 200);
}

TEST(KinesisBackoffTest, DrawsAreSpreadNotLockstep) {
  KinesisBackoff a(100, 10'000, 1), b(100, 10'000, 2);
  int same = 0;
  for (int i = 0; i < 10; ++i) same += a.NextDelayMs() == b.NextDelayMs();
  EXPECT_LT(same, 3);
}

TEST(KinesisErrorsTest, ErrorTypesMapOntoStatusCodes) {
  EXPECT_EQ(
      KinesisErrorStatus(400, R"({"__type":"ProvisionedThroughputExceededException"})").code(),
      Status::Code::kProvisionedThroughputExceeded);
  EXPECT_EQ(KinesisErrorStatus(400, R"({"__type":"com.amazonaws.kinesis#ExpiredIteratorException",
                                  "message":"Iterator expired"})")
                .code(),
            Status::Code::kExpiredIterator);
  EXPECT_EQ(KinesisErrorStatus(400, R"({"__type":"LimitExceededException"})").code(),
            Status::Code::kLimitExceeded);
  EXPECT_EQ(KinesisErrorStatus(503, "").code(), Status::Code::kUnavailable);
  EXPECT_TRUE(IsRetryableKinesisError(KinesisErrorStatus(500, "<html>")));
  EXPECT_FALSE(IsRetryableKinesisError(
      KinesisErrorStatus(400, R"({"__type":"ResourceNotFoundException"})")));
}

TEST(KinesisSequenceNumbersTest, CompareAsNumbers) {
  EXPECT_LT(CompareKinesisSequenceNumbers("9", "10"), 0);
  EXPECT_EQ(CompareKinesisSequenceNumbers("495903382714902566085596925383615710959215759891365",
                                          "495903382714902566085596925383615710959215759891365"),
            0);
  EXPECT_GT(CompareKinesisSequenceNumbers("49590338271490256608559692538361571095921575989136589",
                                          "49590338271490256608559692538361571095921575989136588"),
            0);
}

}  // namespace
}  // namespace pinstream
