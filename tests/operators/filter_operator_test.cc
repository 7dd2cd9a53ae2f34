// filter: bounds, lists of values and not_null, all of a row's conditions at once, nulls, and
// configuration errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/operators/operator_test_util.h"
#include "tests/test_util.h"

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

const Schema kSchema({Col("year", Type::kInt), Col("score", Type::kDouble),
                      Col("group", Type::kString)});

// Whether the filter `where` keeps `row`.
bool Keeps(const ojson& where, Row row) {
  auto built = BuildOperator({{"op", "filter"}, {"where", where}}, kSchema);
  EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  if (!built.ok()) return false;
  EXPECT_EQ(built.output, kSchema);
  auto out = ApplyOperator(*built.op, row);
  EXPECT_OK(out.status());
  return out.ok() && out->has_value();
}

TEST(FilterTest, InclusiveAndExclusiveBounds) {
  const ojson years = {{"year", {{"min", 2018}, {"max", 2022}}}};
  EXPECT_FALSE(Keeps(years, {Int(2017), Null(), Null()}));
  EXPECT_TRUE(Keeps(years, {Int(2018), Null(), Null()}));
  EXPECT_TRUE(Keeps(years, {Int(2022), Null(), Null()}));
  EXPECT_FALSE(Keeps(years, {Int(2023), Null(), Null()}));
  const ojson open = {{"score", {{"above", 0.5}, {"below", 1}}}};
  EXPECT_FALSE(Keeps(open, {Null(), Dbl(0.5), Null()}));
  EXPECT_TRUE(Keeps(open, {Null(), Dbl(0.75), Null()}));
  EXPECT_FALSE(Keeps(open, {Null(), Dbl(1), Null()}));
}

TEST(FilterTest, InNotNullAndEveryConditionAtOnce) {
  const ojson where = {{"group", {{"in", {"18-24", "+50"}}}}, {"year", {{"not_null", true}}}};
  EXPECT_TRUE(Keeps(where, {Int(1), Null(), Str("+50")}));
  EXPECT_FALSE(Keeps(where, {Int(1), Null(), Str("25-35")}));
  EXPECT_FALSE(Keeps(where, {Null(), Null(), Str("+50")}));  // year is null
  EXPECT_FALSE(Keeps(where, {Int(1), Null(), Null()}));      // null is in no list
  EXPECT_FALSE(Keeps({{"year", {{"min", 0}}}}, {Null(), Null(), Null()}));
}

TEST(FilterTest, ConfigurationErrors) {
  auto errors = [](ojson where) {
    return BuildOperator({{"op", "filter"}, {"where", where}}, kSchema).errors;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(BuildOperator({{"op", "filter"}}, kSchema).errors,
              ElementsAre(::testing::HasSubstr("/step: filter needs \"where\"")));
  EXPECT_THAT(errors({{"yaer", {{"min", 1}}}}),
              ElementsAre("/step/where/yaer: unknown column 'yaer'"));
  EXPECT_THAT(errors({{"group", {{"min", 1}}}}),
              ElementsAre("/step/where/group/min: 'group' is string; bounds need a number"));
  EXPECT_THAT(errors({{"year", {{"min", 1}, {"above", 2}}}}),
              ElementsAre("/step/where/year/above: one lower bound only: min or above"));
  EXPECT_THAT(errors({{"year", {{"in", {1, "two"}}}}}),
              ElementsAre("/step/where/year/in/1: is not a value of 'year', which is int"));
  EXPECT_THAT(errors({{"year", {{"not_null", false}}}}),
              ElementsAre("/step/where/year/not_null: must be true (a null meets no condition)"));
  EXPECT_THAT(errors({{"year", {{"equals", 1}}}}),
              ElementsAre(::testing::HasSubstr("/step/where/year/equals: unknown condition")));
}

}  // namespace
}  // namespace pinstream
