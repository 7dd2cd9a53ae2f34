#pragma once

#include <string>

#include "common/value.h"

namespace pinstream {

// An order-preserving, prefix-free binary encoding of Values for RocksDB keys (in the spirit of
// CockroachDB's and FoundationDB's tuple encodings): for two values of the same type, bytewise
// order of the encodings equals value order, nulls first; and no encoding is a prefix of another,
// so a key made of several encoded values followed by more bytes can be split unambiguously.
//
// Layout: a type tag byte, then
//   bool         one byte 0/1
//   int, ts      8 bytes big-endian with the sign bit flipped
//   double       8 bytes: the IEEE bits, all flipped for negatives, sign flipped otherwise
//                (-0.0 is encoded as 0.0, so the two are one key)
//   string       the bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01
//   array        the encoded elements, terminated by 0x00 (no tag is 0x00)
void EncodeKeyValue(const Value& v, std::string* out);

}  // namespace pinstream
