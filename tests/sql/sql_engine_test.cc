// The SQL engine over real store tables: types, time travel, errors, and the virtual tables'
// join index checked against SQLite's own tables (the load_tables mode) as the oracle.
#include "sql/sql_engine.h"

#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::SqlCol;
using testing::SqlStore;

std::vector<Column> EventColumns() {
  return {SqlCol("id", Type::kInt),       SqlCol("name", Type::kString),
          SqlCol("score", Type::kDouble), SqlCol("ok", Type::kBool),
          SqlCol("at", Type::kTimestamp), SqlCol("point", Type::kArray, Type::kDouble)};
}

// 2021-04-19T17:37:03Z and 2020-01-01T00:00:00.250Z
constexpr int64_t kApril = 1618853823000;
constexpr int64_t kNewYear = 1577836800250;

class SqlEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(db_.Write("events", EventColumns(),
                        {{Value::Int(1), Value::String("a\"b"), Value::Double(2.5),
                          Value::Bool(true), Value::TimestampMs(kApril),
                          Value::MakeArray({Value::Double(-67.1096), Value::Double(1.0)})},
                         {Value::Int(2), Value(), Value::Double(18000.0), Value::Bool(false),
                          Value::TimestampMs(kNewYear), Value()}}));
  }
  SqlStore db_;
};

TEST_F(SqlEngineTest, EveryTypeKeepsItsJsonTypeInJsonLines) {
  ASSERT_OK_AND_ASSIGN(std::string out, db_.Query("SELECT * FROM events ORDER BY id"));
  EXPECT_EQ(out,
            "{\"id\":1,\"name\":\"a\\\"b\",\"score\":2.5,\"ok\":true,"
            "\"at\":\"2021-04-19T17:37:03.000Z\",\"point\":[-67.1096,1.0]}\n"
            "{\"id\":2,\"name\":null,\"score\":18000.0,\"ok\":false,"
            "\"at\":\"2020-01-01T00:00:00.250Z\",\"point\":null}\n");
}

TEST_F(SqlEngineTest, ExpressionsAreSqliteValues) {
  // A computed boolean is SQLite's integer; typeof shows what SQL sees of each column.
  ASSERT_OK_AND_ASSIGN(
      std::string out,
      db_.Query("SELECT typeof(id) t_id, typeof(score) t_score, typeof(ok) t_ok, typeof(at) t_at, "
                "typeof(point) t_point, ok AND 1 AS expr FROM events WHERE id = 1"));
  EXPECT_EQ(out,
            "{\"t_id\":\"integer\",\"t_score\":\"real\",\"t_ok\":\"integer\",\"t_at\":\"text\","
            "\"t_point\":\"text\",\"expr\":1}\n");
}

TEST_F(SqlEngineTest, TimestampsWorkWithDateFunctionsAndSortAsTime) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("SELECT CAST(strftime('%Y', at) AS INTEGER) AS y, "
                                 "strftime('%m-%d %H:%M:%f', at) AS f, unixepoch(at) AS e "
                                 "FROM events ORDER BY at"));
  EXPECT_EQ(out,
            "{\"y\":2020,\"f\":\"01-01 00:00:00.250\",\"e\":1577836800}\n"
            "{\"y\":2021,\"f\":\"04-19 17:37:03.000\",\"e\":1618853823}\n");
  ASSERT_OK_AND_ASSIGN(out, db_.Query("SELECT id FROM events WHERE at >= '2021-01-01'"));
  EXPECT_EQ(out, "{\"id\":1}\n");
  // A literal that looks like a number stays text: timestamps have TEXT affinity.
  ASSERT_OK_AND_ASSIGN(out, db_.Query("SELECT id FROM events WHERE at >= '2020' AND at < '2021'"));
  EXPECT_EQ(out, "{\"id\":2}\n");
  ASSERT_OK_AND_ASSIGN(out,
                       db_.Query("SELECT id FROM events WHERE at = '2021-04-19T17:37:03.000Z'"));
  EXPECT_EQ(out, "{\"id\":1}\n");
}

TEST_F(SqlEngineTest, ArraysAreJsonForTheJsonFunctions) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("SELECT json_extract(point, '$[0]') AS lat, point ->> 1 AS lon, "
                                 "json_array_length(point) AS n FROM events WHERE id = 1"));
  EXPECT_EQ(out, "{\"lat\":-67.1096,\"lon\":1.0,\"n\":2}\n");
  ASSERT_OK_AND_ASSIGN(out, db_.Query("SELECT e.key, e.value FROM events, json_each(point) AS e "
                                      "WHERE events.id = 1 ORDER BY e.key"));
  EXPECT_EQ(out, "{\"key\":0,\"value\":-67.1096}\n{\"key\":1,\"value\":1.0}\n");
}

TEST_F(SqlEngineTest, CsvHasAHeaderAndQuotesAsRfc4180) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("SELECT id, name, ok, point, '' AS empty FROM events ORDER BY id",
                                 SqlFormat::kCsv));
  EXPECT_EQ(out,
            "id,name,ok,point,empty\r\n"
            "1,\"a\"\"b\",true,\"[-67.1096,1.0]\",\"\"\r\n"
            "2,,false,,\"\"\r\n");
}

TEST_F(SqlEngineTest, TableFormatAlignsColumns) {
  ASSERT_OK_AND_ASSIGN(std::string out, db_.Query("SELECT id, name, score FROM events ORDER BY id",
                                                  SqlFormat::kTable));
  EXPECT_EQ(out,
            "id  name  score\n"
            "--  ----  -------\n"
            " 1  a\"b       2.5\n"
            " 2  NULL  18000.0\n"
            "(2 rows)\n");
}

TEST_F(SqlEngineTest, SeveralStatementsRunInOrder) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db_.Query("CREATE TEMP VIEW v AS SELECT id FROM events WHERE ok; "
                                 "SELECT * FROM v; -- a comment\n"));
  EXPECT_EQ(out, "{\"id\":1}\n");
}

TEST_F(SqlEngineTest, ErrorsCarrySqlitesMessage) {
  auto r = db_.Query("SELECT * FROM foo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgumentException: no such table: foo");
  r = db_.Query("SELEC 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgumentException: near \"SELEC\": syntax error");
  r = db_.Query("   ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SqlEngineTest, TablesAreReadOnly) {
  auto r = db_.Query("DELETE FROM events");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgumentException: table events may not be modified");
  ASSERT_OK_AND_ASSIGN(std::string out, db_.Query("SELECT count(*) AS n FROM events"));
  EXPECT_EQ(out, "{\"n\":2}\n");
}

TEST(SqlTimeTravelTest, VersionAndAsOfReadEachTableAsOfThen) {
  SqlStore db;
  const std::vector<Column> cols = {SqlCol("k", Type::kString), SqlCol("n", Type::kInt)};
  const int64_t t0 = db.clock()->NowMillis();
  ASSERT_OK(db.Write("counts", cols, {{Value::String("a"), Value::Int(1)}}, {"k"}));  // v1
  db.clock()->Advance(60'000);
  ASSERT_OK(db.Write("counts", cols, {{Value::String("a"), Value::Int(2)}}, {"k"}));  // v2
  db.clock()->Advance(60'000);
  ASSERT_OK(db.Write("later", cols, {{Value::String("z"), Value::Int(9)}}));  // its v1
  db.clock()->Advance(60'000);
  ASSERT_OK(db.Write("later", cols, {{Value::String("y"), Value::Int(8)}}));  // its v2
  db.clock()->Advance(60'000);
  ASSERT_OK(db.Write("later", cols, {{Value::String("x"), Value::Int(7)}}));  // its v3

  ASSERT_OK_AND_ASSIGN(std::string out, db.Query("SELECT n FROM counts"));
  EXPECT_EQ(out, "{\"n\":2}\n");
  SqlEngine::Options v1;
  v1.travel.version = 1;
  ASSERT_OK_AND_ASSIGN(out, db.Query("SELECT n FROM counts", SqlFormat::kJsonLines, v1));
  EXPECT_EQ(out, "{\"n\":1}\n");

  // A version is each table's own (Delta's VERSION AS OF): counts has no version 3, and only
  // the tables a query names are read.
  SqlEngine::Options v3;
  v3.travel.version = 3;
  ASSERT_OK_AND_ASSIGN(out, db.Query("SELECT count(*) AS n FROM later", SqlFormat::kJsonLines, v3));
  EXPECT_EQ(out, "{\"n\":3}\n");
  auto missing = db.Query("SELECT * FROM counts, later", SqlFormat::kJsonLines, v3);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("counts"), std::string::npos)
      << missing.status().ToString();

  // As of one instant: every table as it was then, whatever their version numbers.
  SqlEngine::Options at;
  at.travel.as_of_ms = t0 + 150'000;  // after counts v2 and later v1, before later v2
  ASSERT_OK_AND_ASSIGN(
      out, db.Query("SELECT c.n AS c, l.n AS l FROM counts c, later l", SqlFormat::kJsonLines, at));
  EXPECT_EQ(out, "{\"c\":2,\"l\":9}\n");
  at.travel.as_of_ms = t0 - 1;  // before anything
  auto before = db.Query("SELECT * FROM counts", SqlFormat::kJsonLines, at);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().code(), Status::Code::kResourceNotFound) << before.status().ToString();
}

// Joins and equality lookups through the virtual tables' hash index give what SQLite gives over
// its own tables (load_tables), for keys with repeats, nulls, and probes of other types.
TEST(SqlJoinTest, VirtualTablesAnswerAsSqlitesOwnTables) {
  SqlStore db;
  const std::vector<Column> left = {SqlCol("ind", Type::kInt), SqlCol("tag", Type::kString)};
  const std::vector<Column> right = {SqlCol("ind", Type::kInt), SqlCol("x", Type::kDouble)};
  std::vector<Row> l, r;
  for (int i = 0; i < 200; ++i) {
    l.push_back({i % 17 == 0 ? Value() : Value::Int(i % 50),
                 i % 5 == 0 ? Value() : Value::String("t" + std::to_string(i % 7))});
    r.push_back({i % 13 == 0 ? Value() : Value::Int(i % 60), Value::Double(i * 0.5)});
  }
  ASSERT_OK(db.Write("l", left, l));
  ASSERT_OK(db.Write("r", right, r));
  const std::vector<std::string> queries = {
      "SELECT l.ind, l.tag, r.x FROM l JOIN r ON r.ind = l.ind ORDER BY 1, 2, 3",
      "SELECT l.ind, r.x FROM l LEFT JOIN r ON r.ind = l.ind ORDER BY 1, 2",
      "SELECT count(*) AS n FROM l, r WHERE l.tag = 't3' AND r.ind = l.ind",
      "SELECT * FROM l WHERE ind = '7' ORDER BY tag",
      "SELECT * FROM l WHERE ind = 7.0 ORDER BY tag",
      "SELECT * FROM l WHERE ind = 7.5",
      "SELECT * FROM l WHERE tag = 't3' COLLATE NOCASE ORDER BY ind",
      "SELECT * FROM l WHERE tag = 'T3' COLLATE NOCASE ORDER BY ind",
      "SELECT * FROM l WHERE ind = NULL",
      "SELECT a.ind, count(*) AS n FROM l a JOIN l b ON b.tag = a.tag GROUP BY a.ind ORDER BY 1",
  };
  SqlEngine::Options loaded;
  loaded.load_tables = true;
  for (const std::string& q : queries) {
    ASSERT_OK_AND_ASSIGN(std::string vtab, db.Query(q));
    ASSERT_OK_AND_ASSIGN(std::string own, db.Query(q, SqlFormat::kJsonLines, loaded));
    EXPECT_EQ(vtab, own) << q;
    EXPECT_FALSE(vtab.empty() && q.find("NULL") == std::string::npos &&
                 q.find("7.5") == std::string::npos)
        << "no rows: nothing compared for " << q;
  }
}

// Tables load in chunks of 65,536 rows that a scan follows as they are published: scans, joins
// and lookups across several chunks, and a LIMIT that leaves before the load ends.
TEST(SqlChunkTest, ScansAndJoinsSpanChunks) {
  SqlStore db;
  constexpr int64_t kRows = 150'000;  // three chunks, the last partial
  std::vector<Row> rows;
  for (int64_t i = 0; i < kRows; ++i) {
    rows.push_back({Value::Int(i), Value::String("k" + std::to_string(i % 1000))});
  }
  ASSERT_OK(db.Write("big", {SqlCol("id", Type::kInt), SqlCol("k", Type::kString)}, rows));
  ASSERT_OK_AND_ASSIGN(std::string out,
                       db.Query("SELECT count(*) AS n, sum(id) AS s, max(rowid) AS r FROM big"));
  EXPECT_EQ(out, "{\"n\":150000,\"s\":11249925000,\"r\":149999}\n");
  ASSERT_OK_AND_ASSIGN(out, db.Query("SELECT count(*) AS n FROM big a JOIN big b ON b.id = a.id "
                                     "WHERE a.k = b.k"));
  EXPECT_EQ(out, "{\"n\":150000}\n");
  ASSERT_OK_AND_ASSIGN(out,
                       db.Query("SELECT id FROM big WHERE id = 149999 OR id = 65536 ORDER BY id"));
  EXPECT_EQ(out, "{\"id\":65536}\n{\"id\":149999}\n");
  ASSERT_OK_AND_ASSIGN(out, db.Query("SELECT count(*) AS n FROM big a JOIN big b ON b.k = a.k "
                                     "WHERE a.id = 149999"));
  EXPECT_EQ(out, "{\"n\":150}\n");  // the 150 rows of key k999, all chunks
  ASSERT_OK_AND_ASSIGN(out, db.Query("SELECT id FROM big LIMIT 2"));
  EXPECT_EQ(out, "{\"id\":0}\n{\"id\":1}\n");
}

}  // namespace
}  // namespace pinstream
