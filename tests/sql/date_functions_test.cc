// year / month / dayofmonth: Spark's date parts, read from ISO-8601 text.
#include "sql/date_functions.h"

#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;
using testing::SqlStore;

TEST(DateFunctionsTest, PartsOfTimestampColumnsEqualStrftimes) {
  SqlStore db;
  std::vector<Row> rows;
  for (int64_t ms : {int64_t{0}, int64_t{1'602'918'628'000}, int64_t{951'782'400'000},
                     int64_t{-86'400'000}, int64_t{253'402'300'799'999}}) {
    rows.push_back({Value::TimestampMs(ms)});
  }
  rows.push_back({Value()});
  ASSERT_OK(db.Write("t", {SqlCol("at", Type::kTimestamp)}, rows));
  ASSERT_OK_AND_ASSIGN(
      std::string out,
      db.Query(
          "SELECT count(*) AS n FROM t WHERE "
          "year(at) IS CAST(strftime('%Y', at) AS INTEGER) AND "
          "month(at) IS CAST(strftime('%m', at) AS INTEGER) AND "
          "dayofmonth(at) IS CAST(strftime('%d', at) AS INTEGER) AND day(at) IS dayofmonth(at)"));
  EXPECT_EQ(out, "{\"n\":6}\n");
}

TEST(DateFunctionsTest, ReadsDatesAndRefusesTheRestWithNull) {
  SqlStore db;
  ASSERT_OK(db.Write("t", {SqlCol("x", Type::kInt)}, {{Value::Int(1)}}));
  ASSERT_OK_AND_ASSIGN(
      std::string out,
      db.Query("SELECT year('2020-10-17') AS a, month('2020-10-17 07:10') AS b, "
               "dayofmonth('2020-02-29T23:59:59.999Z') AS c, year('12345-01-02') AS d, "
               "year('-0044-03-15') AS e, year('2020-13-01') AS f, year('2020-1-01') AS g, "
               "year('20-01-01') AS h, year(NULL) AS i, year(2459000.5) AS j, year('') AS k, "
               "day('2020-01-011') AS l FROM t"));
  EXPECT_EQ(out,
            "{\"a\":2020,\"b\":10,\"c\":29,\"d\":12345,\"e\":-44,\"f\":null,\"g\":null,"
            "\"h\":null,\"i\":null,\"j\":null,\"k\":null,\"l\":null}\n");
}

}  // namespace
}  // namespace pinstream
