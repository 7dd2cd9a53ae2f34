#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "operators/stream_operator.h"

namespace pinstream {

// Event-time progress of one operator over its input channels (Flink's bounded
// out-of-orderness watermarks with idleness, per source shard):
//   channel watermark  = the largest event time seen on the channel - max_delay
//   operator watermark = the minimum over the channels that are not idle, never decreasing.
// A declared channel that has sent nothing holds the watermark back (at "no time yet") until it
// turns idle. A channel turns idle when it has sent nothing for idle_timeout of processing time,
// judged at batch ends (Tick); its next record makes it active again. When every channel is
// idle the watermark stays where it is. idle_timeout 0 means channels never turn idle.
//
// The watermark moves per record (Observe), so whether a record is late depends on the records
// before it, not on where batches end. Encode() saves what must survive a restart (the
// watermark and each channel's largest event time); idleness starts afresh after a restart.
// Not thread-safe.
class WatermarkTracker {
 public:
  static constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

  WatermarkTracker(int64_t max_delay_ms, int64_t idle_timeout_ms)
      : max_delay_ms_(max_delay_ms), idle_timeout_ms_(idle_timeout_ms) {}

  void AddChannel(const Channel& channel) { Find(channel); }

  // The current operator watermark, kNoTime before it has one.
  int64_t watermark() const { return watermark_; }

  // A record with event time `event_ms` arrived on `channel`.
  void Observe(const Channel& channel, int64_t event_ms);

  // The end of a batch at processing time `now_ms`: channels silent for idle_timeout turn idle.
  void Tick(int64_t now_ms);

  void Encode(std::string* out) const;
  bool Decode(std::string_view in);

  size_t channels() const { return channels_.size(); }
  bool idle(const Channel& channel) const;

 private:
  struct ChannelState {
    uint64_t id = 0;
    int64_t max_event_ms = kNoTime;
    int64_t last_active_ms = kNoTime;  // processing time of the last batch it sent records in
    bool active_in_batch = false;
    bool idle = false;
  };
  ChannelState& Find(const Channel& channel);
  ChannelState& FindId(uint64_t id);
  void Recompute();

  int64_t max_delay_ms_;
  int64_t idle_timeout_ms_;
  int64_t watermark_ = kNoTime;
  std::vector<ChannelState> channels_;  // few (one per shard): a vector beats a map
};

}  // namespace pinstream
