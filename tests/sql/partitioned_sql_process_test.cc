// `pinstream sql` over one topology run as several instances (issue 18): a real broker holds
// emulated posts, the Pinterest topology runs `--once` as a single instance and as three
// (`run --instance I --instances 3`, each into its own data directory), and a query over the
// three directories, each table the union of its parts, answers as the query over the single
// run does: the eight questions of queries/ (joins of pin, geo and user on ind) and a count by
// category. By a glob too; --version over several directories is refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/sql/question_queries.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CanonicalRows;
using testing::CliRun;
using testing::RunPinstream;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";
constexpr int kInstances = 3;

class PartitionedSqlTest : public ::testing::Test {
 protected:
  // One broker and the runs, shared by the tests: the pipeline is the slow part.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto broker = BrokerProcess::Start(dir_->Sub("broker"));
    ASSERT_OK(broker.status());
    broker_ = broker->release();
    env_ = {"PINSTREAM_BROKER=" + broker_->endpoint(), "PINSTREAM_PREFIX=ps"};
    CliRun run = Cli({"emulate", "--broker", broker_->endpoint(), "--prefix", "ps", "--count",
                      "600", "--seed", "18", "--shards", "6", "--max-ind", "800", "--no-progress"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    run = Cli({"run", kTopology, "--data", dir_->Sub("single"), "--once"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    for (int i = 0; i < kInstances; ++i) {
      run = Cli({"run", kTopology, "--data", dir_->Sub("instance-" + std::to_string(i)), "--once",
                 "--instance", std::to_string(i), "--instances", std::to_string(kInstances)});
      ASSERT_EQ(run.exit_code, 0) << run.err;
    }
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static CliRun Cli(const std::vector<std::string>& args) {
    auto run = RunPinstream(args, dir_->path(), env_);
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  static std::vector<std::string> InstanceDirs() {
    std::vector<std::string> dirs;
    for (int i = 0; i < kInstances; ++i) {
      dirs.push_back(dir_->Sub("instance-" + std::to_string(i)));
    }
    return dirs;
  }

  // `pinstream sql QUERY` over `dirs` with `flags`, its rows as a multiset.
  static std::vector<std::string> Sql(const std::string& query,
                                      const std::vector<std::string>& dirs,
                                      const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"sql", query};
    for (const auto& d : dirs) args.insert(args.end(), {"--data", d});
    args.insert(args.end(), flags.begin(), flags.end());
    CliRun run = Cli(args);
    EXPECT_EQ(run.exit_code, 0) << query << ": " << run.err;
    return CanonicalRows(run.out);
  }

  static TempDir* dir_;
  static BrokerProcess* broker_;
  static std::vector<std::string> env_;
};

TempDir* PartitionedSqlTest::dir_ = nullptr;
BrokerProcess* PartitionedSqlTest::broker_ = nullptr;
std::vector<std::string> PartitionedSqlTest::env_;

TEST_F(PartitionedSqlTest, QueriesOverTheInstancesEqualTheSingleRun) {
  const std::string single = dir_->Sub("single");
  const std::vector<std::string> dirs = InstanceDirs();
  // Each instance holds a share of pin: the union is really of several parts.
  const std::string count = "SELECT count(*) AS n FROM pin";
  const std::vector<std::string> total = Sql(count, {single});
  ASSERT_EQ(total.size(), 1u);
  for (const auto& d : dirs) EXPECT_NE(Sql(count, {d}), total) << d;
  EXPECT_EQ(Sql(count, dirs), total);

  const std::string by_category =
      "SELECT category, count(*) AS n FROM pin GROUP BY category ORDER BY category";
  const std::vector<std::string> categories = Sql(by_category, {single});
  EXPECT_FALSE(categories.empty());
  EXPECT_EQ(Sql(by_category, dirs), categories);

  const std::string joined =
      "SELECT pin.category, user.age, geo.country, count(*) AS n FROM pin "
      "JOIN geo ON geo.ind = pin.ind JOIN user ON user.ind = pin.ind "
      "GROUP BY 1, 2, 3";
  const std::vector<std::string> expected = Sql(joined, {single});
  EXPECT_GT(expected.size(), 100u);
  EXPECT_EQ(Sql(joined, dirs), expected);

  size_t rows = 0;
  for (const std::string& question : testing::QuestionQueryTables()) {
    const std::string sql = testing::ReadQueryFile(question);
    ASSERT_FALSE(sql.empty()) << question;
    const std::vector<std::string> answer = Sql(sql, {single});
    EXPECT_EQ(Sql(sql, dirs), answer) << question;
    rows += answer.size();
  }
  EXPECT_GT(rows, 100u);
}

TEST_F(PartitionedSqlTest, AGlobNamesTheInstances) {
  const std::string joined =
      "SELECT pin.category, count(*) AS n FROM pin JOIN geo ON geo.ind = pin.ind GROUP BY 1";
  const std::vector<std::string> expected = Sql(joined, {dir_->Sub("single")});
  EXPECT_EQ(Sql(joined, {dir_->Sub("instance-*")}), expected);
}

TEST_F(PartitionedSqlTest, AsOfReadsEachPartAsOfThenAndVersionIsRefused) {
  const std::string count = "SELECT count(*) AS n FROM pin";
  const std::vector<std::string> dirs = InstanceDirs();
  // Long after every commit: each part's newest version.
  EXPECT_EQ(Sql(count, dirs, {"--as-of", "2100-01-01T00:00:00Z"}), Sql(count, dirs));

  std::vector<std::string> args = {"sql", count, "--version", "1"};
  for (const auto& d : dirs) args.insert(args.end(), {"--data", d});
  CliRun run = Cli(args);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("InvalidArgumentException: --version reads one --data directory", 0), 0u)
      << run.err;
  // One directory keeps its versions.
  run = Cli({"sql", count, "--version", "1", "--data", dirs[0]});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(PartitionedSqlTest, ADirectoryTwiceIsRefused) {
  CliRun run =
      Cli({"sql", "SELECT 1", "--data", dir_->Sub("single"), "--data", dir_->Sub("single")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("given twice"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace pinstream
