#pragma once

#include <cstdint>
#include <string>

namespace pinstream {

// The bytes of the regular files under `path`, recursively (0 when it does not exist). Files
// that vanish during the walk, as a RocksDB compaction deletes them, are skipped.
uint64_t DirectoryBytes(const std::string& path);

}  // namespace pinstream
