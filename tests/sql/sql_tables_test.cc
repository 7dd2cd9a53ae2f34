// SQL over several data directories read as one (sql/sql_tables.h): each table the union of
// its parts, an upsert key in two parts an error, a table some directory lacks an error only
// for the queries that read it, versions per directory (refused with several), as-of per part.
#include "sql/sql_tables.h"

#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;
using testing::SqlStore;

std::vector<Column> Columns() { return {SqlCol("k", Type::kString), SqlCol("n", Type::kInt)}; }

class SqlTablesTest : public ::testing::Test {
 protected:
  SqlTables Both() { return SqlTables({a_.source(), b_.source()}); }
  Result<std::string> Query(const std::string& sql, SqlEngine::Options options = {}) {
    return SqlStore::QueryTables(Both(), sql, SqlFormat::kJsonLines, options);
  }
  SqlStore a_, b_;
};

TEST_F(SqlTablesTest, ATableIsTheUnionOfItsPartsAndJoinsAcrossThem) {
  ASSERT_OK(a_.Write("t", Columns(), {{Value::String("x"), Value::Int(1)}}));
  ASSERT_OK(b_.Write("t", Columns(),
                     {{Value::String("y"), Value::Int(2)}, {Value::String("x"), Value::Int(3)}}));
  ASSERT_OK_AND_ASSIGN(std::string out, Query("SELECT k, n FROM t ORDER BY n"));
  EXPECT_EQ(out, "{\"k\":\"x\",\"n\":1}\n{\"k\":\"y\",\"n\":2}\n{\"k\":\"x\",\"n\":3}\n");
  // The inner table probed by its index: rows of both parts match.
  ASSERT_OK_AND_ASSIGN(out, Query("SELECT a.n AS a, b.n AS b FROM t a JOIN t b ON b.k = a.k "
                                  "WHERE a.n = 1 ORDER BY b.n"));
  EXPECT_EQ(out, "{\"a\":1,\"b\":1}\n{\"a\":1,\"b\":3}\n");
}

TEST_F(SqlTablesTest, AnUpsertKeyInTwoPartsIsAnError) {
  ASSERT_OK(a_.Write("u", Columns(), {{Value::String("x"), Value::Int(1)}}, {"k"}));
  ASSERT_OK(b_.Write("u", Columns(), {{Value::String("y"), Value::Int(2)}}, {"k"}));
  ASSERT_OK_AND_ASSIGN(std::string out, Query("SELECT count(*) AS n FROM u"));
  EXPECT_EQ(out, "{\"n\":2}\n");
  ASSERT_OK(b_.Write("u", Columns(), {{Value::String("x"), Value::Int(3)}}, {"k"}));
  auto twice = Query("SELECT count(*) AS n FROM u");
  EXPECT_EQ(twice.status().code(), Status::Code::kInvalidArgument) << twice.status().ToString();
  EXPECT_NE(twice.status().message().find("is in both"), std::string::npos)
      << twice.status().ToString();
}

TEST_F(SqlTablesTest, ATableMissingFromAPartFailsOnlyTheQueriesThatReadIt) {
  ASSERT_OK(a_.Write("t", Columns(), {{Value::String("x"), Value::Int(1)}}));
  ASSERT_OK(b_.Write("t", Columns(), {{Value::String("y"), Value::Int(2)}}));
  ASSERT_OK(a_.Write("only_a", Columns(), {{Value::String("z"), Value::Int(3)}}));
  ASSERT_OK_AND_ASSIGN(std::string out, Query("SELECT count(*) AS n FROM t"));
  EXPECT_EQ(out, "{\"n\":2}\n");
  auto missing = Query("SELECT * FROM only_a");
  EXPECT_EQ(missing.status().code(), Status::Code::kResourceNotFound)
      << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("'only_a' not found in '" + b_.source().dir + "'"),
            std::string::npos)
      << missing.status().ToString();
}

TEST_F(SqlTablesTest, VersionsAreRefusedAndAsOfReadsEachPartAsOfThen) {
  ASSERT_OK(a_.Write("t", Columns(), {{Value::String("x"), Value::Int(1)}}));  // at T
  b_.clock()->Advance(3'600'000);
  ASSERT_OK(b_.Write("t", Columns(), {{Value::String("y"), Value::Int(2)}}));  // at T + 1h
  SqlEngine::Options options;
  options.travel.version = 1;
  auto refused = Query("SELECT count(*) AS n FROM t", options);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  // One part keeps its versions.
  ASSERT_OK_AND_ASSIGN(std::string out,
                       SqlStore::QueryTables(SqlTables({a_.source()}), "SELECT n FROM t",
                                             SqlFormat::kJsonLines, options));
  EXPECT_EQ(out, "{\"n\":1}\n");

  options = {};
  options.travel.as_of_ms = 1'600'000'000'000 + 3'600'000;  // b's first version is current
  ASSERT_OK_AND_ASSIGN(out, Query("SELECT count(*) AS n FROM t", options));
  EXPECT_EQ(out, "{\"n\":2}\n");
  // Before b's first commit: b's table has no version then, as `table scan --timestamp` says.
  options.travel.as_of_ms = 1'600'000'000'000 + 1'800'000;
  auto early = Query("SELECT count(*) AS n FROM t", options);
  EXPECT_EQ(early.status().code(), Status::Code::kResourceNotFound) << early.status().ToString();
  EXPECT_NE(early.status().message().find(b_.source().dir), std::string::npos)
      << early.status().ToString();
}

}  // namespace
}  // namespace pinstream
