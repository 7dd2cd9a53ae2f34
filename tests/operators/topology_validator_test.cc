// The topology validator: the corpus under tests/topologies/ (bad/*.json each with the exact
// problems it must report in bad/*.expected; good/*.json must build), comments and ${VAR}
// substitution, the graph that a valid topology builds, and `pinstream validate` / `run` on
// the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "operators/graph.h"
#include "operators/topology.h"
#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

namespace fs = std::filesystem;
using testing::Col;
using ::testing::HasSubstr;
using testing::Int;
using testing::Null;
using testing::RowText;
using testing::RunPinstream;
using testing::Str;
using testing::TempDir;

const std::string kSourceDir = PINSTREAM_SOURCE_DIR;
const std::string kCorpusDir = kSourceDir + "/tests/topologies";
const std::string kPinterest = kSourceDir + "/topologies/pinterest.json";

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> CorpusFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Loads and builds `path` as `pinstream validate` does. The graph, when it built.
struct Validation {
  std::shared_ptr<const Topology> topology;
  std::unique_ptr<Graph> graph;
  BuildErrors errors;
  std::string formatted;  // FormatErrors' text, "path: /pointer: message" lines
};

std::unique_ptr<Validation> Validate(const std::string& path) {
  auto v = std::make_unique<Validation>();
  v->topology = Topology::Load(path, &v->errors);
  if (v->topology) v->graph = Graph::Build(v->topology, &v->errors);
  v->formatted = FormatErrors(path, v->errors);
  return v;
}

// An expected line matches the actual one exactly, or by prefix when it ends with "..." (for
// messages that quote a third party, such as the JSON parser's).
bool LineMatches(const std::string& expected, const std::string& actual) {
  if (expected.ends_with("...")) return actual.starts_with(expected.substr(0, expected.size() - 3));
  return expected == actual;
}

// The variables the corpus files use: one always unset, one always set.
class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("PINSTREAM_CORPUS_UNSET");
    setenv("PINSTREAM_CORPUS_SET", "set-value", 1);
  }
  void TearDown() override { unsetenv("PINSTREAM_CORPUS_SET"); }
};

// One test per bad/*.json: it reports exactly the lines of its .expected file (without the
// "file: " prefix), in order. Lines of the .expected file that start with '#' are comments.
// PINSTREAM_UPDATE_EXPECTED=1 rewrites the .expected files that differ from the actual output
// (keeping their comments) and fails those tests, for review before committing.
class BadTopologyTest : public CorpusTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(BadTopologyTest, ReportsExactlyTheExpectedProblems) {
  const std::string path = kCorpusDir + "/bad/" + GetParam() + ".json";
  const std::string expected_path = kCorpusDir + "/bad/" + GetParam() + ".expected";
  auto v = Validate(path);
  EXPECT_TRUE(v->graph == nullptr) << "a graph was built";
  std::vector<std::string> actual;
  for (const auto& line : SplitLines(v->formatted)) {
    ASSERT_TRUE(line.starts_with(path + ": ")) << line;
    actual.push_back(line.substr(path.size() + 2));
  }
  EXPECT_FALSE(actual.empty()) << "no problem reported";
  std::vector<std::string> comments, expected;
  for (auto& line : SplitLines(ReadFile(expected_path))) {
    (line.starts_with("#") ? comments : expected).push_back(line);
  }
  const bool exists = fs::exists(expected_path);
  bool same = exists && expected.size() == actual.size();
  for (size_t i = 0; same && i < expected.size(); ++i) same = LineMatches(expected[i], actual[i]);
  // The update mode compares too: it rewrites only a file that differs, and such a run fails, so
  // that it never passes over a change nobody has reviewed yet.
  if (!same && getenv("PINSTREAM_UPDATE_EXPECTED") != nullptr) {
    std::ofstream out(expected_path, std::ios::trunc);
    for (const auto& line : comments) out << line << "\n";
    for (const auto& line : actual) out << line << "\n";
    ADD_FAILURE() << "rewrote " << expected_path << ": review the diff, then run again";
    return;
  }
  ASSERT_TRUE(exists) << "missing " << expected_path;
  EXPECT_TRUE(same) << "expected:\n"
                    << ::testing::PrintToString(expected) << "\nactual:\n"
                    << ::testing::PrintToString(actual);
}

std::vector<std::string> BadCorpusNames() {
  std::vector<std::string> names;
  for (const auto& path : CorpusFiles(kCorpusDir + "/bad"))
    names.push_back(fs::path(path).stem().string());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadTopologyTest, ::testing::ValuesIn(BadCorpusNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(BadCorpusTest, IsCompleteAndConsistent) {
  EXPECT_GE(BadCorpusNames().size(), 15u) << "the corpus is missing from " << kCorpusDir;
  for (const auto& entry : fs::directory_iterator(kCorpusDir + "/bad")) {
    fs::path other = entry.path();
    if (entry.path().extension() == ".expected") {
      other.replace_extension(".json");
    } else if (entry.path().extension() == ".json") {
      other.replace_extension(".expected");
    } else {
      ADD_FAILURE() << "unexpected file in the corpus: " << entry.path();
      continue;
    }
    EXPECT_TRUE(fs::exists(other)) << entry.path() << " has no " << other.filename();
  }
}

TEST_F(CorpusTest, GoodTopologiesBuild) {
  const auto files = CorpusFiles(kCorpusDir + "/good");
  ASSERT_GE(files.size(), 3u);
  for (const auto& path : files) {
    auto v = Validate(path);
    EXPECT_TRUE(v->errors.empty()) << v->formatted;
    EXPECT_NE(v->graph, nullptr) << path;
  }
}

TEST_F(CorpusTest, CommentsAreAllowedAndStringsKeepDoubleSlashes) {
  auto v = Validate(kCorpusDir + "/good/comments.json");
  ASSERT_TRUE(v->errors.empty()) << v->formatted;
  EXPECT_EQ(v->topology->name, "corpus-comments");
  ASSERT_EQ(v->topology->sources.size(), 1u);
  EXPECT_EQ(v->topology->sources[0].broker, "tcp://127.0.0.1:7400");
  EXPECT_EQ(v->topology->sources[0].stream, "corpus-pin");
  ASSERT_EQ(v->graph->tables().size(), 1u);
  EXPECT_EQ(v->graph->tables()[0].schema,
            Schema({Col("ind", Type::kInt), Col("url", Type::kString)}));
}

TEST_F(CorpusTest, VariablesAndDefaults) {
  auto v = Validate(kCorpusDir + "/good/env_defaults.json");
  ASSERT_TRUE(v->errors.empty()) << v->formatted;
  const Topology& t = *v->topology;
  EXPECT_EQ(t.name, "corpus-env");
  std::map<std::string, const Topology::Source*> sources;
  for (const auto& s : t.sources) sources[s.name] = &s;
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources["defaulted"]->stream, "streaming-demo-pin");
  EXPECT_EQ(sources["defaulted"]->broker, "tcp://127.0.0.1:7411");  // the topology's broker
  EXPECT_EQ(sources["set"]->stream, "set-value-geo");
  EXPECT_EQ(sources["set"]->broker, "tcp://set-value:1");
  EXPECT_EQ(sources["two"]->stream, "a-set-value-b");

  // A set variable wins over the default.
  setenv("PINSTREAM_CORPUS_UNSET", "given", 1);
  v = Validate(kCorpusDir + "/good/env_defaults.json");
  unsetenv("PINSTREAM_CORPUS_UNSET");
  ASSERT_TRUE(v->errors.empty()) << v->formatted;
  EXPECT_EQ(v->topology->name, "corpus-given");
  for (const auto& s : v->topology->sources) {
    if (s.name == "defaulted") {
      EXPECT_EQ(s.stream, "given-pin");
    } else if (s.name == "two") {
      EXPECT_EQ(s.stream, "given-set-value-givenb");
    }
  }
}

TEST_F(CorpusTest, TheUnsetVariableNamesItsPlace) {
  auto v = Validate(kCorpusDir + "/bad/unset_variable.json");
  EXPECT_THAT(v->formatted,
              HasSubstr("/sources/records/stream: environment variable 'PINSTREAM_CORPUS_UNSET' "
                        "is not set and has no default"));
  // Once set, the same file is valid.
  setenv("PINSTREAM_CORPUS_UNSET", "now-set", 1);
  v = Validate(kCorpusDir + "/bad/unset_variable.json");
  unsetenv("PINSTREAM_CORPUS_UNSET");
  EXPECT_TRUE(v->errors.empty()) << v->formatted;
  ASSERT_NE(v->topology, nullptr);
  EXPECT_EQ(v->topology->sources[0].stream, "now-set-pin");
  EXPECT_EQ(v->topology->sources[0].broker, "now-set");
}

TEST(TopologyTest, MissingFile) {
  auto v = Validate(kCorpusDir + "/no-such-file.json");
  EXPECT_EQ(v->topology, nullptr);
  EXPECT_EQ(v->formatted, kCorpusDir + "/no-such-file.json: /: cannot read the file\n");
}

// ----------------------------------------------------------------------------------------------
// The graph a valid topology builds.

TEST_F(CorpusTest, FanOutBuildsEveryTableAndRunsRecordsThroughTheDag) {
  auto v = Validate(kCorpusDir + "/good/fan_out.json");
  ASSERT_NE(v->graph, nullptr) << v->formatted;
  Graph& graph = *v->graph;
  EXPECT_EQ(graph.topology().commit_interval_ms, 50);
  EXPECT_EQ(graph.topology().max_batch_records, 500);
  ASSERT_EQ(graph.topology().sources.size(), 1u);
  EXPECT_EQ(graph.topology().sources[0].start.type, IteratorType::kLatest);

  std::map<std::string, const TableDef*> tables;
  for (const auto& t : graph.tables()) tables[t.name] = &t;
  ASSERT_EQ(tables.size(), 3u);
  const Schema names({Col("ind", Type::kInt), Col("user_name", Type::kString)});
  EXPECT_EQ(tables["names"]->schema, names);
  EXPECT_EQ(tables["names_copy"]->schema, names);
  EXPECT_TRUE(tables["names"]->key_columns.empty());
  EXPECT_EQ(tables["ages"]->schema, Schema({Col("ind", Type::kInt), Col("age", Type::kInt)}));
  EXPECT_EQ(tables["ages"]->key_columns, std::vector<std::string>{"ind"});

  TempDir dir;
  auto store = ProcessorStore::Open(dir.Sub("store"), false);
  ASSERT_OK(store.status());
  graph.BindState(store->get());

  std::map<std::string, std::vector<Row>> emitted;
  std::vector<std::pair<std::string, std::string>> failed;
  bool refuse_names_copy = false;
  auto emit = [&](size_t table, const Row& row) {
    const std::string& name = graph.tables()[table].name;
    if (refuse_names_copy && name == "names_copy")
      return Status::InvalidArgument("refused by the sink");
    emitted[name].push_back(row);
    return Status::OK();
  };
  auto fail = [&](const std::string& op, const Status& why) {
    failed.emplace_back(op, why.ToString());
    return Status::OK();
  };
  auto record = [](std::string data) {
    return Row{Str(std::move(data)), Str("pk"), Value::TimestampMs(0)};
  };
  const RecordContext kChannel{Channel{0, 0}, 0};

  ASSERT_OK(graph.Process(kChannel,
                          record(R"({"ind": 1, "first_name": "Ada", "last_name": " ", "age": 36})"),
                          emit, fail));
  EXPECT_TRUE(failed.empty()) << ::testing::PrintToString(failed);
  ASSERT_EQ(emitted["names"].size(), 1u);
  EXPECT_EQ(emitted["names"][0], (Row{Int(1), Str("Ada")})) << RowText(emitted["names"][0]);
  EXPECT_EQ(emitted["names_copy"], emitted["names"]);
  ASSERT_EQ(emitted["ages"].size(), 1u);
  EXPECT_EQ(emitted["ages"][0], (Row{Int(1), Int(36)}));

  // The dedup upstream of both branches drops a repeated ind for all of them.
  ASSERT_OK(graph.Process(kChannel, record(R"({"ind": 1, "first_name": "Again"})"), emit, fail));
  EXPECT_EQ(emitted["names"].size(), 1u);
  EXPECT_EQ(emitted["ages"].size(), 1u);

  // A failing step sends the record to `fail`, named "pipeline/step:op", and no table gets it.
  ASSERT_OK(graph.Process(kChannel, record(R"({"ind": "abc"})"), emit, fail));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].first, "parsed/0:parse_json");
  EXPECT_EQ(failed[0].second, "InvalidArgumentException: column 'ind' expects int, got a string");
  EXPECT_EQ(emitted["names"].size(), 1u);

  // A sink that refuses a row (InvalidArgument) sends the record to `fail` as "table:name".
  refuse_names_copy = true;
  ASSERT_OK(graph.Process(kChannel, record(R"({"ind": 2, "last_name": "Lovelace"})"), emit, fail));
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[1].first, "table:names_copy");
  ASSERT_EQ(emitted["names"].size(), 2u);
  EXPECT_EQ(emitted["names"][1], (Row{Int(2), Str("Lovelace")}));
  EXPECT_EQ(emitted["ages"].back(), (Row{Int(2), Null()}));
}

TEST(PinterestTopologyTest, BuildsTheSpecTables) {
  setenv("PINSTREAM_PREFIX", "golden", 1);
  setenv("PINSTREAM_BROKER", "tcp://127.0.0.1:1", 1);
  auto v = Validate(kPinterest);
  unsetenv("PINSTREAM_PREFIX");
  unsetenv("PINSTREAM_BROKER");
  ASSERT_NE(v->graph, nullptr) << v->formatted;
  EXPECT_EQ(v->topology->name, "pinterest");
  std::set<std::string> streams;
  for (const auto& s : v->topology->sources) {
    streams.insert(s.stream);
    EXPECT_EQ(s.broker, "tcp://127.0.0.1:1");
    EXPECT_EQ(s.start.type, IteratorType::kTrimHorizon);
  }
  EXPECT_EQ(streams, (std::set<std::string>{"golden-pin", "golden-geo", "golden-user"}));

  std::map<std::string, Schema> tables;
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& t : v->graph->tables()) {
    tables[t.name] = t.schema;
    keys[t.name] = t.key_columns;
  }
  ASSERT_EQ(tables.size(), 12u);
  // SPEC section 6: the columns and their order.
  EXPECT_EQ(
      tables["pin"],
      Schema({Col("ind", Type::kInt), Col("unique_id", Type::kString), Col("title", Type::kString),
              Col("description", Type::kString), Col("follower_count", Type::kInt),
              Col("poster_name", Type::kString), Col("tag_list", Type::kString),
              Col("is_image_or_video", Type::kString), Col("image_src", Type::kString),
              Col("save_location", Type::kString), Col("category", Type::kString)}))
      << tables["pin"].ToJson().dump();
  EXPECT_EQ(tables["geo"], Schema({Col("ind", Type::kInt), Col("country", Type::kString),
                                   testing::ArrayCol("coordinates", Type::kDouble),
                                   Col("timestamp", Type::kTimestamp)}))
      << tables["geo"].ToJson().dump();
  EXPECT_EQ(tables["user"], Schema({Col("ind", Type::kInt), Col("user_name", Type::kString),
                                    Col("age", Type::kInt), Col("date_joined", Type::kTimestamp)}))
      << tables["user"].ToJson().dump();

  // The questions (SPEC section 6): keyed by their groups, columns in the table's order.
  struct Question {
    const char* table;
    std::vector<std::string> key;
    std::vector<std::string> columns;
  };
  const std::vector<Question> questions = {
      {"q_category_by_country", {"country"}, {"country", "category", "category_count"}},
      {"q_category_by_year", {"post_year"}, {"post_year", "category", "category_count"}},
      {"q_followers_by_country", {"country"}, {"country", "poster_name", "follower_count"}},
      {"q_category_by_age_group", {"age_group"}, {"age_group", "category", "category_count"}},
      {"q_median_followers_by_age_group", {"age_group"}, {"age_group", "median_follower_count"}},
      {"q_users_joined_by_year", {"post_year"}, {"post_year", "number_users_joined"}},
      {"q_median_followers_by_join_year", {"post_year"}, {"post_year", "median_follower_count"}},
      {"q_median_followers_by_join_year_age_group",
       {"age_group", "post_year"},
       {"age_group", "post_year", "median_follower_count"}},
  };
  for (const Question& q : questions) {
    SCOPED_TRACE(q.table);
    ASSERT_TRUE(tables.contains(q.table));
    std::vector<std::string> columns;
    for (const auto& c : tables[q.table].columns()) columns.push_back(c.name);
    EXPECT_EQ(columns, q.columns);
    EXPECT_EQ(keys[q.table], q.key);
  }
  EXPECT_TRUE(keys["unmatched_posts"].empty());  // an append table
}

// ----------------------------------------------------------------------------------------------
// The command line.

TEST(ValidateCommandTest, BadFileExitsNonZeroWithTheLinesOnStderr) {
  TempDir scratch;
  for (const char* name : {"type_mismatch", "cycle", "unknown_operator"}) {
    const std::string path = kCorpusDir + "/bad/" + name + ".json";
    SCOPED_TRACE(path);
    ASSERT_OK_AND_ASSIGN(auto run, RunPinstream({"validate", path}, scratch.path()));
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(run.out, "");
    auto v = Validate(path);
    // The problems, then the one error line every failing command ends with.
    auto lines = SplitLines(run.err);
    auto expected = SplitLines(v->formatted);
    ASSERT_EQ(lines.size(), expected.size() + 1) << run.err;
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i], expected[i]);
    EXPECT_TRUE(lines.back().starts_with("InvalidArgumentException: ")) << lines.back();
  }
}

TEST(ValidateCommandTest, ReportsBadOptionsInsteadOfCrashing) {
  // Steps whose checks once threw (a non-string "column": nlohmann's value() throws type_error)
  // or read out of bounds (make_array's first column of an empty list): `validate` must report
  // them and exit 1, not die of a signal.
  TempDir scratch;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"op": "parse_json", "column": 5, "columns": {"a": "int"}})",
       "/pipelines/p/steps/0/column: "},
      {R"({"op": "decode_base64", "column": true})", "/pipelines/p/steps/0/column: "},
      {R"({"op": "make_array", "columns": [], "into": "c"})", "/pipelines/p/steps/0/columns: "}};
  int n = 0;
  for (const auto& [step, pointer] : cases) {
    SCOPED_TRACE(step);
    const std::string path = scratch.Sub("case" + std::to_string(n++) + ".json");
    std::ofstream(path)
        << R"({"name": "t", "sources": {"s": {"stream": "x"}}, "pipelines": {"p": {"from": "s", )"
        << R"("steps": [)" << step << "]}}}";
    ASSERT_OK_AND_ASSIGN(auto run, RunPinstream({"validate", path}, scratch.path()));
    EXPECT_EQ(run.exit_code, 1) << "-1 means killed by a signal; stderr: " << run.err;
    EXPECT_THAT(run.err, HasSubstr(path + ": " + pointer));
  }
}

TEST(ValidateCommandTest, PinterestIsValidAndPrintsItsTables) {
  TempDir scratch;
  ASSERT_OK_AND_ASSIGN(auto run, RunPinstream({"validate", kPinterest}, scratch.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["topology"], "pinterest");
  EXPECT_EQ(j["valid"], true);
  ASSERT_TRUE(j["tables"].is_object()) << run.out;
  EXPECT_EQ(j["tables"].size(), 12u);
  for (const char* t : {"pin", "geo", "user"}) EXPECT_TRUE(j["tables"].contains(t)) << t;
  std::vector<std::string> pin_columns;
  for (const auto& c : j["tables"]["pin"]["schema"]) pin_columns.push_back(c["name"]);
  EXPECT_EQ(pin_columns,
            (std::vector<std::string>{"ind", "unique_id", "title", "description", "follower_count",
                                      "poster_name", "tag_list", "is_image_or_video", "image_src",
                                      "save_location", "category"}));
  EXPECT_EQ(j["tables"]["geo"]["schema"][2]["type"], "array<double>");
  EXPECT_EQ(j["tables"]["user"]["schema"][3]["type"], "timestamp");
}

TEST(RunCommandTest, ValidatesFirst) {
  TempDir scratch;
  const std::string path = kCorpusDir + "/bad/unknown_source.json";
  ASSERT_OK_AND_ASSIGN(
      auto run,
      RunPinstream({"run", path, "--data", scratch.Sub("data"), "--once"}, scratch.path()));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err,
              HasSubstr(path + ": /pipelines/pin/from: no source or pipeline named 'pin_recrods'"));
  EXPECT_FALSE(fs::exists(scratch.Sub("data") + "/CURRENT"))
      << "a store was created for an invalid topology";
}

}  // namespace
}  // namespace pinstream
