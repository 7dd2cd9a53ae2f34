#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pinstream {

// HMAC-SHA256 and the comparison that goes with it, over OpenSSL: what SigV4 signs with, what
// shard iterators are MACed with and what CURVE keys are derived with. Plain functions,
// thread-safe.

inline constexpr size_t kHmacSha256Size = 32;

// The raw kHmacSha256Size-byte HMAC-SHA256 (RFC 2104) of `data` under `key`; empty only if
// OpenSSL fails (out of memory), which callers treat as a mismatch or an internal error.
std::string HmacSha256(std::string_view key, std::string_view data);

// a == b in a time that depends on the sizes only, not on where the bytes differ: for comparing
// MACs, signatures and keys a client presents.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace pinstream
