// Issue 14's bounded memory: micro-batches end at max_batch_bytes as well as max_batch_records,
// so 300 records of 1 MiB (10,000 records would be one batch by count) keep the processor's peak
// RSS under 256 MiB. `pinstream run` reports its peak RSS (getrusage's ru_maxrss).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tests/operators/pipeline_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::PutAll;
using testing::PutRecord;
using testing::RunPinstream;
using testing::TempDir;

TEST(BoundedMemoryProcessTest, LargeRecordsKeepThePeakRssUnder256MiB) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir.Sub("broker")));
  zmq::context_t ctx;
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  ASSERT_OK(client->CreateStream("big", 2));
  constexpr int kRecords = 300;
  const std::string pad(kMaxRecordDataBytes - 64, 'x');
  for (int begin = 0; begin < kRecords; begin += 20) {
    std::vector<PutRecord> records;
    for (int n = begin; n < begin + 20; ++n) {
      records.push_back({"big", std::to_string(n),
                         R"({"n": )" + std::to_string(n) + R"(, "pad": ")" + pad + R"("})", "",
                         ""});
    }
    ASSERT_OK(PutAll(client.get(), &records, /*max_batch=*/4));  // 5 MiB a PutRecords
  }

  const std::string topology = dir.Sub("big.json");
  std::ofstream(topology) << R"({"name": "big", "broker": ")" << broker->endpoint() << R"(",
    "sources": {"records": {"stream": "big", "start": "TRIM_HORIZON"}},
    "pipelines": {"big": {"from": "records",
      "steps": [{"op": "parse_json", "columns": {"n": "int", "pad": "string"}}], "to": "big"}}})";
  ASSERT_OK_AND_ASSIGN(
      auto run,
      RunPinstream({"run", topology, "--data", dir.Sub("processor"), "--once"}, dir.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["records"], kRecords);
  EXPECT_EQ(j["dead_letters"], 0);
  // 16 MiB batches (the default max_batch_bytes): about 20 of them, not one.
  EXPECT_GE(j["batches"].get<int>(), 15) << run.out;
  EXPECT_LT(j["max_rss_bytes"].get<int64_t>(), int64_t{256} << 20) << run.out;
}

}  // namespace
}  // namespace pinstream
