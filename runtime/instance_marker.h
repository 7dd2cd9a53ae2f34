#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "runtime/shard_assignment.h"

namespace pinstream {

// The file in a processor's data directory that records which instance of a split wrote it
// (JSON {"instance": I, "instances": N}). Its checkpoint holds that instance's shards only, so
// the directory must not be run as another instance, or under another split: that would read
// some shards twice and others never. Changing the split takes fresh data directories.
inline constexpr char kInstanceMarkerFile[] = "PINSTREAM_INSTANCE";

// The split recorded in `data_dir`: nullopt when the directory holds no store; instance 0 of 1
// for a store written before the marker existed (every run then read every shard).
Result<std::optional<InstanceSplit>> ReadInstanceMarker(const std::string& data_dir);

// Before a run over `data_dir` as `split`: InvalidArgument naming both splits when the directory
// was written as another instance or split. Call before opening the store.
Status CheckInstanceMarker(const std::string& data_dir, const InstanceSplit& split);

// Records `split` in `data_dir` (which exists: after opening the store), unless it is recorded.
Status WriteInstanceMarker(const std::string& data_dir, const InstanceSplit& split);

}  // namespace pinstream
