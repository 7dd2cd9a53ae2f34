#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <string_view>

namespace pinstream {

// Kinesis's decimal fields (ExplicitHashKey, sequence numbers) follow the pattern
// "0|([1-9]\d{0,N-1})": digits only, no leading zero, at most `max_digits` of them.
inline bool IsCanonicalDecimal(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return false;
  if (text.size() > 1 && text.front() == '0') return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Two IsCanonicalDecimal texts compared as the numbers they are: by length, then as text.
inline std::strong_ordering CompareDecimals(std::string_view a, std::string_view b) {
  if (auto c = a.size() <=> b.size(); c != 0) return c;
  return a.compare(b) <=> 0;
}

}  // namespace pinstream
