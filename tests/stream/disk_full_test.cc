// The stream store on a full disk: a real RocksDB on a real filesystem that runs out of space (a
// small tmpfs this test mounts; it needs root, as CI has).

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "stream/stream_store.h"
#include "stream/stream_types.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

constexpr int64_t kStartMs = 1'700'000'000'000;

// A tmpfs of `size_mib` mounted at a fresh directory for the life of the object.
class SmallFilesystem {
 public:
  explicit SmallFilesystem(int size_mib) {
    const std::string options = "size=" + std::to_string(size_mib) + "m";
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mounting a tmpfs at ") + dir_.path() + " failed (" +
               std::strerror(errno) + "); this test needs root";
    }
  }
  ~SmallFilesystem() {
    if (error_.empty()) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }

 private:
  testing::TempDir dir_;
  std::string error_;
};

// Writes up to `mib` MiB of zeros; false when the disk filled first (what did fit stays).
bool WriteFiller(const std::string& path, int mib) {
  std::ofstream out(path, std::ios::binary);
  const std::string block(1 << 20, '\0');
  for (int i = 0; i < mib && out; ++i) out.write(block.data(), block.size());
  out.flush();
  return static_cast<bool>(out);
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.error().empty()) << fs_.error(); }

  void Open() {
    store_.reset();
    StreamStore::Options options;
    options.path = fs_.Sub("db");
    options.clock = &clock_;
    options.write_buffer_bytes = size_t{2} << 20;
    auto store = StreamStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Puts one 64 KiB record whose data names its number; the status of the request or entry.
  Status Put(int n) {
    std::string data = std::to_string(n) + ":" + std::string(64 << 10, 'x');
    PutEntry e{"key-" + std::to_string(n % 7), data, std::nullopt};
    std::vector<PutResult> results;
    Status s = store_->PutRecords("s", std::span(&e, 1), &results);
    if (!s.ok()) return s;
    return results[0].status;
  }

  // The numbers of every record in the stream, shard by shard in order.
  std::vector<int> ReadAll() {
    std::vector<int> out;
    for (uint32_t shard = 0; shard < 2; ++shard) {
      IteratorPosition pos;
      auto it = store_->GetShardIterator("s", ShardIdFromIndex(shard), pos);
      EXPECT_TRUE(it.ok()) << it.status().ToString();
      if (!it.ok()) return out;
      std::string token = *it;
      while (true) {
        size_t n = 0;
        auto r = store_->GetRecords(token, kMaxGetRecordsLimit, [&](const RecordView& rec) {
          out.push_back(std::stoi(std::string(rec.data.substr(0, rec.data.find(':')))));
          ++n;
        });
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (!r.ok() || n == 0) break;
        token = r->next_iterator;
      }
    }
    return out;
  }

  SmallFilesystem fs_{64};
  ManualClock clock_{kStartMs};
  std::unique_ptr<StreamStore> store_;
};

TEST_F(DiskFullTest, WritesFailWhileFullAndResumeByThemselves) {
  Open();
  ASSERT_OK(store_->CreateStream("s", 2));
  // The disk goes to a file the test frees later, but for 16 MiB that the store fills.
  ASSERT_FALSE(WriteFiller(fs_.Sub("filler"), 1024));
  std::filesystem::resize_file(fs_.Sub("filler"),
                               std::filesystem::file_size(fs_.Sub("filler")) - (16 << 20));

  std::vector<int> acknowledged;
  Status refused;
  for (int n = 0; n < 4000; ++n) {  // 250 MiB at most: far more than the disk holds
    Status s = Put(n);
    if (!s.ok()) {
      refused = s;
      break;
    }
    acknowledged.push_back(n);
  }
  ASSERT_FALSE(refused.ok()) << "the disk never filled";
  EXPECT_EQ(refused.TypeName(), "ServiceUnavailable") << refused.ToString();
  ASSERT_FALSE(acknowledged.empty());

  // While full: writes keep failing with a type clients retry, and reads go on.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(1'000);
    Status s = Put(100'000 + i);
    EXPECT_EQ(s.TypeName(), "ServiceUnavailable") << s.ToString();
  }
  std::vector<int> read = ReadAll();
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, acknowledged);

  // Space comes back: writes resume without a restart. RocksDB's own recovery checks the free
  // space every few seconds (the store's resume attempts are Busy until it is done), so this
  // tries for up to 30 s of real time, a second apart on the store's clock.
  std::filesystem::remove(fs_.Sub("filler"));
  Status resumed = Status::Unavailable("not tried");
  for (int i = 0; i < 300 && !resumed.ok(); ++i) {
    clock_.Advance(1'000);
    resumed = Put(200'000);
    if (!resumed.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_OK(resumed);
  acknowledged.push_back(200'000);
  for (int n = 200'001; n < 200'010; ++n) {
    ASSERT_OK(Put(n));
    acknowledged.push_back(n);
  }

  // Every acknowledged record is there, once, after a restart too.
  read = ReadAll();
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, acknowledged);
  Open();
  read = ReadAll();
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, acknowledged);
}

}  // namespace
}  // namespace pinstream
