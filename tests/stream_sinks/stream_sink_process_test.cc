// Stream sinks (issue 18) end to end, on real servers: a writer topology reads the emulated geo
// stream into the table `geo` and writes the same rows to a stream keyed by country; a reader
// topology reads that stream back (with "drop_repeated_ids") into its own `geo`, which must
// equal the writer's. The writer is killed by its outbox's fault point, after a PutRecords and
// before the delete of what it sent, several times: the stream then holds duplicates (asserted,
// by a raw reader without "drop_repeated_ids"), the deduplicated table none. Against
// pinstream's broker (ZeroMQ) and kinesalite (AWS's protocol).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sinks/processor_store.h"
#include "tests/kinesis/kinesalite_process.h"
#include "tests/stream/broker_process.h"
#include "tests/support/store_tables.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CliRun;
using testing::KinesaliteProcess;
using testing::RunPinstream;
using testing::TempDir;
using ojson = nlohmann::ordered_json;

// The rows of `table` in the store at `dir`, each as its JSON array, sorted.
std::vector<std::string> TableRows(const std::string& dir, const std::string& table) {
  return testing::AllTables(dir)[table];
}

// Where the streams are: the broker, or a Kinesis endpoint.
struct Place {
  ojson json;                        // merged into sources and stream outputs
  std::vector<std::string> env;      // for every pinstream command
  std::vector<std::string> emulate;  // emulate's destination flags
};

class StreamSinkTest : public ::testing::Test {
 protected:
  CliRun Run(const std::vector<std::string>& args) {
    auto r = RunPinstream(args, dir_.path(), place_.env);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CliRun{};
  }

  std::string Write(const std::string& name, const ojson& topology) {
    const std::string path = dir_.Sub(name + ".json");
    std::ofstream(path) << topology.dump(2);
    return path;
  }

  ojson Located(ojson j) {
    for (auto& [k, v] : place_.json.items()) j[k] = v;
    return j;
  }

  // geo_records -> table geo and stream output by_country (keyed by country).
  std::string WriterTopology() {
    ojson steps = ojson::parse(R"([
      {"op": "parse_json", "columns": {"ind": "int", "timestamp": "string",
        "latitude": "double", "longitude": "double", "country": "string"}},
      {"op": "nullify", "blank": true},
      {"op": "make_array", "columns": ["latitude", "longitude"], "into": "coordinates"},
      {"op": "to_timestamp", "column": "timestamp"},
      {"op": "select", "columns": ["ind", "country", "coordinates", "timestamp"]},
      {"op": "dedup", "key": ["ind"]}
    ])");
    ojson t;
    t["name"] = "geo_writer";
    t["sources"]["geo_records"] = Located({{"stream", "sink-geo"}, {"start", "TRIM_HORIZON"}});
    t["streams"]["by_country"] =
        Located({{"stream", "sink-by-country"}, {"partition_key", "country"}, {"shards", 4}});
    t["pipelines"]["geo"] = {
        {"from", "geo_records"}, {"steps", steps}, {"to", ojson::array({"geo", "by_country"})}};
    return Write("writer", t);
  }

  // The stream back into `table`: with "drop_repeated_ids", or raw with the ids.
  std::string ReaderTopology(bool dedup) {
    ojson source = Located({{"stream", "sink-by-country"}, {"start", "TRIM_HORIZON"}});
    ojson columns = {{"ind", "int"},
                     {"country", "string"},
                     {"coordinates", "array<double>"},
                     {"timestamp", "timestamp"}};
    if (dedup) {
      source["drop_repeated_ids"] = "1h";
    } else {
      columns = {{"_pinstream_id", "string"}};
    }
    ojson t;
    t["name"] = dedup ? "geo_reader" : "raw_reader";
    t["sources"]["by_country"] = source;
    t["pipelines"]["geo"] = {
        {"from", "by_country"},
        {"steps", ojson::array({{{"op", "parse_json"}, {"columns", columns}}})},
        {"to", dedup ? "geo" : "raw"}};
    return Write(dedup ? "reader" : "raw_reader", t);
  }

  void RunTest() {
    std::vector<std::string> emulate = {"emulate", "--prefix", "sink",   "--no-progress",
                                        "--count", "1500",     "--seed", "18"};
    emulate.insert(emulate.end(), place_.emulate.begin(), place_.emulate.end());
    CliRun e = Run(emulate);
    ASSERT_EQ(e.exit_code, 0) << e.err;

    const std::string writer = WriterTopology();
    const std::string data = dir_.Sub("writer");
    // Killed after a put and before its delete, three times: each restart sends what the
    // killed run left in the outbox, the records already put among them.
    for (int puts : {1, 2, 3}) {
      std::vector<std::string> env = place_.env;
      env.push_back("PINSTREAM_FAULT_OUTBOX_KILL_AFTER_PUTS=" + std::to_string(puts));
      auto r = RunPinstream({"run", writer, "--data", data, "--once"}, dir_.path(), env);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->exit_code, -1) << "not killed by the fault point: " << r->err;
    }
    CliRun w = Run({"run", writer, "--data", data, "--once"});
    ASSERT_EQ(w.exit_code, 0) << w.err;

    CliRun r = Run({"run", ReaderTopology(true), "--data", dir_.Sub("reader"), "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    CliRun raw = Run({"run", ReaderTopology(false), "--data", dir_.Sub("raw"), "--once"});
    ASSERT_EQ(raw.exit_code, 0) << raw.err;

    // The direct table, less rows without a country (no partition key: dead letters of the
    // stream output), equals the table read back through the stream.
    std::vector<std::string> direct;
    for (const auto& row : TableRows(data, "geo")) {
      if (nlohmann::json::parse(row)[1].is_null()) continue;
      direct.push_back(row);
    }
    ASSERT_GT(direct.size(), 1000u);
    const std::vector<std::string> reread = TableRows(dir_.Sub("reader"), "geo");
    EXPECT_EQ(reread.size(), direct.size());
    EXPECT_TRUE(reread == direct);

    // The raw stream holds every id, some more than once.
    const std::vector<std::string> ids = TableRows(dir_.Sub("raw"), "raw");
    const std::set<std::string> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), direct.size());
    EXPECT_GT(ids.size(), distinct.size()) << "the kills produced no duplicate";
    RecordProperty("rows", static_cast<int>(direct.size()));
    RecordProperty("records_in_stream", static_cast<int>(ids.size()));
  }

  TempDir dir_;
  Place place_;
};

TEST_F(StreamSinkTest, ThroughTheBrokerKilledBetweenPutAndDeleteTheRereadTableIsExact) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir_.Sub("broker")));
  place_.json = {{"broker", broker->endpoint()}};
  place_.emulate = {"--broker", broker->endpoint()};
  RunTest();
}

TEST_F(StreamSinkTest, ThroughKinesaliteKilledBetweenPutAndDeleteTheRereadTableIsExact) {
  ASSERT_OK_AND_ASSIGN(auto kinesalite, KinesaliteProcess::Start(dir_.Sub("kinesalite.log")));
  place_.json = {{"kinesis", {{"endpoint", kinesalite->url()}, {"region", "us-east-1"}}}};
  place_.env = {"AWS_ACCESS_KEY_ID=AKIDPINSTREAMTEST", "AWS_SECRET_ACCESS_KEY=secret",
                "AWS_REGION=us-east-1", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
                "AWS_CONFIG_FILE=/nonexistent"};
  place_.emulate = {"--kinesis-endpoint", kinesalite->url()};
  RunTest();
}

}  // namespace
}  // namespace pinstream
