// queries/*.sql against the streaming processor (issue 16, SPEC §9): posts emulated into a real
// broker process, `pinstream run topologies/pinterest.json --once` cleans them and answers the
// questions in its q_* tables, and each query run with `pinstream sql` over the cleaned tables
// must give exactly the rows of its table.
#include <gtest/gtest.h>

#include "tests/sql/question_queries.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::RunPinstream;
using testing::TempDir;

const std::string kTopology = std::string(PINSTREAM_SOURCE_DIR) + "/topologies/pinterest.json";

// The processor's tables after `posts` posts drawn from inds 0..max_ind (repeats included).
void RunPipelineAndCheckQueries(int posts, int max_ind, uint64_t seed) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir.Sub("broker")));
  ASSERT_OK_AND_ASSIGN(
      auto emulated, RunPinstream({"emulate", "--broker", broker->endpoint(), "--prefix", "sq",
                                   "--count", std::to_string(posts), "--seed", std::to_string(seed),
                                   "--max-ind", std::to_string(max_ind), "--no-progress"},
                                  dir.path()));
  ASSERT_EQ(emulated.exit_code, 0) << emulated.err;
  const std::string data = dir.Sub("processor");
  ASSERT_OK_AND_ASSIGN(
      auto run, RunPinstream({"run", kTopology, "--data", data, "--once"}, dir.path(),
                             {"PINSTREAM_BROKER=" + broker->endpoint(), "PINSTREAM_PREFIX=sq"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_OK(broker->Terminate());
  // Every country, year and group of the questions: far more than 100 rows.
  testing::ExpectQueriesGiveQuestionTables(data, dir.path(), 100);
}

TEST(QueriesProcessTest, EachQueryGivesItsQuestionTableOverMostlyDistinctPosts) {
  RunPipelineAndCheckQueries(4000, 99999999, 7);
}

// The original script's draws: most posts are repeats, which the topology de-duplicates.
TEST(QueriesProcessTest, EachQueryGivesItsQuestionTableOverRepeatedPosts) {
  RunPipelineAndCheckQueries(6000, 11000, 100);
}

}  // namespace
}  // namespace pinstream
