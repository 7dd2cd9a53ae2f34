#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace pinstream {

// The demo's posting emulation: the emulator driven quietly (the demo shows its own progress),
// summed up as the demo's report needs it.
struct DemoPostsOptions {
  std::string broker;  // the endpoint to put to
  std::string prefix;  // streams <prefix>-pin, -geo, -user
  int64_t posts = 0;
  int64_t seed = 100;
  double rate = 0;  // records per second; 0: as fast as the broker takes them
  uint32_t shards = 4;
  std::string api_key;  // the broker's, if it has one
};

struct DemoPostsSummary {
  int64_t posts = 0;
  int64_t distinct_posts = 0;  // distinct inds among the posts
  uint64_t records = 0;        // acknowledged
  uint64_t failed = 0;         // refused
  Status first_failure;        // why the first refused record was refused
};

// Emulates `options.posts` generated posts into the broker (SPEC section 5), quietly: the demo
// shows its own progress. Fails when the broker cannot be reached.
Result<DemoPostsSummary> EmulateDemoPosts(const DemoPostsOptions& options);

}  // namespace pinstream
