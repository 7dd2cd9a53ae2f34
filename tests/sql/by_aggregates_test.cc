// max_by / min_by: Spark's, with ties resolved to the smallest x.
#include "sql/by_aggregates.h"

#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;
using testing::SqlStore;

class ByAggregatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Row> rows;
    auto add = [&](const char* g, Value x, Value y) {
      rows.push_back({Value::String(g), std::move(x), std::move(y)});
    };
    add("a", Value::String("bob"), Value::Int(5));
    add("a", Value::String("amy"), Value::Int(9));
    add("a", Value::String("zed"), Value::Int(9));
    add("a", Value(), Value::Int(9));         // a null x never wins a tie
    add("a", Value::String("top"), Value());  // a null y does not compete
    add("b", Value(), Value::Int(1));
    add("c", Value::String("x"), Value());
    add("d", Value::String("lo"), Value::Int(-3));
    add("d", Value::String("hi"), Value::Int(-3));
    ASSERT_OK(db_.Write(
        "t", {SqlCol("g", Type::kString), SqlCol("x", Type::kString), SqlCol("y", Type::kInt)},
        rows));
  }
  SqlStore db_;
};

TEST_F(ByAggregatesTest, MaxByTakesTheLargestAndTheSmallestXOnATie) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("SELECT g, max_by(x, y) AS x, min_by(x, y) AS lo FROM t "
                                 "GROUP BY g ORDER BY g"));
  EXPECT_EQ(out,
            "{\"g\":\"a\",\"x\":\"amy\",\"lo\":\"bob\"}\n"
            "{\"g\":\"b\",\"x\":null,\"lo\":null}\n"
            "{\"g\":\"c\",\"x\":null,\"lo\":null}\n"
            "{\"g\":\"d\",\"x\":\"hi\",\"lo\":\"hi\"}\n");
}

TEST_F(ByAggregatesTest, KeepsTheTypeOfX) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("SELECT max_by(y, x) AS y, max_by(y * 0.5, y) AS half FROM t"));
  EXPECT_EQ(out, "{\"y\":9,\"half\":4.5}\n");
}

}  // namespace
}  // namespace pinstream
