#pragma once

// A RocksDB FileSystem that fails WAL appends on demand (LevelDB's ErrorEnv, for RocksDB's
// FileSystem), for tests of what a store does when a write fails.
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace pinstream::testing {

// Lets `allowed` WAL record appends through, then fails every one (a crash between two writes,
// as far as the DB is concerned): -1 (the default) lets everything through, 0 fails everything.
class WalFaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit WalFaultFileSystem(std::shared_ptr<rocksdb::FileSystem> target)
      : FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "WalFaultFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok() && name.ends_with(".log")) {
      *file = std::make_unique<File>(std::move(*file), &allowed);
    }
    return s;
  }

  std::atomic<int> allowed{-1};

 private:
  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> target, std::atomic<int>* allowed)
        : FSWritableFileOwnerWrapper(std::move(target)), allowed_(allowed) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (Refuse(data)) return rocksdb::IOStatus::IOError("injected WAL failure");
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (Refuse(data)) return rocksdb::IOStatus::IOError("injected WAL failure");
      return target()->Append(data, options, info, dbg);
    }

   private:
    // Counts the appends of whole WAL records (the file's writer buffers a record's header and
    // payload into one append; a bare header, should one come alone, does not count).
    bool Refuse(const rocksdb::Slice& data) {
      int left = allowed_->load();
      if (left < 0) return false;
      if (left == 0) return true;
      if (data.size() > 16) allowed_->store(left - 1);
      return false;
    }
    std::atomic<int>* allowed_;
  };
};

}  // namespace pinstream::testing
