#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "emulator/post_source.h"
#include "emulator/record_sink.h"

namespace pinstream {

// The user posting emulation (SPEC section 5): draws posts as the original script did
// (`random.seed(S)`, then per post `random.randrange(0, 2)` for its sleep and
// `random.randint(0, 11000)` for the row), and sends each as a pin, a geo and a user record
// to `<prefix>-pin`, `<prefix>-geo` and `<prefix>-user`, partition key = the ind, data = the
// row as JSON text.
struct EmulatorOptions {
  std::string prefix = "streaming-demo";
  int64_t count = 1000;  // posts
  double rate = 0;       // records per second, steady; 0: as fast as the destination takes them
  int64_t seed = 100;    // the generated pool's seed, and the draws' unless python_seed is set
  std::optional<int64_t> python_seed;  // the seed of the draws (`random.seed(N)`)
  std::string broker = "tcp://127.0.0.1:7400";
  std::string via;               // "http://HOST:PORT": through the HTTP gateway instead of ZeroMQ
  // Through AWS's protocol (PutRecords) to this Kinesis endpoint instead: a URL, or "aws" for
  // AWS's endpoint of the region; credentials and the region default as ResolveAwsConfig finds.
  std::string kinesis_endpoint;
  std::string region;  // with kinesis_endpoint
  std::string api_key;           // the broker's key: CURVE on ZeroMQ, x-api-key over HTTP
  bool live_timestamps = false;  // geo timestamps = now minus up to live_disorder_ms
  int64_t live_disorder_ms = 5000;  // bounded disorder of live timestamps
  std::string from;                 // replay these real tables (TableSource) instead
  uint32_t shards = 4;              // for streams that are created
  int64_t max_ind = 11000;          // draws are randint(0, max_ind), as the original's
  std::FILE* progress = nullptr;    // where to show progress (stderr), or nowhere
};

struct EmulatorSummary {
  struct StreamCounts {
    std::string stream;
    uint64_t records = 0;  // acknowledged
    uint64_t failed = 0;
    uint64_t skipped = 0;  // rows the source did not have
  };

  int64_t posts = 0;
  int64_t distinct_posts = 0;         // distinct inds among them
  std::vector<StreamCounts> streams;  // pin, geo, user
  double seconds = 0;
  std::string source;       // "generated" or the --from directory
  std::string destination;  // the broker endpoint or the gateway URL
  Status first_failure;     // why the first failed record failed

  uint64_t records() const;
  uint64_t failed() const;
  // {"posts","distinct_posts","records","failed","skipped","streams":{name:{"records",
  //  "failed","skipped"}},"seconds","records_per_second","source","destination"}.
  nlohmann::json ToJson() const;
};

// Emulates `options.count` posts from `source` into `sink`, creating the streams first. Fails
// when the sink cannot be reached; refused records are counted in the summary. Borrows all
// arguments for the call; `clock` stamps live timestamps.
Result<EmulatorSummary> Emulate(const EmulatorOptions& options, const PostSource& source,
                                RecordSink* sink, Clock* clock);

// Builds the source (PostGenerator, or TableSource for `from`) and the sink (BrokerSink,
// HttpSink for `via`, KinesisSink for `kinesis_endpoint`) from `options`, then emulates.
Result<EmulatorSummary> RunEmulator(const EmulatorOptions& options);

}  // namespace pinstream
