#include "common/rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>

namespace pinstream {

namespace {

class RocksDbLogger final : public rocksdb::Logger {
 public:
  RocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    // RocksDB warns of what its caller reports too (a locked DB on open, stalls under load):
    // those are debug lines here, so that a command's error line stays the first on stderr.
    const auto spd_level =
        level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(spd_level, "rocksdb: {}", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewRocksDbLogger() { return std::make_shared<RocksDbLogger>(); }

}  // namespace pinstream
