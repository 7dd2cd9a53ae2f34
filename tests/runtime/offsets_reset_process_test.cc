// `pinstream offsets reset --to timestamp:T` on a real processor: a real broker, `pinstream run
// --once` over a small topology in three rounds, T taken between the first round's records and
// the second's (checked against the broker's own arrival times). With --rewind-tables the table
// goes back to the first round and the next run rebuilds it exactly; without, only the offsets
// move and the next run reads the records that arrived at or after T once more.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/time_format.h"
#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::CliRun;
using testing::PutAll;
using testing::PutRecord;
using testing::RunPinstream;
using testing::ScanTable;
using testing::TempDir;

constexpr char kStream[] = "reset-events";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class OffsetsResetProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(dir_.Sub("broker")));
    ASSERT_OK_AND_ASSIGN(client_, StreamClient::Connect(&ctx_, broker_->endpoint()));
    ASSERT_OK(client_->CreateStream(kStream, 2));
    std::ofstream out(topology_);
    out << R"({"name": "reset", "broker": ")" << broker_->endpoint() << R"(",
      "sources": {"records": {"stream": ")"
        << kStream << R"(", "start": "TRIM_HORIZON"}},
      "pipelines": {"events": {"from": "records",
        "steps": [{"op": "parse_json", "columns": {"n": "int"}}], "to": "events"}}})";
  }

  // Puts n in [from, to) over 7 keys (both shards), in one request.
  void Put(int from, int to) {
    std::vector<PutRecord> records;
    for (int n = from; n < to; ++n) {
      records.push_back(
          {kStream, "k" + std::to_string(n % 7), R"({"n": )" + std::to_string(n) + "}", "", ""});
    }
    ASSERT_OK(PutAll(client_.get(), &records));
  }

  CliRun Pinstream(const std::vector<std::string>& args) {
    auto run = RunPinstream(args, dir_.path());
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  // The records count of a `run --once` that must succeed.
  int64_t RunOnce() {
    CliRun run = Pinstream({"run", topology_, "--data", data_, "--once"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(j.is_object() && j["records"].is_number_integer()) << run.out;
    return j.is_object() && j["records"].is_number_integer() ? j["records"].get<int64_t>() : -1;
  }

  nlohmann::json Reset(std::vector<std::string> args) {
    std::vector<std::string> all = {"offsets", "reset", "--data", data_};
    all.insert(all.end(), args.begin(), args.end());
    CliRun run = Pinstream(all);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << run.out;
    return j;
  }

  // How many rows of `events` hold each n.
  std::map<int64_t, int> Events() {
    Schema schema;
    auto rows = ScanTable(data_, "events", &schema);
    EXPECT_OK(rows.status());
    std::map<int64_t, int> out;
    if (!rows.ok()) return out;
    const int n = schema.Find("n");
    EXPECT_GE(n, 0);
    if (n < 0) return out;
    for (const Row& row : *rows) ++out[row[n].as_int()];
    return out;
  }

  // The broker's arrival times of every record, by its n.
  std::map<int64_t, int64_t> Arrivals() {
    std::map<int64_t, int64_t> out;
    auto shard_ids = client_->ListShardIds(kStream);
    EXPECT_OK(shard_ids.status());
    if (!shard_ids.ok()) return out;
    for (const auto& shard_id : *shard_ids) {
      auto it = client_->GetShardIterator(kStream, shard_id, {});
      EXPECT_OK(it.status());
      if (!it.ok()) return out;
      auto reply = client_->GetRecords(*it, kMaxGetRecordsLimit);
      EXPECT_OK(reply.status());
      if (!reply.ok()) return out;
      for (const RecordView& r : reply->records) {
        auto j = nlohmann::json::parse(r.data);
        out[j["n"].get<int64_t>()] = r.arrival_ms;
      }
    }
    return out;
  }

  static std::map<int64_t, int> Once(int from, int to) {
    std::map<int64_t, int> out;
    for (int n = from; n < to; ++n) out[n] = 1;
    return out;
  }

  TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
  const std::string topology_ = dir_.Sub("topology.json");
  const std::string data_ = dir_.Sub("processor");
};

TEST_F(OffsetsResetProcessTest, TimestampResetReplaysWhatArrivedFromThen) {
  ASSERT_NO_FATAL_FAILURE(Put(0, 20));
  EXPECT_EQ(RunOnce(), 20);
  // T: a millisecond after everything of the first round arrived (the broker shares this
  // clock); the second round is put only once the clock has reached T.
  const int64_t t = NowMs() + 1;
  while (NowMs() < t) std::this_thread::yield();
  const std::string to = "timestamp:" + FormatIso8601(t);
  ASSERT_NO_FATAL_FAILURE(Put(20, 40));
  EXPECT_EQ(RunOnce(), 20);
  ASSERT_NO_FATAL_FAILURE(Put(40, 60));
  EXPECT_EQ(RunOnce(), 20);
  const auto all = Once(0, 60);
  ASSERT_EQ(Events(), all);
  // The broker's own clock agrees that T falls between the rounds.
  const auto arrivals = Arrivals();
  ASSERT_EQ(arrivals.size(), 60u);
  for (const auto& [n, ms] : arrivals) {
    if (n < 20) {
      ASSERT_LT(ms, t) << "record " << n;
    } else {
      ASSERT_GE(ms, t) << "record " << n;
    }
  }

  // With --rewind-tables: back to the batch of the first round, and the replay rebuilds the
  // same rows, each once.
  auto rewind = Reset({"--to", to, "--rewind-tables"});
  EXPECT_EQ(rewind["dry_run"], false);
  ASSERT_TRUE(rewind["rewind"].is_object()) << rewind.dump();
  EXPECT_EQ(rewind["rewind"]["to_batch"], 1) << rewind.dump();
  EXPECT_EQ(Events(), Once(0, 20));
  EXPECT_EQ(RunOnce(), 40);
  EXPECT_EQ(Events(), all);

  // Without: the offsets alone move to T, so the records from T on are read a second time
  // (this topology has no dedup), and the first round's are not.
  auto moved = Reset({"--to", to});
  EXPECT_TRUE(!moved.contains("rewind") || moved["rewind"].is_null()) << moved.dump();
  EXPECT_EQ(Events(), all);
  EXPECT_EQ(RunOnce(), 40);
  auto twice = Once(0, 20);
  for (int n = 20; n < 60; ++n) twice[n] = 2;
  EXPECT_EQ(Events(), twice);
  // And the checkpoint is past everything again.
  EXPECT_EQ(RunOnce(), 0);
}

}  // namespace
}  // namespace pinstream
