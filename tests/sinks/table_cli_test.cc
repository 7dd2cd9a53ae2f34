// `pinstream table ...` and `pinstream offsets show`, run as a separate process on a store this
// test fills through ProcessorStore and keeps open for writing meanwhile (the CLI opens it
// read-only beside the writer, as it would beside a running processor).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/processor_store.h"
#include "tests/sinks/store_test_util.h"
#include "tests/test_util.h"

extern char** environ;

namespace pinstream {
namespace {

using json = nlohmann::json;
using testing::Col;
using testing::TempDir;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs PINSTREAM_BINARY with `args`; stdout and stderr go through files in `scratch`.
CliResult Pinstream(const std::vector<std::string>& args, const TempDir& scratch) {
  static int counter = 0;
  const std::string out_path = scratch.Sub("out" + std::to_string(counter));
  const std::string err_path = scratch.Sub("err" + std::to_string(counter++));
  std::vector<std::string> all = {PINSTREAM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  CliResult run;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    run.err = "posix_spawn failed: " + std::to_string(rc);
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = Slurp(out_path);
  run.err = Slurp(err_path);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

class TableCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessorStore::Options options;
    options.path = data_;
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, ProcessorStore::Open(options));
    TableDef pin{
        "pin",
        Schema({Col("ind", Type::kInt), Col("title", Type::kString),
                Col("tags", Type::kArray, true, Type::kString), Col("at", Type::kTimestamp),
                Col("score", Type::kDouble), Col("ok", Type::kBool)}),
        {}};
    TableDef counts{
        "counts", Schema({Col("country", Type::kString), Col("n", Type::kInt)}), {"country"}};
    ASSERT_OK_AND_ASSIGN(TableWriter * p, store_->OpenTable(pin));
    ASSERT_OK_AND_ASSIGN(TableWriter * c, store_->OpenTable(counts));
    ASSERT_OK(p->Write({Value::Int(1), Value::String("plain"),
                        Value::MakeArray({Value::String("x"), Value::String("y, \"z\"")}),
                        Value::TimestampMs(1618853823000), Value::Double(1.5), Value::Bool(true)}));
    ASSERT_OK(p->Write({Value::Int(2), Value(), Value(), Value(), Value(), Value()}));
    ASSERT_OK(c->Write({Value::String("Germany"), Value::Int(1)}));
    ASSERT_OK(c->Write({Value::String("Albania"), Value::Int(2)}));
    ASSERT_OK(
        store_->Commit("pinterest", {{{"demo-pin", {{"shardId-000000000000", "100"}}}}, {}, {}})
            .status());
    clock_.Advance(2250);
    ASSERT_OK(
        p->Write({Value::Int(3), Value::String("comma, \"quote\"\nline"), Value::MakeArray({}),
                  Value::TimestampMs(1618853823250), Value::Double(-0.25), Value::Bool(false)}));
    ASSERT_OK(p->Write({Value::Int(4), Value::String(""), Value(), Value(), Value(), Value()}));
    ASSERT_OK(c->Write({Value::String("Germany"), Value::Int(3)}));
    ASSERT_OK(store_->WriteDeadLetter({"demo-pin", "shardId-000000000000", "101", 1618853823000,
                                       "pk", "{oops", "pin/parse_json",
                                       "InvalidArgumentException: bad JSON", "pinterest"}));
    ASSERT_OK(
        store_->Commit("pinterest", {{{"demo-pin", {{"shardId-000000000000", "200"}}}}, {}, {}})
            .status());
    // store_ stays open for writing while the CLI runs.
  }

  CliResult RunTable(std::vector<std::string> args) {
    args.insert(args.begin(), "table");
    args.push_back("--data");
    args.push_back(data_);
    return Pinstream(args, scratch_);
  }

  TempDir dir_;
  TempDir scratch_;
  std::string data_ = dir_.Sub("data");
  ManualClock clock_{1618853823000};
  std::unique_ptr<ProcessorStore> store_;
};

TEST_F(TableCliTest, ListAndDescribe) {
  CliResult listed = RunTable({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  json j = json::parse(listed.out);
  ASSERT_EQ(j["tables"].size(), 3u);
  EXPECT_EQ(j["tables"][0], json({{"name", "counts"},
                                  {"version", 2},
                                  {"kind", "upsert"},
                                  {"key", json::array({"country"})}}));
  EXPECT_EQ(j["tables"][1]["name"], "dead_letters");
  EXPECT_EQ(j["tables"][1]["version"], 1);
  EXPECT_EQ(j["tables"][2]["name"], "pin");
  EXPECT_EQ(j["tables"][2]["kind"], "append");
  EXPECT_EQ(j["tables"][2]["key"], json::array());

  CliResult describe = RunTable({"describe", "pin"});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_EQ(Lines(describe.out).size(), 1u);
  j = json::parse(describe.out);
  EXPECT_EQ(j["name"], "pin");
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["schema"][2],
            json({{"name", "tags"}, {"type", "array<string>"}, {"nullable", true}}));
  EXPECT_EQ(j["schema"][3]["type"], "timestamp");
}

TEST_F(TableCliTest, HistoryNewestFirst) {
  CliResult history = RunTable({"history", "pin"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto lines = Lines(history.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(
      lines[0],
      R"({"version":2,"timestamp":"2021-04-19T17:37:05.250Z","operation":"STREAMING UPDATE",)"
      R"("rows_added":2,"batch_id":2,"offsets":{"demo-pin":{"shardId-000000000000":"200"}}})");
  EXPECT_EQ(json::parse(lines[1])["rows_added"], 2);
  EXPECT_EQ(json::parse(lines[2])["operation"], "CREATE TABLE");
  CliResult limited = RunTable({"history", "pin", "--limit", "1"});
  EXPECT_EQ(Lines(limited.out).size(), 1u);
}

TEST_F(TableCliTest, ScanPrintsJsonLinesInSchemaOrderAndTravelsInTime) {
  CliResult scan = RunTable({"scan", "pin"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  auto lines = Lines(scan.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            R"({"ind":1,"title":"plain","tags":["x","y, \"z\""],"at":"2021-04-19T17:37:03Z",)"
            R"("score":1.5,"ok":true})");
  EXPECT_EQ(lines[1], R"({"ind":2,"title":null,"tags":null,"at":null,"score":null,"ok":null})");
  EXPECT_EQ(lines[2], R"({"ind":3,"title":"comma, \"quote\"\nline","tags":[],)"
                      R"("at":"2021-04-19T17:37:03.250Z","score":-0.25,"ok":false})");

  CliResult v1 = RunTable({"scan", "pin", "--version", "1"});
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  EXPECT_EQ(Lines(v1.out).size(), 2u);
  CliResult v0 = RunTable({"scan", "pin", "--version", "0"});
  ASSERT_EQ(v0.exit_code, 0) << v0.err;
  EXPECT_EQ(v0.out, "");
  CliResult limited = RunTable({"scan", "pin", "--limit", "3"});
  EXPECT_EQ(Lines(limited.out).size(), 3u);

  CliResult counts = RunTable({"scan", "counts"});
  ASSERT_EQ(counts.exit_code, 0) << counts.err;
  EXPECT_EQ(counts.out, "{\"country\":\"Albania\",\"n\":2}\n{\"country\":\"Germany\",\"n\":3}\n");
  CliResult counts_v1 = RunTable({"scan", "counts", "--version", "1"});
  EXPECT_EQ(counts_v1.out,
            "{\"country\":\"Albania\",\"n\":2}\n{\"country\":\"Germany\",\"n\":1}\n");

  CliResult dead = RunTable({"scan", "dead_letters"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_EQ(dead.out,
            R"({"stream":"demo-pin","shard_id":"shardId-000000000000","sequence_number":"101",)"
            R"("arrival":"2021-04-19T17:37:03Z","partition_key":"pk","data":"{oops",)"
            R"("operator":"pin/parse_json","error":"InvalidArgumentException: bad JSON",)"
            R"("topology":"pinterest"})"
            "\n");
}

TEST_F(TableCliTest, ExportCsvQuotesAsRfc4180AndJsonlEqualsScan) {
  CliResult csv = RunTable({"export", "pin", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out,
            "ind,title,tags,at,score,ok\r\n"
            "1,plain,\"[\"\"x\"\",\"\"y, \\\"\"z\\\"\"\"\"]\",2021-04-19T17:37:03Z,1.5,true\r\n"
            "2,,,,,\r\n"
            "3,\"comma, \"\"quote\"\"\nline\",[],2021-04-19T17:37:03.250Z,-0.25,false\r\n"
            "4,\"\",,,,\r\n");
  CliResult jsonl = RunTable({"export", "pin"});
  CliResult scan = RunTable({"scan", "pin"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  EXPECT_EQ(jsonl.out, scan.out);
  CliResult old = RunTable({"export", "pin", "--format", "csv", "--version", "1"});
  EXPECT_EQ(Lines(old.out).size(), 3u);
  CliResult bad = RunTable({"export", "pin", "--format", "xml"});
  EXPECT_NE(bad.exit_code, 0);
}

TEST_F(TableCliTest, ErrorsNameTheirType) {
  CliResult missing = RunTable({"scan", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "ResourceNotFoundException: table 'nope' not found\n");
  CliResult describe = RunTable({"history", "nope"});
  EXPECT_EQ(describe.err, "ResourceNotFoundException: table 'nope' not found\n");
  CliResult version = RunTable({"scan", "pin", "--version", "9"});
  EXPECT_EQ(version.exit_code, 1);
  EXPECT_TRUE(version.err.starts_with("InvalidArgumentException: table 'pin' has no version 9"))
      << version.err;
  CliResult no_store = Pinstream({"table", "list", "--data", dir_.Sub("none")}, scratch_);
  EXPECT_EQ(no_store.exit_code, 1);
  EXPECT_TRUE(no_store.err.starts_with("ResourceNotFoundException: no processor store"))
      << no_store.err;
}

TEST_F(TableCliTest, OffsetsShow) {
  CliResult show = Pinstream({"offsets", "show", "--data", data_}, scratch_);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(show.out, R"({"pinterest":{"batch_id":2,"time":"2021-04-19T17:37:05.250Z",)"
                      R"("offsets":{"demo-pin":{"shardId-000000000000":"200"}},"arrivals":{},)"
                      R"("incarnations":{},"tables":{"counts":2,"dead_letters":1,"pin":2}}})"
                      "\n");
  CliResult one = Pinstream({"offsets", "show", "--data", data_, "--topology", "nope"}, scratch_);
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_TRUE(one.err.starts_with("ResourceNotFoundException")) << one.err;
}

// `table vacuum`: the store's versions are from 2021, far past the default retention (7 days)
// by the real clock the CLI uses, so all but the newest version of each table go.
TEST_F(TableCliTest, VacuumDryRunRefusesBesideAWriterThenRemovesAndTimeTravelIsRefused) {
  CliResult dry = RunTable({"vacuum", "--dry-run"});  // read-only: fine beside the writer
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto lines = Lines(dry.out);
  ASSERT_EQ(lines.size(), 5u) << dry.out;  // counts, dead_letters, pin, the topology, summary
  json counts = json::parse(lines[0]);
  EXPECT_EQ(counts["table"], "counts");
  EXPECT_EQ(counts["oldest_version"], 2);
  EXPECT_EQ(counts["versions_removed"], 2);  // CREATE TABLE and version 1
  EXPECT_EQ(counts["rows_removed"], 1);      // Germany's version 1
  EXPECT_EQ(counts["dry_run"], true);
  EXPECT_EQ(json::parse(lines[2])["table"], "pin");
  EXPECT_EQ(json::parse(lines[2])["rows_removed"], 0);
  json topology = json::parse(lines[3]);
  EXPECT_EQ(topology["topology"], "pinterest");
  EXPECT_EQ(topology["oldest_batch"], 2);
  EXPECT_EQ(topology["batches_removed"], 1);
  EXPECT_EQ(json::parse(lines[4])["dry_run"], true);
  CliResult history = RunTable({"history", "counts"});
  EXPECT_EQ(Lines(history.out).size(), 3u);  // nothing removed

  CliResult beside = RunTable({"vacuum"});
  EXPECT_EQ(beside.exit_code, 1);
  EXPECT_NE(beside.err.find("is open in another process"), std::string::npos) << beside.err;

  store_.reset();  // the processor stops
  CliResult vacuum = RunTable({"vacuum"});
  ASSERT_EQ(vacuum.exit_code, 0) << vacuum.err;
  lines = Lines(vacuum.out);
  ASSERT_EQ(lines.size(), 5u) << vacuum.out;
  EXPECT_EQ(json::parse(lines[0])["rows_removed"], 1);
  json summary = json::parse(lines[4]);
  EXPECT_EQ(summary["dry_run"], false);
  EXPECT_GT(summary["bytes_removed"].get<int64_t>(), 0);
  EXPECT_TRUE(summary.contains("sst_bytes_after")) << lines[4];

  history = RunTable({"history", "counts"});
  EXPECT_EQ(Lines(history.out).size(), 1u);
  CliResult old = RunTable({"scan", "counts", "--version", "1"});
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_TRUE(
      old.err.starts_with("ResourceNotFoundException: table 'counts': version 1 is no "
                          "longer available (history_retention vacuumed it); the "
                          "oldest version left is 2"))
      << old.err;
  CliResult by_time = RunTable({"scan", "counts", "--timestamp", "2021-04-19T17:37:04Z"});
  EXPECT_EQ(by_time.exit_code, 1);
  EXPECT_NE(by_time.err.find("the oldest version left is 2"), std::string::npos) << by_time.err;
  CliResult newest = RunTable({"scan", "counts"});
  ASSERT_EQ(newest.exit_code, 0) << newest.err;
  EXPECT_EQ(Lines(newest.out).size(), 2u);

  // The batches before 2 were trimmed: a rewind to before it is refused, saying how far back.
  CliResult rewind = Pinstream(
      {"offsets", "reset", "--data", data_, "--to", "trim-horizon", "--rewind-tables", "--dry-run"},
      scratch_);
  EXPECT_EQ(rewind.exit_code, 1);
  EXPECT_NE(rewind.err.find("the furthest back it can go is batch 2, committed "
                            "2021-04-19T17:37:05.250Z"),
            std::string::npos)
      << rewind.err;
}

TEST_F(TableCliTest, VacuumOfNamedTablesWithRetain) {
  store_.reset();
  CliResult vacuum = RunTable({"vacuum", "counts", "--retain", "100000d"});
  ASSERT_EQ(vacuum.exit_code, 0) << vacuum.err;
  auto lines = Lines(vacuum.out);
  ASSERT_EQ(lines.size(), 2u) << vacuum.out;  // the table and the summary: no topology trimmed
  EXPECT_EQ(json::parse(lines[0])["versions_removed"], 0);
  CliResult missing = RunTable({"vacuum", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "ResourceNotFoundException: table 'nope' not found\n");
}

}  // namespace
}  // namespace pinstream
