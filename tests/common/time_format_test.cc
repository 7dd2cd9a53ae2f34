#include "common/time_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/test_util.h"

namespace pinstream {
namespace {

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}

// Expected epoch values computed independently with python3's datetime.
constexpr int64_t k20210419 = 1618853823000;  // 2021-04-19T17:37:03Z
constexpr int64_t k20200828 = 1598586767000;  // 2020-08-28T03:52:47Z

TEST(FormatIso8601Test, WholeSeconds) {
  EXPECT_EQ(FormatIso8601(k20210419), "2021-04-19T17:37:03Z");
  EXPECT_EQ(FormatIso8601(k20200828), "2020-08-28T03:52:47Z");
  EXPECT_EQ(FormatIso8601(951868799000), "2000-02-29T23:59:59Z");
  EXPECT_EQ(FormatIso8601(4107542400000), "2100-03-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(2147483648000), "2038-01-19T03:14:08Z");
}

TEST(FormatIso8601Test, Milliseconds) {
  EXPECT_EQ(FormatIso8601(k20210419 + 250), "2021-04-19T17:37:03.250Z");
  EXPECT_EQ(FormatIso8601(k20210419 + 1), "2021-04-19T17:37:03.001Z");
  EXPECT_EQ(FormatIso8601(k20210419 + 999), "2021-04-19T17:37:03.999Z");
}

TEST(FormatIso8601Test, Epoch) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601(1), "1970-01-01T00:00:00.001Z");
}

TEST(FormatIso8601Test, NegativeTimesRoundDown) {
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(FormatIso8601(-14182940000), "1969-07-20T20:17:40Z");
  EXPECT_EQ(FormatIso8601(-14182940000 + 500), "1969-07-20T20:17:40.500Z");
}

TEST(ParseTimestampTest, SpaceAndTSeparators) {
  ASSERT_OK_AND_ASSIGN(int64_t space, ParseTimestampMillis("2020-08-28 03:52:47"));
  EXPECT_EQ(space, k20200828);
  ASSERT_OK_AND_ASSIGN(int64_t t, ParseTimestampMillis("2020-08-28T03:52:47"));
  EXPECT_EQ(t, k20200828);
}

TEST(ParseTimestampTest, ZuluSuffix) {
  ASSERT_OK_AND_ASSIGN(int64_t z, ParseTimestampMillis("2020-08-28T03:52:47Z"));
  EXPECT_EQ(z, k20200828);
  ASSERT_OK_AND_ASSIGN(int64_t z2, ParseTimestampMillis("2021-04-19T17:37:03Z"));
  EXPECT_EQ(z2, k20210419);
}

TEST(ParseTimestampTest, Offsets) {
  ASSERT_OK_AND_ASSIGN(int64_t plus, ParseTimestampMillis("2020-08-28T03:52:47+02:00"));
  EXPECT_EQ(plus, 1598579567000);  // 01:52:47Z
  ASSERT_OK_AND_ASSIGN(int64_t minus, ParseTimestampMillis("2020-08-28T03:52:47-05:30"));
  EXPECT_EQ(minus, 1598606567000);  // 09:22:47Z
  ASSERT_OK_AND_ASSIGN(int64_t zero, ParseTimestampMillis("2020-08-28 03:52:47+00:00"));
  EXPECT_EQ(zero, k20200828);
}

TEST(ParseTimestampTest, Fractions) {
  ASSERT_OK_AND_ASSIGN(int64_t a, ParseTimestampMillis("2020-08-28T03:52:47.123Z"));
  EXPECT_EQ(a, k20200828 + 123);
  ASSERT_OK_AND_ASSIGN(int64_t b, ParseTimestampMillis("2020-08-28T03:52:47.5"));
  EXPECT_EQ(b, k20200828 + 500);
  ASSERT_OK_AND_ASSIGN(int64_t c, ParseTimestampMillis("2020-08-28T03:52:47.05Z"));
  EXPECT_EQ(c, k20200828 + 50);
  ASSERT_OK_AND_ASSIGN(int64_t d, ParseTimestampMillis("2020-08-28T03:52:47.123456Z"));
  EXPECT_EQ(d, k20200828 + 123);  // finer than milliseconds is truncated
  ASSERT_OK_AND_ASSIGN(int64_t e, ParseTimestampMillis("2020-08-28T03:52:47.250+02:00"));
  EXPECT_EQ(e, 1598579567250);
}

TEST(ParseTimestampTest, BareDateIsMidnightUtc) {
  ASSERT_OK_AND_ASSIGN(int64_t v, ParseTimestampMillis("2020-08-28"));
  EXPECT_EQ(v, 1598572800000);
  ASSERT_OK_AND_ASSIGN(int64_t epoch, ParseTimestampMillis("1970-01-01"));
  EXPECT_EQ(epoch, 0);
}

TEST(ParseTimestampTest, EpochSeconds) {
  ASSERT_OK_AND_ASSIGN(int64_t frac, ParseTimestampMillis("1598586767.5"));
  EXPECT_EQ(frac, k20200828 + 500);
  ASSERT_OK_AND_ASSIGN(int64_t whole, ParseTimestampMillis("1598586767"));
  EXPECT_EQ(whole, k20200828);
  ASSERT_OK_AND_ASSIGN(int64_t millis, ParseTimestampMillis("1598586767.123"));
  EXPECT_EQ(millis, k20200828 + 123);
  ASSERT_OK_AND_ASSIGN(int64_t zero, ParseTimestampMillis("0"));
  EXPECT_EQ(zero, 0);
}

TEST(ParseTimestampTest, RoundTripsFormatIso8601) {
  for (int64_t ms :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{-1001}, k20200828, k20210419 + 250,
        int64_t{951868799999}, int64_t{4107542400000}, int64_t{-14182940000}}) {
    SCOPED_TRACE(ms);
    ASSERT_OK_AND_ASSIGN(int64_t back, ParseTimestampMillis(FormatIso8601(ms)));
    EXPECT_EQ(back, ms);
  }
}

TEST(ParseTimestampTest, RejectsMalformedText) {
  for (const char* text : {
           "",
           "yesterday",
           "2020-8-28",
           "2020/08/28",
           "20-08-28",
           "2020-08-28T",
           "2020-08-28X03:52:47",
           "2020-08-28T03",
           "2020-08-28T03:5",
           "2020-08-28T03:52:4",
           "2020-08-28T03:52:47.",
           "2020-08-28T03:52:47.x",
           "2020-08-28T03:52:47+2",
           "2020-08-28T03:52:47 UTC",
           "2020-08-28T03:52:47Zjunk",
           "1598586767.5s",
           "12abc",
           "1598586767 ",
           " 1598586767",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseTimestampMillis(text)), "InvalidArgumentException");
  }
}

TEST(ParseTimestampTest, RejectsOutOfRangeFields) {
  for (const char* text : {
           "2020-13-01",
           "2020-00-10",
           "2020-08-00",
           "2020-08-32",
           "2020-08-28T24:00:00",
           "2020-08-28T03:60:00",
           "2020-08-28T03:52:61",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseTimestampMillis(text)), "InvalidArgumentException");
  }
}

TEST(ParseTimestampTest, RejectsDaysPastEndOfMonth) {
  for (const char* text : {"2021-02-29", "2021-02-30", "2020-02-30", "2021-04-31"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseTimestampMillis(text)), "InvalidArgumentException");
  }
  EXPECT_OK(ParseTimestampMillis("2020-02-29").status());  // a leap day
}

TEST(ParseTimestampTest, RejectsNonFiniteAndHugeEpochSeconds) {
  for (const char* text : {"inf", "nan", "infinity", "1e300"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseTimestampMillis(text)), "InvalidArgumentException");
  }
}

TEST(ParseDurationTest, Units) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : {Case{"24h", 86'400'000}, Case{"90m", 5'400'000}, Case{"30s", 30'000},
                        Case{"500ms", 500}, Case{"1500ms", 1500}, Case{"7d", 604'800'000},
                        Case{"10", 10'000}, Case{"0", 0}, Case{"0ms", 0}, Case{"1h", 3'600'000}}) {
    SCOPED_TRACE(c.text);
    ASSERT_OK_AND_ASSIGN(int64_t ms, ParseDurationMillis(c.text));
    EXPECT_EQ(ms, c.ms);
  }
}

TEST(FormatDurationTest, LargestWholeUnitAndParsesBack) {
  EXPECT_EQ(FormatDurationMillis(600'000), "10m");
  EXPECT_EQ(FormatDurationMillis(90'000), "90s");
  EXPECT_EQ(FormatDurationMillis(10'000), "10s");
  EXPECT_EQ(FormatDurationMillis(1500), "1500ms");
  EXPECT_EQ(FormatDurationMillis(0), "0s");
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{60'000}, int64_t{86'400'000}}) {
    ASSERT_OK_AND_ASSIGN(int64_t back, ParseDurationMillis(FormatDurationMillis(ms)));
    EXPECT_EQ(back, ms);
  }
}

TEST(ParseDurationTest, RejectsBadUnitsAndNumbers) {
  for (const char* text : {"", "h", "ms", "10x", "10 h", " 10s", "-5s", "+5s", "1.5h", "10hh",
                           "10H", "10sec", "s10", "99999999999999999999"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseDurationMillis(text)), "InvalidArgumentException");
  }
}

TEST(ParseDurationTest, RejectsOverflow) {
  for (const char* text : {"106751991168d", "9223372036854775807h", "9223372036854775807s"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseDurationMillis(text)), "InvalidArgumentException");
  }
  ASSERT_OK_AND_ASSIGN(int64_t ok, ParseDurationMillis("106751991167d"));
  EXPECT_EQ(ok, int64_t{106751991167} * 86'400'000);
}

}  // namespace
}  // namespace pinstream
