// Issue 14's data loss, end to end: a real broker process and `pinstream run --once` on a small
// topology. A stream deleted and created again, and records trimmed by retention before they
// were read, stop the processor with a DataLossException by default; with "on_data_loss":
// "continue" it goes on from the earliest record and writes one row per gap to `data_loss`. A
// vanished shard is found by the broker source itself (resharding is issue 15's).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/time_format.h"
#include "runtime/broker_source.h"
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

constexpr char kStream[] = "loss-events";

class DataLossProcessTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& broker_args, uint32_t shards) {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(dir_.Sub("broker"), broker_args));
    ASSERT_OK_AND_ASSIGN(client_, StreamClient::Connect(&ctx_, broker_->endpoint()));
    ASSERT_OK(client_->CreateStream(kStream, shards));
    shards_ = shards;
  }

  // The topology file for `policy` ("" for the default, which is "fail").
  std::string Topology(const std::string& policy) {
    const std::string path =
        dir_.Sub("topology-" + (policy.empty() ? "default" : policy) + ".json");
    std::ofstream out(path);
    out << R"({"name": "loss", "broker": ")" << broker_->endpoint() << R"(",)"
        << (policy.empty() ? "" : R"("on_data_loss": ")" + policy + R"(",)")
        << R"("sources": {"records": {"stream": ")" << kStream << R"(", "start": "TRIM_HORIZON"}},
          "pipelines": {"events": {"from": "records",
            "steps": [{"op": "parse_json", "columns": {"n": "int"}}], "to": "events"}}})";
    return path;
  }

  void Put(int from, int to) {
    std::vector<PutRecord> records;
    for (int n = from; n < to; ++n) {
      records.push_back(
          {kStream, std::to_string(n), R"({"n": )" + std::to_string(n) + "}", "", ""});
    }
    ASSERT_OK(PutAll(client_.get(), &records));
  }

  CliRun Run(const std::string& policy) {
    auto run = RunPinstream({"run", Topology(policy), "--data", data_, "--once"}, dir_.path());
    EXPECT_OK(run.status());
    return run.ok() ? *run : CliRun{};
  }

  // `records` and `data_loss_gaps` of a run that must succeed.
  nlohmann::json RunOk(const std::string& policy) {
    CliRun run = Run(policy);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto j = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << run.out;
    return j;
  }

  size_t Rows(const std::string& table) {
    auto rows = ScanTable(data_, table);
    EXPECT_OK(rows.status());
    return rows.ok() ? rows->size() : 0;
  }

  // Waits until retention trimmed every record put so far (the broker trims every
  // retention/10): a TRIM_HORIZON read of each shard finds nothing.
  void AwaitTrimmed() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (uint32_t s = 0; s < shards_; ++s) {
      while (true) {
        ASSERT_OK_AND_ASSIGN(std::string it,
                             client_->GetShardIterator(kStream, ShardIdFromIndex(s), {}));
        ASSERT_OK_AND_ASSIGN(GetRecordsReply reply, client_->GetRecords(it, 100));
        if (reply.records.empty()) break;
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "retention never trimmed";
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
  uint32_t shards_ = 0;
  const std::string data_ = dir_.Sub("processor");
};

TEST_F(DataLossProcessTest, RecreatedStreamStopsTheProcessorByDefault) {
  Start({}, 2);
  Put(0, 20);
  EXPECT_EQ(RunOk("")["records"], 20);

  ASSERT_OK(client_->DeleteStream(kStream));
  ASSERT_OK(client_->CreateStream(kStream, 2));
  Put(100, 115);
  CliRun stopped = Run("");
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("DataLossException"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("loss-events"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("deleted and created again"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("on_data_loss"), std::string::npos) << stopped.err;
  EXPECT_EQ(Rows("events"), 20u);  // nothing of the new stream was taken as the old one's

  // Told to go on, it reads the new incarnation from the start and records one gap per shard
  // it had checkpointed.
  auto went_on = RunOk("continue");
  EXPECT_EQ(went_on["records"], 15);
  EXPECT_EQ(went_on["data_loss_gaps"], 2);
  EXPECT_EQ(Rows("events"), 35u);
  Schema schema;
  ASSERT_OK_AND_ASSIGN(auto gaps, ScanTable(data_, "data_loss", &schema));
  ASSERT_EQ(gaps.size(), 2u);
  for (const Row& gap : gaps) {
    auto j = RowToJson(schema, gap);
    EXPECT_EQ(j["topology"], "loss");
    EXPECT_EQ(j["stream"], kStream);
    EXPECT_TRUE(j["records_lost"].is_null()) << j;  // the old stream is gone: nobody can tell
    EXPECT_NE(j["reason"].get<std::string>().find("created again"), std::string::npos) << j;
    EXPECT_TRUE(j["detected"].is_string()) << j;
  }
  // The new incarnation is checkpointed: the next run finds nothing lost and nothing new.
  auto again = RunOk("");
  EXPECT_EQ(again["records"], 0);
  EXPECT_EQ(again["data_loss_gaps"], 0);
  Put(200, 205);
  EXPECT_EQ(RunOk("")["records"], 5);
}

TEST_F(DataLossProcessTest, RecordsTrimmedBeforeTheyWereReadStopTheProcessorByDefault) {
  Start({"--retention", "1s"}, 2);
  Put(0, 6);  // both shards get records and checkpoints
  EXPECT_EQ(RunOk("")["records"], 6);
  Put(6, 16);  // 10 records the processor never reads in time
  AwaitTrimmed();
  Put(16, 40);

  CliRun stopped = Run("");
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("DataLossException"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("trimmed"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("records lost"), std::string::npos) << stopped.err;
  EXPECT_EQ(Rows("events"), 6u);

  auto went_on = RunOk("continue");
  EXPECT_EQ(went_on["records"], 24);
  Schema schema;
  ASSERT_OK_AND_ASSIGN(auto gaps, ScanTable(data_, "data_loss", &schema));
  ASSERT_EQ(went_on["data_loss_gaps"].get<size_t>(), gaps.size());
  int64_t lost = 0;
  for (const Row& gap : gaps) {
    auto j = RowToJson(schema, gap);
    ASSERT_TRUE(j["records_lost"].is_number_integer()) << j;  // counters are dense: exact
    lost += j["records_lost"].get<int64_t>();
    EXPECT_GT(j["first_available"].get<std::string>(), j["last_checkpoint"].get<std::string>());
  }
  EXPECT_EQ(lost, 10);  // exactly the records put between the runs
  EXPECT_EQ(Rows("events"), 30u);
}

TEST_F(DataLossProcessTest, AShardTheCheckpointNamesThatIsGoneIsAGap) {
  Start({}, 1);
  Put(0, 3);
  ASSERT_OK_AND_ASSIGN(const int64_t created, client_->StreamCreationTime(kStream));
  Checkpoint checkpoint;
  const std::string gone = ShardIdFromIndex(7);
  checkpoint.offsets[kStream][gone] = SequenceNumber{7, 12}.ToString();
  checkpoint.incarnations[kStream] = FormatIso8601(created);
  BrokerSource source(&ctx_, {broker_->endpoint(), kStream, IteratorPosition{}, {}, {}});
  ASSERT_OK_AND_ASSIGN(auto opened, source.Open(checkpoint));
  EXPECT_EQ(opened.incarnation, FormatIso8601(created));
  ASSERT_EQ(opened.gaps.size(), 1u);
  EXPECT_EQ(opened.gaps[0].shard_id, gone);
  EXPECT_EQ(opened.gaps[0].last_checkpoint, (SequenceNumber{7, 12}.ToString()));
  EXPECT_NE(opened.gaps[0].reason.find("no longer exists"), std::string::npos);
  ASSERT_EQ(opened.shards.size(), 1u);  // the live shard is read as usual
  ASSERT_OK_AND_ASSIGN(ShardBatch batch, opened.shards[0]->Read());
  EXPECT_EQ(batch.records.size(), 3u);
  EXPECT_FALSE(batch.gap.has_value());
}

}  // namespace
}  // namespace pinstream
