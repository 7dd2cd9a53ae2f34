#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "demo/demo_report.h"

namespace pinstream {

// What `pinstream demo` runs.
struct DemoOptions {
  std::string data;        // data directory, kept afterwards; "": a fresh /tmp/pinstream-demo-*
  std::string topology;    // topology file; "": the shipped one (FindDemoTopology)
  std::string source_dir;  // the source tree to find the shipped topology in; "": none
  std::string prefix = "streaming-demo";  // of the stream names (PINSTREAM_PREFIX)
  int64_t posts = 3000;                   // to emulate, 3 records each
  int64_t seed = 100;
  double rate = 0;  // records per second; 0: as fast as the broker takes them
  uint32_t shards = 4;
  bool batch = false;        // then the batch half: archive, batch job, one SQL question
  std::string api_key_file;  // "": $PINSTREAM_API_KEY, or no key
};

// Where the run stands while it waits for the processor.
struct DemoProgress {
  double seconds = 0;  // since the workers started
  int64_t posts_sent = 0;
  int64_t records_processed = 0;  // committed by the processor since the start
  int64_t records_total = -1;     // to process; negative while the emulation still runs
  bool caught_up = false;         // the last update of a successful wait
};

// How a run tells its user what it does while it runs; any member may be empty. All are called
// from the thread that called RunDemo.
struct DemoListener {
  std::function<void(const std::string& text)> note;  // whole lines, each ending in '\n'
  std::function<void(const DemoProgress&)> progress;  // every 100 ms while waiting
  std::function<void()> progress_done;                // after the wait, however it ended
};

// The whole pipeline in one process (SPEC section 1): a broker on a free loopback port, the
// posting emulation into the three streams and the processor running the topology at the same
// time, until the processor has committed every record the emulation put; with `batch`, then the
// batch half (demo_batch.h); then the tables read for the report. With a rate, the broker's and
// the processor's monitoring pages run meanwhile (demo_monitor.h). The data directory stays for
// `pinstream table ...` to inspect.
//
// Sets PINSTREAM_BROKER and PINSTREAM_PREFIX in the process's environment, which the topology
// reads (SPEC section 6). Returns the report even when the broker refused records
// (RefusedRecords tells); an error when any piece failed or the batch half's SQL answer differs
// from its table. Blocks until done; starts and joins its own threads.
Result<DemoReport> RunDemo(const DemoOptions& options, const DemoListener& listener);

}  // namespace pinstream
