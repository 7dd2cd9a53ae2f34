#pragma once

#include <string_view>

#include "common/status.h"

namespace rocksdb {
class Status;
}  // namespace rocksdb

namespace pinstream {

// A RocksDB status as ours, `what` saying what was being done ("reading shard"): corruption as
// Corruption, every other failure as IOError (a full disk, a lost file), OK as OK.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace pinstream
