#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pinstream {

// One watched service as `pinstream top` last fetched it.
struct TopSource {
  std::string url;        // its base URL; empty: not watched (no processor was given)
  nlohmann::json status;  // its /monitor/status (an object) when the fetch worked, else null
  std::string error;      // why there is no status, shown on its line
};

struct TopFrameOptions {
  int64_t now_ms = 0;      // the frame's time, shown in the header
  size_t width = 0;        // columns: lines are cut to it and tables laid out in it; 0: 100,
                           // and no line is cut (plain output)
  bool show_keys = false;  // say in the header that `q` quits
};

// The lines of one frame of `pinstream top`, from the broker's and the processor's
// /monitor/status (BrokerPages::StatusJson, ProcessorPages::StatusJson): a header (time, both
// URLs and whether they answered), the broker's streams with a row per shard (records in and
// out per second, bytes in per second, iterator age, records retained, and the processor's lag
// on that shard), its requests per action, then the processor's rates, lag, batches, dead
// letters, data-loss gaps and tables with their versions.
//
// It shows what the servers computed and adds up nothing but per-stream totals (bytes in, records
// retained) and maxima (iterator age, lag) over a stream's shards. A source without a status gets
// one line saying why. Pure (no I/O, no clock) and total: a missing or mistyped field reads as 0
// or empty, and nothing throws. Plain ASCII but for names the servers send, which are cut at
// UTF-8 character boundaries. Thread-safe.
std::vector<std::string> RenderTopFrame(const TopSource& broker, const TopSource& processor,
                                        const TopFrameOptions& options);

// "850 ms", "1.5 s", "2m05s", "3h07m": a duration in milliseconds, for people.
std::string FormatTopMillis(double ms);
// "512 B", "3.1 KB", "1.2 MB", "4.0 GB" (binary units): a byte count, for people.
std::string FormatTopBytes(double bytes);

}  // namespace pinstream
