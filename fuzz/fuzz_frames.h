#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pinstream::fuzz {

// Splits a fuzz input into ZeroMQ frames: each frame is a 2-byte big-endian length, then that
// many bytes (fewer when the input ends first). make_corpus writes seeds the same way.
inline std::vector<std::string_view> SplitFrames(std::string_view in) {
  std::vector<std::string_view> frames;
  while (in.size() >= 2) {
    const size_t n = (size_t{static_cast<uint8_t>(in[0])} << 8) | static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
    frames.push_back(in.substr(0, n));
    in.remove_prefix(frames.back().size());
  }
  return frames;
}

}  // namespace pinstream::fuzz
