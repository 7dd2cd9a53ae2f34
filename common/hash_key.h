#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Kinesis's 128-bit hash key space. GCC and Clang have the type; the __extension__ keeps
// -Wpedantic quiet about it.
__extension__ typedef unsigned __int128 HashKey;

inline constexpr HashKey kMaxHashKey = ~HashKey{0};

// MD5 of the partition key read as a 128-bit big-endian integer: the shard router's input.
HashKey PartitionKeyHash(std::string_view partition_key);

// Decimal text of a 128-bit integer, e.g. "340282366920938463463374607431768211455".
std::string HashKeyToString(HashKey v);

// The digits of 2^128 - 1.
inline constexpr size_t kMaxHashKeyDigits = 39;

// HashKeyToString's text written at `out`, which has room for kMaxHashKeyDigits; returns the end.
// For responses that write many of them into one buffer.
char* FormatHashKey(HashKey v, char* out);

// Parses a decimal 128-bit integer; InvalidArgument for non-digits, empty text or overflow.
Result<HashKey> ParseHashKey(std::string_view text);

}  // namespace pinstream
