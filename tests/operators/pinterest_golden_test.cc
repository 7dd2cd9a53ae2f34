// Golden end-to-end test of topologies/pinterest.json: a real broker process, hand-written dirty
// pin, geo and user records that exercise every cleaning rule of SPEC section 6, then
// `pinstream run --once` and `pinstream table scan`, compared with tests/operators/golden/*.jsonl
// (rows sorted by ind). Dead letters are checked against where each bad record landed. A second
// --once run changes nothing; a third, after more records, adds only the new post.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>
#include <zmq.hpp>

#include "tests/operators/operator_test_util.h"
#include "tests/operators/pinterest_reference.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using ::testing::HasSubstr;
using ojson = nlohmann::ordered_json;
using testing::BrokerProcess;
using testing::CliRun;
using testing::PinstreamProcess;
using testing::PutAll;
using testing::PutRecord;
using testing::RunPinstream;
using testing::ScanTable;
using testing::ScopedEnv;
using testing::TempDir;

const std::string kSourceDir = PINSTREAM_SOURCE_DIR;
const std::string kTopology = kSourceDir + "/topologies/pinterest.json";
const std::string kGoldenDir = kSourceDir + "/tests/operators/golden";
constexpr char kPrefix[] = "golden";

// An input record and, for a bad one, the dead letter it must become.
struct Input {
  std::string stream;  // "pin", "geo" or "user"
  std::string partition_key;
  std::string data;
  std::string dead_operator = "";  // "pipeline/*:op" (any step index); empty: not a dead letter
  std::string dead_error = "";     // exact, or a prefix when it ends with "..."
};

// The dirty records, in the order they are put. Every cleaning rule of SPEC section 6 has a
// record here; duplicates of an ind (exact and with other values) follow the first copy.
std::vector<Input> DirtyRecords() {
  // "457", keys in another order, escapes and raw UTF-8; put twice.
  const std::string pin_104 =
      "{\"category\": \"art\", \"index\": 104, \"unique_id\": "
      "\"5e1f0c2a-0104-4d6b-8f00-000000000104\", "
      "\"title\": \"\xC3\x87"
      "a \\\"marche\\\" \xE2\x80\x93 100%\", \"description\": \"Line one\\nline two\", "
      "\"poster_name\": \"Atelier \xC3\x96\", \"follower_count\": \"457\", \"tag_list\": "
      "\"Watercolor,Ink\", "
      "\"is_image_or_video\": \"image\", \"image_src\": \"https://img.example.invalid/104.png\", "
      "\"downloaded\": 1, \"save_location\": \"Local save in /data/art\"}";
  return {
      // pin: every placeholder at once.
      {"pin", "101",
       R"j({"index": 101, "unique_id": "5e1f0c2a-0101-4d6b-8f00-000000000101",
           "title": "No Title Data Available",
           "description": "No description available Story format", "poster_name": "User Info Error",
           "follower_count": "User Info Error", "tag_list": "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e",
           "is_image_or_video": "multi-video(story page format)",
           "image_src": "Image src error.", "downloaded": 0,
           "save_location": "Local save in /data/event-planning", "category": "event-planning"})j"},
      // "12k", the other description placeholder, unicode kept byte-exact.
      {"pin", "102",
       R"({"index": 102, "unique_id": "5e1f0c2a-0102-4d6b-8f00-000000000102",
           "title": "Paper lanterns for a rainy night\u2026\u00a0",
           "description": "No description available",
           "poster_name": "Lantern Lab", "follower_count": "12k",
           "tag_list": "Lanterns,Paper Craft,Rainy Day",
           "is_image_or_video": "image", "image_src": "https://img.example.invalid/102.jpg",
           "downloaded": 1,
           "save_location": "Local save in /data/diy-and-crafts", "category": "diy-and-crafts"})"},
      // "1M", "Untitled", blank and whitespace-only strings, a location without the prefix.
      {"pin", "103",
       R"({"index": 103, "unique_id": "5e1f0c2a-0103-4d6b-8f00-000000000103", "title": "   ",
           "description": "Untitled", "poster_name": "", "follower_count": "1M", "tag_list": "\t",
           "is_image_or_video": "video", "image_src": "https://img.example.invalid/103.mp4",
           "downloaded": 1,
           "save_location": "/data/travel", "category": "travel"})"},
      {"pin", "104", pin_104},
      // A later copy of 102 with other values, and an exact copy of 104: both dropped.
      {"pin", "102",
       R"({"index": 102, "unique_id": "5e1f0c2a-0102-4d6b-8f00-000000000102",
           "title": "A later copy",
           "follower_count": "13k", "downloaded": 1, "category": "diy-and-crafts"})"},
      {"pin", "104", pin_104},
      // Not JSON; an index that is not a number; a count that is not a count; not an object.
      {"pin", "pin-bad-1", R"({"index": 105, "title": "cut off)", "pin/*:parse_json",
       "InvalidArgumentException: not JSON: ..."},
      {"pin", "abc",
       R"({"index": "abc", "title": "index is not a number", "follower_count": "1k"})",
       "pin/*:parse_json", "InvalidArgumentException: column 'index' expects int, got a string"},
      {"pin", "107", R"({"index": 107, "title": "Odd count", "follower_count": "12x"})",
       "pin/*:parse_count",
       "InvalidArgumentException: column 'follower_count': '12x' is not a count"},
      {"pin", "pin-bad-2", R"([{"index": 108}])", "pin/*:parse_json",
       "InvalidArgumentException: not a JSON object"},
      // "1.5k", poster and image placeholders, a blank description, a missing key (category)
      // and an undeclared one (ignored).
      {"pin", "106",
       R"({"index": 106, "unique_id": "5e1f0c2a-0106-4d6b-8f00-000000000106",
           "title": "Tiny house, big ideas",
           "description": "", "poster_name": "User Info Error", "follower_count": "1.5k",
           "tag_list": "Tiny Homes",
           "is_image_or_video": "image", "image_src": "Image src error.", "downloaded": 0,
           "save_location": "Local save in /data/home-decor", "extra_field": {"nested": [1, 2]}})"},
      // Nothing but the index.
      {"pin", "109", R"({"index": 109})"},

      // geo: "YYYY-MM-DD HH:MM:SS" and ISO timestamps, a blank country, a null latitude.
      {"geo", "101",
       R"({"ind": 101, "timestamp": "2020-08-28 03:52:47", "latitude": -89.9787,
           "longitude": -173.293,
           "country": "Albania"})"},
      {"geo", "102",
       R"({"ind": 102, "timestamp": "2019-03-11T07:28:26", "latitude": 12.5, "longitude": 45.25,
           "country": "C\u00f4te d'Ivoire"})"},
      {"geo", "103",
       R"({"ind": 103, "timestamp": "2018-01-01 00:00:00", "latitude": 0, "longitude": -0.5,
           "country": " "})"},
      {"geo", "104",
       R"({"country": "Peru", "ind": 104, "timestamp": "2022-12-31T23:59:59Z", "latitude": null,
           "longitude": -75})"},
      {"geo", "101",
       R"({"ind": 101, "timestamp": "2021-01-01 00:00:00", "latitude": 1.5, "longitude": 1.5,
           "country": "Later"})"},
      {"geo", "105",
       R"({"ind": 105, "timestamp": "not a date", "latitude": 1.5, "longitude": 2.5,
           "country": "X"})",
       "geo/*:to_timestamp",
       "InvalidArgumentException: column 'timestamp': invalid timestamp 'not a date'"},
      {"geo", "abc", R"({"ind": "abc", "timestamp": "2020-01-01 00:00:00"})", "geo/*:parse_json",
       "InvalidArgumentException: column 'ind' expects int, got a string"},
      {"geo", "106",
       R"({"ind": 106, "timestamp": "2020-01-01 00:00:00", "latitude": "12.5", "longitude": 1.5})",
       "geo/*:parse_json",
       "InvalidArgumentException: column 'latitude' expects double, got a string"},

      // user: names joined, blank parts skipped, both missing; a bare date; a null age.
      {"user", "101",
       R"({"ind": 101, "first_name": "Abigail", "last_name": "Ali", "age": 20,
           "date_joined": "2015-10-24 11:23:51"})"},
      {"user", "102",
       R"({"ind": 102, "first_name": "Zo\u00eb", "last_name": "", "age": 35,
           "date_joined": "2016-02-29T12:00:00"})"},
      {"user", "103",
       R"({"ind": 103, "first_name": "   ", "last_name": "Ng", "age": null,
           "date_joined": "2017-07-04 08:15:00"})"},
      {"user", "104", R"({"ind": 104, "age": 51, "date_joined": "2020-01-01"})"},
      {"user", "103",
       R"({"ind": 103, "first_name": "Later", "last_name": "Copy", "age": 40,
           "date_joined": "2019-01-01 00:00:00"})"},
      {"user", "user-bad-1", "Abigail Ali, 20, 2015-10-24", "user/*:parse_json",
       "InvalidArgumentException: not JSON: ..."},
      {"user", "105", R"({"ind": 105, "first_name": "A", "last_name": "B", "age": 20.5})",
       "user/*:parse_json", "InvalidArgumentException: column 'age' expects int, got a number"},
  };
}

// Records put after a first run: a new post (ind 110) and late copies of old inds.
std::vector<Input> LateRecords() {
  return {
      {"pin", "110",
       R"({"index": 110, "unique_id": "5e1f0c2a-0110-4d6b-8f00-000000000110", "title": "Late post",
           "follower_count": "2k", "category": "art"})"},
      {"pin", "101", R"({"index": 101, "title": "Late copy", "follower_count": "9M"})"},
      {"geo", "110",
       R"({"ind": 110, "timestamp": "2021-06-01 10:00:00", "latitude": 1.25, "longitude": 2.5,
                         "country": "Chile"})"},
      {"geo", "102",
       R"({"ind": 102, "timestamp": "2021-06-01 10:00:00", "latitude": 0, "longitude": 0})"},
      {"user", "110", R"({"ind": 110, "first_name": "Late", "last_name": "Poster", "age": 28,
                          "date_joined": "2021-05-31 09:00:00"})"},
      {"user", "101", R"({"ind": 101, "first_name": "Late", "last_name": "Copy"})"},
  };
}

// The rows LateRecords() add to the golden tables: only post 110's.
std::map<std::string, std::vector<std::string>> LateRows() {
  return {
      {"pin",
       {R"({"ind":110,"unique_id":"5e1f0c2a-0110-4d6b-8f00-000000000110","title":"Late post",)"
        R"("description":null,"follower_count":2000,"poster_name":null,"tag_list":null,)"
        R"("is_image_or_video":null,"image_src":null,"save_location":null,"category":"art"})"}},
      {"geo",
       {R"({"ind":110,"country":"Chile","coordinates":[1.25,2.5],)"
        R"("timestamp":"2021-06-01T10:00:00Z"})"}},
      {"user",
       {R"({"ind":110,"user_name":"Late Poster","age":28,"date_joined":"2021-05-31T09:00:00Z"})"}},
  };
}

// "pin/*:parse_count" matches "pin/3:parse_count": the step's position in the shipped topology
// is not what this test is about.
bool OperatorMatches(const std::string& expected, const std::string& actual) {
  const size_t star = expected.find('*');
  if (star == std::string::npos) return expected == actual;
  const std::string head = expected.substr(0, star), tail = expected.substr(star + 1);
  if (actual.size() <= head.size() + tail.size()) return false;
  if (!actual.starts_with(head) || !actual.ends_with(tail)) return false;
  const std::string middle = actual.substr(head.size(), actual.size() - head.size() - tail.size());
  return middle.find_first_not_of("0123456789") == std::string::npos;
}

bool TextMatches(const std::string& expected, const std::string& actual) {
  if (expected.ends_with("...")) return actual.starts_with(expected.substr(0, expected.size() - 3));
  return expected == actual;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// JSON Lines re-serialized (so that number and escape spellings compare equal), sorted by
// "ind". Key order is kept: columns must come in schema order.
std::vector<std::string> Canonical(const std::string& jsonl) {
  std::vector<std::pair<int64_t, std::string>> rows;
  for (const auto& line : Lines(jsonl)) {
    auto j = ojson::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (j.is_discarded()) continue;
    rows.emplace_back(j.value("ind", int64_t{-1}), j.dump());
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [_, line] : rows) out.push_back(std::move(line));
  return out;
}

class PinterestGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::Start(dir_.Sub("broker"));
    ASSERT_OK(broker.status());
    broker_ = std::move(broker).value();
    auto client = StreamClient::Connect(&ctx_, broker_->endpoint());
    ASSERT_OK(client.status());
    client_ = std::move(client).value();
    for (const char* s : {"pin", "geo", "user"}) {
      Status created = client_->CreateStream(Stream(s), 2);
      ASSERT_TRUE(created.ok()) << created.ToString() << "; broker stderr:\n"
                                << testing::ReadWholeFile(broker_->stderr_path());
    }
  }

  static std::string Stream(const std::string& kind) { return std::string(kPrefix) + "-" + kind; }

  // Puts `inputs` and returns them with their positions.
  Result<std::vector<PutRecord>> Put(const std::vector<Input>& inputs) {
    std::vector<PutRecord> records;
    for (const auto& in : inputs) {
      records.push_back({Stream(in.stream), in.partition_key, in.data, "", ""});
    }
    RETURN_IF_ERROR(PutAll(client_.get(), &records));
    return records;
  }

  CliRun Pinstream(const std::vector<std::string>& args) {
    ScopedEnv env(Env());
    auto run = RunPinstream(args, dir_.path());
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  // `pinstream run pinterest.json --data DIR --once`: its summary.
  nlohmann::json RunOnce() {
    CliRun run = Pinstream({"run", kTopology, "--data", Data(), "--once"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "stdout: " << run.out << "\nstderr: " << run.err;
    return j.is_object() ? j : nlohmann::json::object();
  }

  std::string Scan(const std::string& table) {
    CliRun run = Pinstream({"table", "scan", table, "--data", Data()});
    EXPECT_EQ(run.exit_code, 0) << table << ": " << run.err;
    return run.out;
  }

  std::string Data() const { return dir_.Sub("processor"); }

  std::map<std::string, std::string> Env() const {
    return {{"PINSTREAM_BROKER", broker_->endpoint()}, {"PINSTREAM_PREFIX", kPrefix}};
  }

  // Every table's scan, the table list (versions) and the offsets.
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> snap;
    for (const char* t : {"pin", "geo", "user", "dead_letters"}) snap[t] = Scan(t);
    snap["table list"] = Pinstream({"table", "list", "--data", Data()}).out;
    snap["offsets"] = Pinstream({"offsets", "show", "--data", Data()}).out;
    return snap;
  }

  void ExpectGolden(const std::string& table, const std::vector<std::string>& extra_lines = {}) {
    std::string expected = testing::ReadWholeFile(kGoldenDir + "/" + table + ".jsonl");
    ASSERT_FALSE(expected.empty()) << "missing golden file for " << table;
    for (const auto& line : extra_lines) expected += line + "\n";
    const std::string actual = Scan(table);
    EXPECT_EQ(Canonical(actual), Canonical(expected)) << "table " << table << " scanned:\n"
                                                      << actual;
  }

  // The dead_letters table holds exactly one row per bad record of `records` (matched by
  // stream, shard and sequence number), with the raw data, the operator and the error.
  void ExpectDeadLetters(const std::vector<Input>& inputs, const std::vector<PutRecord>& records) {
    std::map<std::tuple<std::string, std::string, std::string>, size_t> bad;  // position -> input
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].dead_operator.empty()) {
        bad[{records[i].stream, records[i].shard_id, records[i].sequence_number}] = i;
      }
    }
    const auto lines = Lines(Scan("dead_letters"));
    EXPECT_EQ(lines.size(), bad.size());
    std::set<size_t> seen;
    for (const auto& line : lines) {
      auto j = ojson::parse(line, nullptr, false);
      ASSERT_TRUE(j.is_object()) << line;
      std::vector<std::string> keys;
      for (const auto& [k, _] : j.items()) keys.push_back(k);
      EXPECT_EQ(keys, (std::vector<std::string>{"stream", "shard_id", "sequence_number", "arrival",
                                                "partition_key", "data", "operator", "error",
                                                "topology"}))
          << line;
      EXPECT_EQ(j.value("topology", ""), "pinterest") << line;
      auto it = bad.find(
          {j.value("stream", ""), j.value("shard_id", ""), j.value("sequence_number", "")});
      ASSERT_NE(it, bad.end()) << "a dead letter for no bad record: " << line;
      EXPECT_TRUE(seen.insert(it->second).second) << "twice: " << line;
      const Input& in = inputs[it->second];
      EXPECT_EQ(j.value("partition_key", ""), in.partition_key) << line;
      EXPECT_EQ(j.value("data", ""), in.data) << line;
      EXPECT_TRUE(OperatorMatches(in.dead_operator, j.value("operator", "")))
          << "expected " << in.dead_operator << "\n"
          << line;
      EXPECT_TRUE(TextMatches(in.dead_error, j.value("error", "")))
          << "expected " << in.dead_error << "\n"
          << line;
      EXPECT_TRUE(j["arrival"].is_string() && j["arrival"].get<std::string>().ends_with("Z"))
          << line;
    }
  }

  TempDir dir_;
  std::unique_ptr<BrokerProcess> broker_;
  zmq::context_t ctx_;
  std::unique_ptr<StreamClient> client_;
};

TEST_F(PinterestGoldenTest, CleansDirtyRecordsIntoTheGoldenTables) {
  const std::vector<Input> inputs = DirtyRecords();
  ASSERT_OK_AND_ASSIGN(const std::vector<PutRecord> records, Put(inputs));
  size_t bad = std::count_if(inputs.begin(), inputs.end(),
                             [](const Input& in) { return !in.dead_operator.empty(); });

  nlohmann::json summary = RunOnce();
  EXPECT_EQ(summary.value("records", -1), static_cast<int64_t>(inputs.size())) << summary.dump();
  EXPECT_EQ(summary.value("dead_letters", -1), static_cast<int64_t>(bad)) << summary.dump();
  // pin, geo and user rows, and the questions' rows.
  EXPECT_GT(summary.value("rows", -1), 6 + 4 + 4) << summary.dump();

  ExpectGolden("pin");
  ExpectGolden("geo");
  ExpectGolden("user");
  ExpectDeadLetters(inputs, records);
  testing::ExpectQuestionsMatchTheBatchReference(Data());

  // Once more: the offsets were committed, so nothing is read again and nothing changes.
  const auto before = Snapshot();
  summary = RunOnce();
  EXPECT_EQ(summary.value("records", -1), 0) << summary.dump();
  EXPECT_EQ(summary.value("batches", -1), 0) << summary.dump();
  EXPECT_EQ(Snapshot(), before);

  // New records: a new post and late copies of old inds. Only the new post lands; the dedup
  // state survived the processor's restarts.
  const std::vector<Input> more = LateRecords();

  ASSERT_OK(Put(more).status());
  summary = RunOnce();
  EXPECT_EQ(summary.value("records", -1), 6) << summary.dump();
  EXPECT_GT(summary.value("rows", -1), 3) << summary.dump();
  for (const char* t : {"pin", "geo", "user"}) ExpectGolden(t, LateRows().at(t));
  ExpectDeadLetters(inputs, records);
  testing::ExpectQuestionsMatchTheBatchReference(Data());
}

TEST_F(PinterestGoldenTest, TableHistoryRecordsEachCommit) {
  const std::vector<Input> inputs = DirtyRecords();
  ASSERT_OK(Put(inputs).status());
  RunOnce();
  CliRun run = Pinstream({"table", "history", "pin", "--data", Data()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  int64_t rows = 0;
  std::set<int64_t> versions;
  for (const auto& line : Lines(run.out)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    versions.insert(j.value("version", int64_t{-1}));
    rows += j.value("rows_added", int64_t{0});
    if (j.value("version", 0) > 0) {
      EXPECT_TRUE(j["offsets"].contains(std::string(kPrefix) + "-pin")) << line;
    }
  }
  EXPECT_TRUE(versions.contains(0)) << run.out;  // CREATE TABLE
  EXPECT_GE(versions.size(), 2u) << run.out;
  EXPECT_EQ(rows, 6) << run.out;
}

TEST_F(PinterestGoldenTest, SigtermFinishesTheBatchAndExitsZero) {
  const std::vector<Input> inputs = DirtyRecords();
  ASSERT_OK_AND_ASSIGN(const std::vector<PutRecord> records, Put(inputs));
  const std::string log = dir_.Sub("run.log");
  // With stats lines too: their thread must not keep the process from stopping.
  ASSERT_OK_AND_ASSIGN(auto processor, PinstreamProcess::Start({"run", kTopology, "--data", Data(),
                                                                "--stats-interval", "20ms"},
                                                               Env(), log));
  // Wait until the running processor has committed the first records.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    auto rows = ScanTable(Data(), "pin");
    if (rows.ok() && rows->size() == 6) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no rows committed; log:\n"
                                                          << testing::ReadWholeFile(log);
    ASSERT_FALSE(processor->Exited().has_value()) << testing::ReadWholeFile(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // More records while it runs, then SIGTERM: it finishes and commits its batch and exits 0.
  ASSERT_OK(Put(LateRecords()).status());
  ASSERT_OK_AND_ASSIGN(int status, processor->Stop(SIGTERM, std::chrono::seconds(20)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << testing::DescribeWaitStatus(status) << "; log:\n"
      << testing::ReadWholeFile(log);
  EXPECT_THAT(testing::ReadWholeFile(log), HasSubstr("\"records\":"));  // the summary on stdout
  EXPECT_THAT(testing::ReadWholeFile(log), HasSubstr("\"live_data_bytes\":"));
  // Whatever arrived after its last commit is read by the next run, once.
  RunOnce();
  for (const char* t : {"pin", "geo", "user"}) ExpectGolden(t, LateRows().at(t));
  ExpectDeadLetters(inputs, records);
}

TEST_F(PinterestGoldenTest, PrefixOnlySaveLocationBecomesNull) {
  // SPEC section 6 nullifies empty and whitespace-only strings in any column, also those that
  // only stripping the "Local save in " prefix leaves behind.
  ASSERT_OK(Put({{"pin", "201", R"({"index": 201, "save_location": "Local save in "})"},
                 {"pin", "202", R"({"index": 202, "save_location": "Local save in    "})"}})
                .status());
  RunOnce();
  ASSERT_OK_AND_ASSIGN(auto rows, ScanTable(Data(), "pin"));
  ASSERT_EQ(rows.size(), 2u);
  for (const Row& row : rows) EXPECT_TRUE(row[9].is_null()) << testing::RowText(row);
}

TEST_F(PinterestGoldenTest, CleanRunHasAnEmptyDeadLettersTable) {
  // SPEC section 6: the topology writes dead_letters; after a clean run it exists, empty.
  std::vector<Input> good;
  for (const auto& in : DirtyRecords()) {
    if (in.dead_operator.empty()) good.push_back(in);
  }
  ASSERT_OK(Put(good).status());
  nlohmann::json summary = RunOnce();
  EXPECT_EQ(summary.value("dead_letters", -1), 0) << summary.dump();
  CliRun run = Pinstream({"table", "scan", "dead_letters", "--data", Data()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(PinterestGoldenTest, MissingStreamIsAnError) {
  ScopedEnv env(
      {{"PINSTREAM_BROKER", broker_->endpoint()}, {"PINSTREAM_PREFIX", "no-such-prefix"}});
  ASSERT_OK_AND_ASSIGN(CliRun run,
                       RunPinstream({"run", kTopology, "--data", Data(), "--once"}, dir_.path()));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("ResourceNotFoundException"));
  EXPECT_THAT(run.err, HasSubstr("no-such-prefix-"));
}

}  // namespace
}  // namespace pinstream
