// `pinstream sql` as a process: its output on stdout, errors as one typed line on stderr with
// a non-zero exit, the flags.
#include <gtest/gtest.h>

#include "tests/sql/sql_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::RunPinstream;
using testing::SqlCol;
using testing::TempDir;

class SqlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("store");
    ProcessorStore::Options options;
    options.path = data_;
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(auto store, ProcessorStore::Open(options));
    const TableDef def{"t", Schema({SqlCol("k", Type::kString), SqlCol("n", Type::kInt)}), {}};
    ASSERT_OK_AND_ASSIGN(TableWriter * w, store->OpenTable(def));
    ASSERT_OK(w->Write({Value::String("a"), Value::Int(1)}));
    ASSERT_OK(store->Commit("test", Checkpoint{}).status());  // v1 at 2020-09-13T12:26:40Z
    clock_.Advance(3'600'000);
    ASSERT_OK(w->Write({Value::String("b,c"), Value::Int(2)}));
    ASSERT_OK(store->Commit("test", Checkpoint{}).status());  // v2 an hour later
  }
  testing::CliRun Sql(std::vector<std::string> args) {
    args.insert(args.begin(), "sql");
    args.push_back("--data");
    args.push_back(data_);
    auto r = RunPinstream(args, dir_.path());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : testing::CliRun{};
  }
  TempDir dir_;
  ManualClock clock_{1'600'000'000'000};
  std::string data_;
};

TEST_F(SqlCliTest, PrintsJsonLinesByDefault) {
  auto r = Sql({"SELECT k, n FROM t ORDER BY n"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"k\":\"a\",\"n\":1}\n{\"k\":\"b,c\",\"n\":2}\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(SqlCliTest, FormatsCsvAndTable) {
  auto r = Sql({"SELECT k, n FROM t ORDER BY n", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "k,n\r\na,1\r\n\"b,c\",2\r\n");
  r = Sql({"SELECT k, n FROM t ORDER BY n", "--format", "table"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "k    n\n---  -\na    1\nb,c  2\n(2 rows)\n");
}

TEST_F(SqlCliTest, TimeTravelsByVersionAndTime) {
  auto r = Sql({"SELECT count(*) AS n FROM t", "--version", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":1}\n");
  r = Sql({"SELECT count(*) AS n FROM t", "--as-of", "2020-09-13T12:56:40Z"});  // 30 min after v1
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":1}\n");
  r = Sql({"SELECT count(*) AS n FROM t", "--as-of", "2020-09-13T13:26:40Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"n\":2}\n");
  r = Sql({"SELECT count(*) AS n FROM t", "--version", "7"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("InvalidArgumentException: ", 0), 0u) << r.err;
}

TEST_F(SqlCliTest, ErrorsAreOneTypedLineOnStderr) {
  auto r = Sql({"SELECT * FROM foo"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "InvalidArgumentException: no such table: foo\n");
  r = Sql({"SELECT 1", "--as-of", "yesterday"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("InvalidArgumentException: invalid timestamp 'yesterday'", 0), 0u) << r.err;
  auto missing = RunPinstream({"sql", "SELECT 1", "--data", dir_.Sub("nothing-here")}, dir_.path());
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 1);
  EXPECT_NE(missing->err.find("Exception: "), std::string::npos) << missing->err;
}

}  // namespace
}  // namespace pinstream
