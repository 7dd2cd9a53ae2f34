#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace pinstream {

// Hashes std::string and std::string_view alike, so that an unordered container keyed by
// std::string (with std::equal_to<>) is searched by a view without copying the key.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

}  // namespace pinstream
