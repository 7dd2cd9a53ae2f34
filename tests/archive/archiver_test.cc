#include "archive/archiver.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "archive/directory_store.h"
#include "archive/partition_writer.h"
#include "common/clock.h"
#include "tests/archive/archive_test_util.h"
#include "tests/stream/broker_process.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using nlohmann::json;
using testing::BrokerProcess;
using testing::Positions;
using testing::TempDir;

class ArchiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::Start(dir_.Sub("broker"));
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
    auto client = StreamClient::Connect(&ctx_, broker_->endpoint());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
    auto store = DirectoryStore::Open(dir_.Sub("archive"));
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }

  Archiver::Options Options(std::vector<std::string> streams, size_t flush_size) {
    Archiver::Options o;
    o.broker = broker_->endpoint();
    o.streams = std::move(streams);
    o.rotation.flush_size = flush_size;
    o.rotation.rotate_interval_ms = 0;
    o.once = true;
    return o;
  }

  Status ArchiveOnce(const Archiver::Options& options,
                     std::map<std::string, ArchiveStats>* stats = nullptr) {
    Archiver archiver(&ctx_, store_.get(), options);
    Status s = archiver.Run(std::stop_token());
    if (stats != nullptr) *stats = archiver.stats();
    return s;
  }

  TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<StreamClient> client_;
  std::unique_ptr<DirectoryStore> store_;
};

TEST_F(ArchiverTest, ArchivesEveryRecordOnceAndResumesFromTheObjects) {
  ASSERT_OK(client_->CreateStream("arch-a", 3));
  ASSERT_OK(client_->CreateStream("arch-b", 1));
  Positions a, b;
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-a", 0, 2500, &a));
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-b", 0, 30, &b));

  std::map<std::string, ArchiveStats> stats;
  ASSERT_OK(ArchiveOnce(Options({"arch-a", "arch-b"}, 300), &stats));
  EXPECT_EQ(stats["arch-a"].records, 2500u);
  EXPECT_EQ(stats["arch-b"].records, 30u);
  EXPECT_EQ(stats["arch-b"].objects, 1u);
  auto archived = testing::ReadArchive(store_.get(), "arch-a");
  testing::ExpectExactly(archived, a);
  EXPECT_EQ(archived.size(), 3u) << "one series per shard";
  // Objects of flush_size records, the last of each partition holding the rest.
  for (const auto& [partition, lines] : archived) {
    std::map<std::string, size_t> per_object;
    for (const auto& line : lines) ++per_object[line.key];
    for (auto it = per_object.begin(); it != per_object.end(); ++it) {
      if (std::next(it) != per_object.end()) {
        EXPECT_EQ(it->second, 300u) << it->first;
      }
    }
  }
  testing::ExpectExactly(testing::ReadArchive(store_.get(), "arch-b"), b);

  // Nothing new: a second run writes nothing.
  ASSERT_OK(ArchiveOnce(Options({"arch-a", "arch-b"}, 300), &stats));
  EXPECT_EQ(stats["arch-a"].objects, 0u);
  ASSERT_OK_AND_ASSIGN(auto before, store_->List(""));

  // More records: the next run starts each partition where its objects end.
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-a", 2500, 700, &a));
  ASSERT_OK(ArchiveOnce(Options({"arch-a"}, 300), &stats));
  EXPECT_EQ(stats["arch-a"].records, 700u);
  testing::ExpectExactly(testing::ReadArchive(store_.get(), "arch-a"), a);
  ASSERT_OK_AND_ASSIGN(auto after, store_->List(""));
  for (const ObjectInfo& o : before) {
    EXPECT_TRUE(
        std::any_of(after.begin(), after.end(),
                    [&](const ObjectInfo& n) { return n.key == o.key && n.size == o.size; }))
        << o.key << " was rewritten";
  }
}

TEST_F(ArchiverTest, DataThatIsNotOneLineOfJsonStillMakesOneJsonLine) {
  ASSERT_OK(client_->CreateStream("arch-odd", 1));
  const std::vector<std::string> data = {"{\"a\":1}", "plain text", "{\n \"b\": 2\n}",
                                         std::string("\xff\x01", 2), "two\nlines"};
  for (const std::string& d : data) {
    std::vector<PutResult> results;
    PutEntry entry{"k", d, std::nullopt};
    ASSERT_OK(client_->PutRecords("arch-odd", std::span(&entry, 1), &results));
    ASSERT_OK(results[0].status);
  }
  ASSERT_OK(ArchiveOnce(Options({"arch-odd"}, 1000)));
  auto archived = testing::ReadArchive(store_.get(), "arch-odd");
  ASSERT_EQ(archived[0].size(), data.size());
  std::vector<json> lines;
  for (const auto& line : archived[0]) lines.push_back(json::parse(line.data));
  EXPECT_EQ(archived[0][0].data, "{\"a\":1}");
  EXPECT_EQ(lines[1], "plain text");
  EXPECT_EQ(archived[0][1].headers["data_format"], "string");
  EXPECT_EQ(lines[2], json::parse(data[2]));
  EXPECT_FALSE(archived[0][2].headers.contains("data_format"));
  EXPECT_EQ(lines[3], "/wE=");
  EXPECT_EQ(archived[0][3].headers["data_format"], "base64");
  EXPECT_EQ(lines[4], "two\nlines");
}

TEST_F(ArchiverTest, ReadsClosedParentsAndTheirChildrenAfterAReshard) {
  ASSERT_OK(client_->CreateStream("arch-rs", 1));
  Positions positions;
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-rs", 0, 400, &positions));
  // Archive part of it, so that the parent is read from a resumed position.
  ASSERT_OK(ArchiveOnce(Options({"arch-rs"}, 100)));
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-rs", 400, 50, &positions));
  auto split = client_->Call("SplitShard",
                             {{"StreamName", "arch-rs"},
                              {"ShardToSplit", "shardId-000000000000"},
                              {"NewStartingHashKey", "170141183460469231731687303715884105728"}});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  // The stream is UPDATING for a moment; puts retry until it takes them.
  Status put;
  for (int i = 0; i < 200; ++i) {
    put = testing::PutNumbered(client_.get(), "arch-rs", 450, 300, &positions);
    if (put.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_OK(put);
  std::map<std::string, ArchiveStats> stats;
  ASSERT_OK(ArchiveOnce(Options({"arch-rs"}, 100), &stats));
  EXPECT_EQ(stats["arch-rs"].records, 350u);
  auto archived = testing::ReadArchive(store_.get(), "arch-rs");
  EXPECT_EQ(archived.size(), 3u) << "the parent and both children";
  testing::ExpectExactly(archived, positions);
}

TEST_F(ArchiverTest, ByDayObjectsLieUnderTheirArrivalDay) {
  ASSERT_OK(client_->CreateStream("arch-day", 2));
  Positions positions;
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-day", 0, 50, &positions));
  Archiver::Options o = Options({"arch-day"}, 1000);
  o.rotation.by_day = true;
  ASSERT_OK(ArchiveOnce(o));
  auto archived = testing::ReadArchive(store_.get(), "arch-day");
  testing::ExpectExactly(archived, positions);
  for (const auto& [partition, lines] : archived) {
    for (const auto& line : lines) {
      const std::string day = UtcDay(line.headers["arrival_ms"].get<int64_t>());
      EXPECT_NE(line.key.find("/dt=" + day + "/"), std::string::npos) << line.key;
      EXPECT_EQ(line.key.find("partition="), std::string::npos) << line.key;
    }
  }
}

TEST_F(ArchiverTest, AMissingStreamIsResourceNotFound) {
  Status s = ArchiveOnce(Options({"no-such-stream"}, 10));
  EXPECT_EQ(s.code(), Status::Code::kResourceNotFound) << s.ToString();
}

TEST_F(ArchiverTest, LongRunningWritesIdleDataAndStopsCleanly) {
  ASSERT_OK(client_->CreateStream("arch-live", 1));
  Positions positions;
  Archiver::Options o = Options({"arch-live"}, 1000);
  o.once = false;
  o.rotation.rotate_interval_ms = 100;  // records wait at most this long once none come
  o.idle_wait = std::chrono::milliseconds(20);
  std::stop_source stop;
  Status result;
  // The store belongs to the archiver's thread while it runs; the test reads its own.
  std::jthread runner([&] {
    Archiver archiver(&ctx_, store_.get(), o);
    result = archiver.Run(stop.get_token());
  });
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-live", 0, 10, &positions));
  ASSERT_OK_AND_ASSIGN(auto reader, DirectoryStore::Open(dir_.Sub("archive")));
  // Fewer than flush_size records: written once idle for rotate_interval, with no stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  size_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto archived = testing::ReadArchive(reader.get(), "arch-live");
    seen = archived.empty() ? 0 : archived[0].size();
    if (seen == 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, 10u);
  // Records put while it runs and then a stop: what it held is written, and a run after it
  // takes up exactly where the objects end.
  ASSERT_OK(testing::PutNumbered(client_.get(), "arch-live", 10, 500, &positions));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.request_stop();
  runner.join();
  ASSERT_OK(result);
  ASSERT_OK(ArchiveOnce(Options({"arch-live"}, 1000)));
  testing::ExpectExactly(testing::ReadArchive(reader.get(), "arch-live"), positions);
}

}  // namespace
}  // namespace pinstream
