// PINSTREAM_BROKER names the broker for every command that takes --broker, as it does for the
// topologies: `stream` and `emulate` used to ignore it and talk to the default endpoint.
#include <gtest/gtest.h>

#include <algorithm>
#include <zmq.hpp>

#include "stream/stream_client.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::BrokerProcess;
using testing::RunPinstream;
using testing::TempDir;

TEST(BrokerEnvTest, StreamAndEmulateTalkToPinstreamBroker) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(dir.Sub("broker")));
  const std::vector<std::string> env = {"PINSTREAM_BROKER=" + broker->endpoint()};
  ASSERT_OK_AND_ASSIGN(
      auto created, RunPinstream({"stream", "create", "env-x", "--shards", "1"}, dir.path(), env));
  EXPECT_EQ(created.exit_code, 0) << created.err;
  ASSERT_OK_AND_ASSIGN(auto sent,
                       RunPinstream({"emulate", "--prefix", "env", "--count", "5", "--no-progress"},
                                    dir.path(), env));
  EXPECT_EQ(sent.exit_code, 0) << sent.err;

  zmq::context_t ctx;
  ASSERT_OK_AND_ASSIGN(auto client, StreamClient::Connect(&ctx, broker->endpoint()));
  ASSERT_OK_AND_ASSIGN(auto streams, client->ListStreams());
  EXPECT_NE(std::find(streams.begin(), streams.end(), "env-x"), streams.end());
  EXPECT_NE(std::find(streams.begin(), streams.end(), "env-pin"), streams.end());
  ASSERT_OK_AND_ASSIGN(auto shards, client->ListShardIds("env-pin"));
  size_t records = 0;
  for (const auto& shard : shards) {
    ASSERT_OK_AND_ASSIGN(std::string iterator, client->GetShardIterator("env-pin", shard, {}));
    ASSERT_OK_AND_ASSIGN(auto reply, client->GetRecords(iterator, 100));
    records += reply.records.size();
  }
  EXPECT_EQ(records, 5u);
}

}  // namespace
}  // namespace pinstream
