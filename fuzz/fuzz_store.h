#pragma once

#include <cstdint>

#include "common/clock.h"
#include "stream/stream_store.h"

namespace pinstream::fuzz {

// The stream every fuzz store starts with, and its shard count.
inline constexpr const char* kFuzzStream = "s";
inline constexpr uint32_t kFuzzShards = 2;

// A fixed time, so that shard iterators written into the seed corpora never expire.
inline constexpr int64_t kFuzzNowMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// The process's StreamStore for targets that drive the store's callers: opened on first use in
// a fresh temporary directory (removed at exit) with a small write buffer and a ManualClock at
// kFuzzNowMs, holding kFuzzStream. Inputs share it, so what one input writes the next may read.
// Never null; aborts when the store cannot be opened, which is a broken machine, not a finding.
StreamStore* FuzzStore();

// The clock of FuzzStore(); the targets never move it.
ManualClock* FuzzClock();

}  // namespace pinstream::fuzz
