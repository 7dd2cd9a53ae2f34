// bucket and extract: computed group-by keys (age group from age, year from a timestamp).
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "tests/operators/operator_test_util.h"

namespace pinstream {
namespace {

using testing::ApplyOperator;
using testing::BuildOperator;
using testing::Col;
using testing::Dbl;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::Str;

const Schema kSchema({Col("age", Type::kInt), Col("score", Type::kDouble),
                      Col("ts", Type::kTimestamp), Col("name", Type::kString)});

const ojson kAgeGroups = {{"op", "bucket"},
                          {"column", "age"},
                          {"into", "age_group"},
                          {"buckets",
                           {{{"label", "18-24"}, {"min", 18}, {"max", 24}},
                            {{"label", "25-35"}, {"min", 25}, {"max", 35}},
                            {{"label", "36-50"}, {"min", 36}, {"max", 50}},
                            {{"label", "+50"}, {"above", 50}}}}};

Value AgeGroup(std::optional<int64_t> age) {
  auto built = BuildOperator(kAgeGroups, kSchema);
  EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  auto out = ApplyOperator(*built.op, {age ? Int(*age) : Null(), Null(), Null(), Null()});
  EXPECT_TRUE(out.ok() && out->has_value());
  return (**out)[4];
}

TEST(BucketTest, AgeGroups) {
  auto built = BuildOperator(kAgeGroups, kSchema);
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output.column(4), Col("age_group", Type::kString));
  EXPECT_EQ(AgeGroup(18), Str("18-24"));
  EXPECT_EQ(AgeGroup(24), Str("18-24"));
  EXPECT_EQ(AgeGroup(25), Str("25-35"));
  EXPECT_EQ(AgeGroup(50), Str("36-50"));
  EXPECT_EQ(AgeGroup(51), Str("+50"));
  EXPECT_EQ(AgeGroup(17), Null());  // no bucket: the default, null
  EXPECT_EQ(AgeGroup(std::nullopt), Null());
}

TEST(BucketTest, DoublesDefaultAndFirstMatchWins) {
  auto built = BuildOperator({{"op", "bucket"},
                              {"column", "score"},
                              {"into", "band"},
                              {"default", "other"},
                              {"buckets",
                               {{{"label", "low"}, {"below", 0.5}},
                                {{"label", "mid"}, {"min", 0.5}, {"max", 0.9}},
                                {{"label", "also-mid"}, {"min", 0.5}, {"max", 1}}}}},
                             kSchema);
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  auto band = [&](double d) {
    auto out = ApplyOperator(*built.op, {Null(), Dbl(d), Null(), Null()});
    return (**out)[4];
  };
  EXPECT_EQ(band(0.49), Str("low"));
  EXPECT_EQ(band(0.5), Str("mid"));
  EXPECT_EQ(band(0.9), Str("mid"));
  EXPECT_EQ(band(0.95), Str("also-mid"));
  EXPECT_EQ(band(7), Str("other"));
}

TEST(BucketTest, Errors) {
  using Errors = std::vector<std::string>;
  auto errors = [](ojson extra) {
    ojson c = kAgeGroups;
    for (auto& [k, v] : extra.items()) c[k] = v;
    return BuildOperator(c, kSchema).errors;
  };
  EXPECT_EQ(errors({{"column", "name"}}),
            Errors{"/step/column: 'name' is string, bucket needs a number"});
  EXPECT_EQ(errors({{"into", "age"}}), Errors{"/step/into: column 'age' already exists"});
  EXPECT_EQ(errors({{"buckets", {{{"label", "x"}, {"min", 1}, {"above", 2}}}}}),
            Errors{"/step/buckets/0/above: one lower bound only: min or above"});
  EXPECT_EQ(errors({{"buckets", {{{"label", "x"}, {"upto", 2}}}}}),
            Errors{"/step/buckets/0/upto: unknown option 'upto' (bounds: min, max, above, below)"});
  EXPECT_EQ(errors({{"buckets", {{{"min", 2}}}}}),
            Errors{"/step/buckets/0: a bucket is {\"label\": \"...\"} with bounds min, max "
                   "(inclusive), above, below (exclusive)"});
  EXPECT_EQ(errors({{"default", 3}}), Errors{"/step/default: must be a label (a string) or null"});
}

TEST(ExtractTest, PartsOfATimestamp) {
  auto ms = ParseTimestampMillis("2020-02-29T23:59:58.500Z");
  ASSERT_TRUE(ms.ok());
  auto part = [&](const char* p, Value ts) {
    auto built =
        BuildOperator({{"op", "extract"}, {"column", "ts"}, {"part", p}, {"into", "x"}}, kSchema);
    EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
    EXPECT_EQ(built.output.column(4), Col("x", Type::kInt));
    auto out = ApplyOperator(*built.op, {Null(), Null(), std::move(ts), Null()});
    return (**out)[4];
  };
  const Value ts = Value::TimestampMs(*ms);
  EXPECT_EQ(part("year", ts), Int(2020));
  EXPECT_EQ(part("month", ts), Int(2));
  EXPECT_EQ(part("day", ts), Int(29));
  EXPECT_EQ(part("hour", ts), Int(23));
  EXPECT_EQ(part("minute", ts), Int(59));
  EXPECT_EQ(part("second", ts), Int(58));
  EXPECT_EQ(part("year", Null()), Null());
  // Before 1970: 1969-12-31T23:00:00Z.
  EXPECT_EQ(part("year", Value::TimestampMs(-3600 * 1000)), Int(1969));
  EXPECT_EQ(part("day", Value::TimestampMs(-3600 * 1000)), Int(31));
  EXPECT_EQ(part("hour", Value::TimestampMs(-3600 * 1000)), Int(23));
  EXPECT_EQ(part("year", Value::TimestampMs(0)), Int(1970));
}

TEST(ExtractTest, Errors) {
  using Errors = std::vector<std::string>;
  EXPECT_EQ(BuildOperator({{"op", "extract"}, {"column", "age"}, {"part", "year"}, {"into", "y"}},
                          kSchema)
                .errors,
            Errors{"/step/column: 'age' is int, extract needs a timestamp (convert it with "
                   "to_timestamp)"});
  EXPECT_EQ(
      BuildOperator({{"op", "extract"}, {"column", "ts"}, {"part", "week"}, {"into", "y"}}, kSchema)
          .errors,
      Errors{"/step/part: unknown part 'week' (parts: year, month, day, hour, minute, "
             "second)"});
}

}  // namespace
}  // namespace pinstream
