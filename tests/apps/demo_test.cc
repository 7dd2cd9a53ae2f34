// `pinstream demo` end to end, as a new user runs it (SPEC section 1): the child process starts
// its own broker, emulates posts, runs the processor on topologies/pinterest.json and reports.
// The report is checked against what the streams and tables in its data directory really hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "stream/stream_store.h"
#include "tests/operators/pinterest_reference.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/support/proc_inspect.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using testing::CliRun;
using testing::RunPinstream;
using testing::ScanTable;
using testing::TempDir;

constexpr char kPrefix[] = "streaming-demo";  // the demo's default, which the topology reads

// The partition keys (inds) of every record in `stream`, and how many records it holds.
struct StreamContents {
  uint64_t records = 0;
  std::set<std::string> keys;
};

Result<StreamContents> ReadStream(const StreamStore& store, const std::string& stream) {
  StreamContents out;
  ASSIGN_OR_RETURN(StreamDescription desc, store.DescribeStream(stream));
  for (const auto& shard : desc.shards) {
    ASSIGN_OR_RETURN(std::string it,
                     store.GetShardIterator(stream, ShardIdFromIndex(shard.index), {}));
    while (true) {
      uint64_t got = 0;
      ASSIGN_OR_RETURN(GetRecordsResult r,
                       store.GetRecords(it, kMaxGetRecordsLimit, [&](const RecordView& v) {
                         ++got;
                         out.keys.insert(std::string(v.partition_key));
                       }));
      out.records += got;
      it = r.next_iterator;
      if (got == 0) break;
    }
  }
  return out;
}

// The `ind` column of every row of `table`, as text (partition keys are the ind's text).
Result<std::multiset<std::string>> TableInds(const std::string& dir, const std::string& table) {
  Schema schema;
  ASSIGN_OR_RETURN(std::vector<Row> rows, ScanTable(dir, table, &schema));
  const int ind = schema.Find("ind");
  if (ind < 0) return Status::InvalidArgument("table " + table + " has no ind column");
  std::multiset<std::string> out;
  for (const Row& row : rows) out.insert(std::to_string(row[ind].as_int()));
  return out;
}

class DemoTest : public ::testing::Test {
 protected:
  // Runs the demo to completion; its report, parsed. The run itself lands in `last_`.
  json RunDemo(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"demo", "--data", data_, "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto run = RunPinstream(args, dir_.path());
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    if (!run.ok()) return nullptr;
    last_ = *run;
    EXPECT_EQ(last_.exit_code, 0) << last_.err;
    json report = json::parse(last_.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(report.is_object()) << "stdout is not one JSON object: " << last_.out;
    return report.is_object() ? report : json(nullptr);
  }

  TempDir dir_;
  std::string data_ = dir_.Sub("demo");
  CliRun last_;
};

TEST_F(DemoTest, RunsThePipelineAndReportsWhatTheTablesHold) {
  json report = RunDemo({"--posts", "300"});
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["posts"], 300);
  EXPECT_EQ(report["records_sent"], 900);
  EXPECT_EQ(report["records_failed"], 0);
  EXPECT_EQ(report["records_in"], 900);
  EXPECT_EQ(report["data"], data_);
  const std::string processor_data = report["processor_data"];
  const std::string broker_data = report["broker_data"];

  // What the broker holds: 300 records per stream, the distinct posts as partition keys.
  StreamStore::Options options;
  options.path = broker_data;
  ASSERT_OK_AND_ASSIGN(auto store, StreamStore::Open(options));
  std::set<std::string> posted;
  for (const char* kind : {"pin", "geo", "user"}) {
    ASSERT_OK_AND_ASSIGN(StreamContents s, ReadStream(*store, std::string(kPrefix) + "-" + kind));
    EXPECT_EQ(s.records, 300u) << kind;
    if (posted.empty()) posted = s.keys;
    EXPECT_EQ(s.keys, posted) << kind << ": every post is a pin, a geo and a user record";
  }
  store.reset();
  EXPECT_EQ(report["distinct_posts"], posted.size());
  ASSERT_LT(posted.size(), 300u) << "the emulation draws repeated posts";

  // What the tables hold: one row per distinct post, exactly those inds, no dead letters (the
  // emulated dirt is all cleanable), and the report says so.
  for (const char* table : {"pin", "geo", "user"}) {
    ASSERT_OK_AND_ASSIGN(std::multiset<std::string> inds, TableInds(processor_data, table));
    EXPECT_EQ(std::set<std::string>(inds.begin(), inds.end()), posted) << table;
    EXPECT_EQ(inds.size(), posted.size()) << table << " holds one row per ind";
    EXPECT_EQ(report["tables"][table], inds.size()) << table;
  }
  auto dead = ScanTable(processor_data, "dead_letters");
  const size_t dead_rows = dead.ok() ? dead->size() : 0;  // created with the first dead letter
  EXPECT_EQ(report["dead_letters"], dead_rows);
  EXPECT_EQ(report["tables"]["dead_letters"], dead_rows);
  // The answers: every question, printed, and equal to the batch reference over the tables.
  ASSERT_TRUE(report["answers"].is_object());
  for (const auto& table : testing::QuestionTables()) {
    EXPECT_TRUE(report["answers"].contains(table)) << table;
    EXPECT_THAT(last_.err, HasSubstr("  " + table + " (")) << table;
  }
  EXPECT_EQ(report["tables"]["unmatched_posts"], 0);
  testing::ExpectQuestionsMatchTheBatchReference(processor_data);

  // The human summary names the data and the commands to inspect it, and they work.
  EXPECT_THAT(last_.err, HasSubstr("table scan pin --data " + processor_data));
  EXPECT_THAT(last_.err, HasSubstr("offsets show --data " + processor_data));
  ASSERT_OK_AND_ASSIGN(CliRun list,
                       RunPinstream({"table", "list", "--data", processor_data}, dir_.path()));
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("\"name\":\"pin\""));

  // Nothing is left running on the demo's data. (Not "the broker's port refuses": under ctest -j
  // another test may bind the freed port at once.)
  ASSERT_TRUE(report["broker"].is_string());
  EXPECT_EQ(testing::ProcessesUsing(data_), std::vector<pid_t>{}) << report["broker"];
}

TEST_F(DemoTest, ASecondRunOnTheSameDataProcessesOnlyTheNewPosts) {
  json first = RunDemo({"--posts", "200"});
  ASSERT_TRUE(first.is_object());
  json second = RunDemo({"--posts", "100", "--seed", "7"});
  ASSERT_TRUE(second.is_object());
  // The processor resumes from its checkpoint: only the second run's records are read.
  EXPECT_EQ(second["records_in"], 300);

  StreamStore::Options options;
  options.path = second["broker_data"].get<std::string>();
  ASSERT_OK_AND_ASSIGN(auto store, StreamStore::Open(options));
  ASSERT_OK_AND_ASSIGN(StreamContents pins, ReadStream(*store, std::string(kPrefix) + "-pin"));
  store.reset();
  EXPECT_EQ(pins.records, 300u);
  ASSERT_OK_AND_ASSIGN(std::multiset<std::string> inds,
                       TableInds(second["processor_data"].get<std::string>(), "pin"));
  EXPECT_EQ(std::set<std::string>(inds.begin(), inds.end()), pins.keys);
  EXPECT_EQ(inds.size(), pins.keys.size());
  EXPECT_EQ(second["tables"]["pin"], pins.keys.size());
}

// `./run demo` runs the batch half too: the streams archived by day, the batch job over every
// day, a question answered in SQL; its tables hold what the streaming run's do.
TEST_F(DemoTest, TheBatchHalfArchivesRunsTheBatchJobAndAnswersInSql) {
  json report = RunDemo({"--posts", "300", "--batch"});
  ASSERT_TRUE(report.is_object());
  const json& batch = report["batch"];
  ASSERT_TRUE(batch.is_object()) << report;
  EXPECT_EQ(batch["records_archived"], 900);
  int64_t records = 0;
  for (const json& run : batch["runs"]) {
    EXPECT_EQ(run["status"], "succeeded") << run;
    records += run["records"].get<int64_t>();
  }
  EXPECT_EQ(records, 900);
  EXPECT_EQ(batch["question"], "q_category_by_year");
  EXPECT_GT(batch["answer_rows"].get<int64_t>(), 0);
  EXPECT_EQ(batch["answer_equals_table"], true);
  for (const char* table : {"pin", "geo", "user", "q_category_by_year"}) {
    ASSERT_OK_AND_ASSIGN(auto streaming,
                         ScanTable(report["processor_data"].get<std::string>(), table));
    ASSERT_OK_AND_ASSIGN(auto batched, ScanTable(batch["batch_data"].get<std::string>(), table));
    auto sorted = [](std::vector<Row> rows) {
      std::vector<std::string> out;
      for (const Row& r : rows) {
        json j = json::array();
        for (const Value& v : r) j.push_back(v.ToJson());
        out.push_back(j.dump());
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    EXPECT_EQ(sorted(streaming), sorted(batched)) << table;
  }
  EXPECT_NE(last_.err.find("batch side:"), std::string::npos) << last_.err;
}

TEST_F(DemoTest, AMissingTopologyIsAnErrorBeforeAnythingStarts) {
  auto run =
      RunPinstream({"demo", "--data", data_, "--topology", dir_.Sub("nope.json")}, dir_.path());
  ASSERT_OK(run.status());
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_THAT(run->err, HasSubstr("ResourceNotFoundException"));
  EXPECT_THAT(run->err, HasSubstr("nope.json"));
  EXPECT_TRUE(run->out.empty()) << run->out;
  EXPECT_FALSE(std::filesystem::exists(data_)) << "no data directory for a run that never began";
}

}  // namespace
}  // namespace pinstream
