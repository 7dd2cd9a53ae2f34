#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pinstream {

// Binary encodings for keys and the data-plane wire format (LevelDB's util/coding.h).
// Fixed-width integers in keys are big-endian so that bytewise order equals numeric order.

inline void EncodeFixed32BE(char* dst, uint32_t v) {
  dst[0] = static_cast<char>(v >> 24);
  dst[1] = static_cast<char>(v >> 16);
  dst[2] = static_cast<char>(v >> 8);
  dst[3] = static_cast<char>(v);
}

inline void EncodeFixed64BE(char* dst, uint64_t v) {
  EncodeFixed32BE(dst, static_cast<uint32_t>(v >> 32));
  EncodeFixed32BE(dst + 4, static_cast<uint32_t>(v));
}

inline void PutFixed32BE(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32BE(buf, v);
  dst->append(buf, 4);
}

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64BE(buf, v);
  dst->append(buf, 8);
}

inline uint32_t DecodeFixed32BE(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

inline uint64_t DecodeFixed64BE(const char* p) {
  return (uint64_t{DecodeFixed32BE(p)} << 32) | DecodeFixed32BE(p + 4);
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

// Reads the encodings above from a borrowed buffer, front to back. Every getter returns false
// (and leaves the reader unusable) when the input is truncated or malformed.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool GetVarint64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && !in_.empty(); shift += 7) {
      auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      result |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return Fail();
  }

  bool GetByte(uint8_t* v) {
    if (in_.empty()) return Fail();
    *v = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }

  bool GetFixed64BE(uint64_t* v) {
    if (in_.size() < 8) return Fail();
    *v = DecodeFixed64BE(in_.data());
    in_.remove_prefix(8);
    return true;
  }

  bool GetLengthPrefixed(std::string_view* s) {
    uint64_t n;
    if (!GetVarint64(&n) || n > in_.size()) return Fail();
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

  bool empty() const { return in_.empty(); }
  std::string_view rest() const { return in_; }

 private:
  bool Fail() {
    in_ = {};
    return false;
  }

  std::string_view in_;
};

}  // namespace pinstream
