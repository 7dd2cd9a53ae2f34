#include "operators/watermark.h"

#include <algorithm>

#include "common/coding.h"

namespace pinstream {

WatermarkTracker::ChannelState& WatermarkTracker::FindId(uint64_t id) {
  for (auto& c : channels_) {
    if (c.id == id) return c;
  }
  channels_.push_back(ChannelState{id});
  return channels_.back();
}

WatermarkTracker::ChannelState& WatermarkTracker::Find(const Channel& channel) {
  return FindId(channel.id());
}

bool WatermarkTracker::idle(const Channel& channel) const {
  for (const auto& c : channels_) {
    if (c.id == channel.id()) return c.idle;
  }
  return false;
}

void WatermarkTracker::Observe(const Channel& channel, int64_t event_ms) {
  ChannelState& c = Find(channel);
  c.active_in_batch = true;
  const bool was_idle = c.idle;
  c.idle = false;
  if (event_ms > c.max_event_ms) {
    c.max_event_ms = event_ms;
    Recompute();
  } else if (was_idle) {
    Recompute();
  }
}

void WatermarkTracker::Tick(int64_t now_ms) {
  for (auto& c : channels_) {
    if (c.active_in_batch || c.last_active_ms == kNoTime) {
      // A channel's silence is counted from the first batch end that knows it.
      c.last_active_ms = now_ms;
      c.active_in_batch = false;
    } else if (idle_timeout_ms_ > 0 && now_ms - c.last_active_ms >= idle_timeout_ms_) {
      c.idle = true;
    }
  }
  Recompute();
}

void WatermarkTracker::Recompute() {
  int64_t low = std::numeric_limits<int64_t>::max();
  bool any = false;
  for (const auto& c : channels_) {
    if (c.idle) continue;
    any = true;
    int64_t w = kNoTime;
    if (c.max_event_ms != kNoTime && __builtin_sub_overflow(c.max_event_ms, max_delay_ms_, &w)) {
      w = kNoTime;
    }
    low = std::min(low, w);
  }
  if (any && low > watermark_) watermark_ = low;
}

void WatermarkTracker::Encode(std::string* out) const {
  PutFixed64BE(out, static_cast<uint64_t>(watermark_));
  PutVarint64(out, channels_.size());
  for (const auto& c : channels_) {
    PutFixed64BE(out, c.id);
    PutFixed64BE(out, static_cast<uint64_t>(c.max_event_ms));
  }
}

bool WatermarkTracker::Decode(std::string_view in) {
  Decoder d(in);
  uint64_t w, n;
  if (!d.GetFixed64BE(&w) || !d.GetVarint64(&n) || n > in.size()) return false;
  watermark_ = static_cast<int64_t>(w);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id, max_event;
    if (!d.GetFixed64BE(&id) || !d.GetFixed64BE(&max_event)) return false;
    FindId(id).max_event_ms = static_cast<int64_t>(max_event);
  }
  return d.empty();
}

}  // namespace pinstream
