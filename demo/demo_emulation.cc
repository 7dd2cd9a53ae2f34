#include "demo/demo_emulation.h"

#include "emulator/emulator.h"

namespace pinstream {

Result<DemoPostsSummary> EmulateDemoPosts(const DemoPostsOptions& options) {
  EmulatorOptions o;
  o.broker = options.broker;
  o.prefix = options.prefix;
  o.count = options.posts;
  o.seed = options.seed;
  o.rate = options.rate;
  o.shards = options.shards;
  o.api_key = options.api_key;
  ASSIGN_OR_RETURN(EmulatorSummary summary, RunEmulator(o));
  return DemoPostsSummary{summary.posts, summary.distinct_posts, summary.records(),
                          summary.failed(), summary.first_failure};
}

}  // namespace pinstream
