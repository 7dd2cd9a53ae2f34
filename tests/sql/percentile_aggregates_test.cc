// median / percentile_cont / percentile / percentile_disc against values worked by hand.
#include "sql/percentile_aggregates.h"

#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;
using testing::SqlStore;

class PercentileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // g "odd": 5, 1, 3 (and a null); g "even": 4, 1, 3, 2; g "none": only nulls; g "real":
    // 1.5, 0.5.
    std::vector<Row> rows;
    auto add = [&](const char* g, Value v) { rows.push_back({Value::String(g), std::move(v)}); };
    add("odd", Value::Int(5));
    add("odd", Value::Int(1));
    add("odd", Value());
    add("odd", Value::Int(3));
    for (int v : {4, 1, 3, 2}) add("even", Value::Int(v));
    add("none", Value());
    add("real", Value::Double(1.5));
    add("real", Value::Double(0.5));
    ASSERT_OK(db_.Write("t", {SqlCol("g", Type::kString), SqlCol("v", Type::kInt)}, {}));
    ASSERT_OK(db_.Write("m", {SqlCol("g", Type::kString), SqlCol("v", Type::kDouble)}, {}));
    std::vector<Row> ints, reals;
    for (Row& r : rows) (r[1].type() == Type::kDouble ? reals : ints).push_back(r);
    ASSERT_OK(db_.Write("t", {SqlCol("g", Type::kString), SqlCol("v", Type::kInt)}, ints));
    ASSERT_OK(db_.Write("m", {SqlCol("g", Type::kString), SqlCol("v", Type::kDouble)}, reals));
  }
  std::string Q(const std::string& select) {
    auto r = db_.Query(select);
    EXPECT_TRUE(r.ok()) << select << ": " << r.status().ToString();
    return r.ok() ? *r : "";
  }
  SqlStore db_;
};

TEST_F(PercentileTest, MedianIsExactAndIgnoresNulls) {
  EXPECT_EQ(Q("SELECT g, median(v) AS m FROM t GROUP BY g ORDER BY g"),
            "{\"g\":\"even\",\"m\":2.5}\n{\"g\":\"none\",\"m\":null}\n{\"g\":\"odd\",\"m\":3.0}\n");
  EXPECT_EQ(Q("SELECT median(v) AS m FROM m"), "{\"m\":1.0}\n");
  EXPECT_EQ(Q("SELECT median(v) AS m FROM t WHERE g = 'nothing'"), "{\"m\":null}\n");
}

TEST_F(PercentileTest, PercentileContInterpolatesAsSpark) {
  // even: 1 2 3 4; p = 0.25 -> position 0.75 -> 1.75; p = 1 -> 4; p = 0 -> 1.
  EXPECT_EQ(Q("SELECT percentile_cont(v, 0.25) AS a, percentile(v, 0.25) AS b, "
              "percentile_cont(v, 1) AS c, percentile_cont(v, 0) AS d FROM t WHERE g = 'even'"),
            "{\"a\":1.75,\"b\":1.75,\"c\":4.0,\"d\":1.0}\n");
  EXPECT_EQ(Q("SELECT percentile_cont(v, 0.5) = median(v) AS same FROM t"), "{\"same\":1}\n");
}

TEST_F(PercentileTest, PercentileDiscPicksAValue) {
  // even: 1 2 3 4; p = 0.5 -> the 2nd value; 0.51 -> the 3rd; 0 -> the first.
  EXPECT_EQ(Q("SELECT percentile_disc(v, 0.5) AS a, percentile_disc(v, 0.51) AS b, "
              "percentile_disc(v, 0) AS c FROM t WHERE g = 'even'"),
            "{\"a\":2,\"b\":3,\"c\":1}\n");
  EXPECT_EQ(Q("SELECT percentile_disc(v, 0.5) AS a FROM m"), "{\"a\":0.5}\n");
}

TEST_F(PercentileTest, BadArgumentsAreErrors) {
  auto r = db_.Query("SELECT percentile_cont(v, 1.5) FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(),
            "InvalidArgumentException: percentile_cont: the fraction must be a number between 0 "
            "and 1");
  r = db_.Query("SELECT median(g) FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgumentException: median: a value is not a number");
  r = db_.Query("SELECT percentile(v, v / 10.0) FROM t WHERE v IS NOT NULL");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(),
            "InvalidArgumentException: percentile: the fraction must be the same for every row");
}

}  // namespace
}  // namespace pinstream
