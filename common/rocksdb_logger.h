#pragma once

#include <rocksdb/env.h>

#include <memory>

namespace pinstream {

// RocksDB's info log, forwarded to spdlog (RocksDB's errors as warnings, its warnings as debug
// lines) instead of the LOG file RocksDB writes beside its data by default. One log for the whole
// process, and none on the data disk: when that disk fills, a failed LOG append makes RocksDB's
// next one assert (Debian's build keeps assertions), so a full disk would end the process.
// Thread-safe, as RocksDB requires of a Logger.
std::shared_ptr<rocksdb::Logger> NewRocksDbLogger();

}  // namespace pinstream
