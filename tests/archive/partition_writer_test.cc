#include "archive/partition_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "archive/archive_layout.h"
#include "archive/archive_resume.h"
#include "archive/directory_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using nlohmann::json;
using testing::TempDir;

constexpr int64_t kDay = 24 * 3600 * 1000;
constexpr int64_t kMidnight = 1'764'979'200'000;  // 2025-12-06T00:00:00Z

struct Fixture {
  TempDir dir;
  std::unique_ptr<DirectoryStore> store;
  ArchiveLineEncoder encoder;
  std::unique_ptr<ObjectUploader> uploader;  // writes each object before Submit returns
  std::vector<std::string> storage;          // the records' bytes, which views point into

  Fixture() {
    store = std::move(DirectoryStore::Open(dir.path())).value();
    uploader = std::make_unique<ObjectUploader>(store.get(), /*background=*/false);
  }

  ArchiveStats Stats(const std::string& topic) {
    auto it = uploader->stats().find(topic);
    return it == uploader->stats().end() ? ArchiveStats{} : it->second;
  }

  RecordView Record(uint32_t shard, uint64_t counter, int64_t arrival_ms) {
    storage.push_back("{\"n\":" + std::to_string(counter) + "}");
    RecordView r;
    r.sequence_number = SequenceNumber{shard, counter, arrival_ms};
    r.arrival_ms = arrival_ms;
    r.partition_key = "k";
    r.data = storage.back();
    return r;
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    Result<std::vector<ObjectInfo>> listed = store->List("");
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const ObjectInfo& o : *listed) keys.push_back(o.key);
    }
    return keys;
  }
};

TEST(PartitionWriterTest, RotatesAfterFlushSizeAndWritesHeadersLineForLine) {
  Fixture f;
  RotationPolicy policy{.flush_size = 3, .rotate_interval_ms = 0, .by_day = false};
  PartitionWriter w("t", 1, policy, f.uploader.get(), &f.encoder, 0);
  for (uint64_t c = 1; c <= 7; ++c) ASSERT_OK(w.Add(f.Record(1, c, kMidnight + c)));
  EXPECT_EQ(w.buffered_records(), 1u);
  ASSERT_OK(w.Flush());
  EXPECT_EQ(f.Keys(), (std::vector<std::string>{
                          "topics/t/partition=1/t+1+0000000001.headers.json",
                          "topics/t/partition=1/t+1+0000000001.json",
                          "topics/t/partition=1/t+1+0000000004.headers.json",
                          "topics/t/partition=1/t+1+0000000004.json",
                          "topics/t/partition=1/t+1+0000000007.headers.json",
                          "topics/t/partition=1/t+1+0000000007.json",
                      }));
  EXPECT_EQ(f.store->Get("topics/t/partition=1/t+1+0000000004.json").value(),
            "{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n");
  const std::string headers =
      f.store->Get("topics/t/partition=1/t+1+0000000004.headers.json").value();
  size_t line = 0, pos = 0;
  for (size_t nl; (nl = headers.find('\n', pos)) != std::string::npos; pos = nl + 1, ++line) {
    json h = json::parse(headers.substr(pos, nl - pos));
    const int64_t arrival = kMidnight + 4 + static_cast<int64_t>(line);
    EXPECT_EQ(h["sequence_number"], (SequenceNumber{1, 4 + line, arrival}).ToString());
    EXPECT_EQ(h["arrival_ms"], arrival);
    EXPECT_EQ(h["partition_key"], "k");
  }
  EXPECT_EQ(line, 3u);
  EXPECT_EQ(f.Stats("t").objects, 3u);
  EXPECT_EQ(f.Stats("t").records, 7u);
  ASSERT_OK_AND_ASSIGN(auto resume, ResumeOffsets(f.store.get(), "t"));
  EXPECT_EQ(resume, (std::map<uint32_t, uint64_t>{{1, 8}}));
}

TEST(PartitionWriterTest, AnObjectSpansAtMostTheRotateIntervalOfArrivalTime) {
  Fixture f;
  RotationPolicy policy{.flush_size = 1000, .rotate_interval_ms = 1000, .by_day = false};
  PartitionWriter w("t", 0, policy, f.uploader.get(), &f.encoder, 0);
  ASSERT_OK(w.Add(f.Record(0, 1, 5'000)));
  ASSERT_OK(w.Add(f.Record(0, 2, 5'999)));
  ASSERT_OK(w.Add(f.Record(0, 3, 6'000)));  // a second after the first: a new object
  ASSERT_OK(w.Add(f.Record(0, 4, 6'500)));
  EXPECT_EQ(f.Stats("t").objects, 1u);
  // Idle: written once its first record is the interval old, not before.
  ASSERT_OK(w.FlushIfIdle(6'999));
  EXPECT_EQ(f.Stats("t").objects, 1u);
  ASSERT_OK(w.FlushIfIdle(7'000));
  EXPECT_EQ(f.Stats("t").objects, 2u);
  EXPECT_EQ(f.store->Get("topics/t/partition=0/t+0+0000000003.json").value(),
            "{\"n\":3}\n{\"n\":4}\n");
}

TEST(PartitionWriterTest, ByDayAnObjectNeverSpansTwoDays) {
  Fixture f;
  RotationPolicy policy{.flush_size = 1000, .rotate_interval_ms = 0, .by_day = true};
  PartitionWriter w("t", 2, policy, f.uploader.get(), &f.encoder, 0);
  ASSERT_OK(w.Add(f.Record(2, 10, kMidnight - 2)));
  ASSERT_OK(w.Add(f.Record(2, 11, kMidnight - 1)));
  ASSERT_OK(w.Add(f.Record(2, 12, kMidnight)));
  ASSERT_OK(w.Add(f.Record(2, 13, kMidnight + kDay + 5)));
  ASSERT_OK(w.Flush());
  EXPECT_EQ(f.Keys(), (std::vector<std::string>{
                          "topics/t/dt=2025-12-05/t+2+0000000010.headers.json",
                          "topics/t/dt=2025-12-05/t+2+0000000010.json",
                          "topics/t/dt=2025-12-06/t+2+0000000012.headers.json",
                          "topics/t/dt=2025-12-06/t+2+0000000012.json",
                          "topics/t/dt=2025-12-07/t+2+0000000013.headers.json",
                          "topics/t/dt=2025-12-07/t+2+0000000013.json",
                      }));
  ASSERT_OK_AND_ASSIGN(auto resume, ResumeOffsets(f.store.get(), "t"));
  EXPECT_EQ(resume, (std::map<uint32_t, uint64_t>{{2, 14}}));
}

TEST(PartitionWriterTest, AGapInOffsetsStartsANewObject) {
  Fixture f;
  RotationPolicy policy{.flush_size = 1000, .rotate_interval_ms = 0, .by_day = false};
  PartitionWriter w("t", 0, policy, f.uploader.get(), &f.encoder, 1);
  ASSERT_OK(w.Add(f.Record(0, 1, 1)));
  ASSERT_OK(w.Add(f.Record(0, 2, 2)));
  ASSERT_OK(w.Add(f.Record(0, 9, 3)));  // 3..8 trimmed before they were read
  ASSERT_OK(w.Flush());
  ASSERT_OK_AND_ASSIGN(auto resume, ResumeOffsets(f.store.get(), "t"));
  EXPECT_EQ(resume, (std::map<uint32_t, uint64_t>{{0, 10}}));
  EXPECT_EQ(f.store->Get("topics/t/partition=0/t+0+0000000009.json").value(), "{\"n\":9}\n");
}

TEST(PartitionWriterTest, ResumeIgnoresAHeadersCompanionWithoutItsDataObject) {
  Fixture f;
  ASSERT_OK(f.store->Put("topics/t/partition=0/t+0+0000000001.json", "1\n2\n"));
  ASSERT_OK(f.store->Put("topics/t/partition=0/t+0+0000000003.headers.json", "{}\n"));
  ASSERT_OK(f.store->Put("topics/t/partition=4/t+4+0000000100.json", "1\n"));
  ASSERT_OK(f.store->Put("topics/t/partition=4/t+4+0000000007.json", "1\n"));
  ASSERT_OK(f.store->Put("topics/t/partition=4/notes.txt", "x"));
  ASSERT_OK(f.store->Put("topics/tt/partition=0/tt+0+0000000050.json", "1\n"));
  ASSERT_OK_AND_ASSIGN(auto resume, ResumeOffsets(f.store.get(), "t"));
  EXPECT_EQ(resume, (std::map<uint32_t, uint64_t>{{0, 3}, {4, 101}}));
}

TEST(PartitionWriterTest, AFailedWriteIsSticky) {
  Fixture f;
  RotationPolicy policy{.flush_size = 1, .rotate_interval_ms = 0, .by_day = false};
  // A file where the partition's folder should be: every Put fails.
  ASSERT_OK(f.store->Put("topics/t/partition=0", "in the way"));
  PartitionWriter w("t", 0, policy, f.uploader.get(), &f.encoder, 0);
  Status s = w.Add(f.Record(0, 1, 1));
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_EQ(w.Add(f.Record(0, 2, 2)).code(), Status::Code::kIOError);
  EXPECT_EQ(w.Flush().code(), Status::Code::kIOError);
  EXPECT_EQ(f.Stats("t").objects, 0u);
}

}  // namespace
}  // namespace pinstream
