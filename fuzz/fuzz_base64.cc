// Base64Decode on any text, checked against a plain reference decoder (the real one has an AVX2
// path and a table-driven scalar path, and both must agree with the RFC), and the round trip
// Base64Decode(Base64Encode(x)) == x on the input's bytes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "fuzz/fuzz_check.h"

namespace {

int Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Padded standard base64, one character at a time: padding only as "x=" or "==" at the end.
std::optional<std::string> ReferenceDecode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  uint32_t bits = 0;
  int nbits = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const int v = Value(text[i]);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>(bits >> nbits));
      bits &= (1u << nbits) - 1;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto decoded = pinstream::Base64Decode(input);
  const std::optional<std::string> expected = ReferenceDecode(input);
  FUZZ_CHECK(decoded.ok() == expected.has_value());
  if (decoded.ok()) FUZZ_CHECK(*decoded == *expected);

  // Into a buffer of exactly the promised capacity: a write past it is a sanitizer report.
  const size_t capacity = pinstream::Base64DecodedCapacity(size);
  auto buffer = std::make_unique<char[]>(capacity);
  auto n = pinstream::Base64DecodeTo(input, buffer.get());
  FUZZ_CHECK(n.ok() == decoded.ok());
  if (n.ok()) {
    FUZZ_CHECK(*n <= capacity);
    FUZZ_CHECK(std::string_view(buffer.get(), *n) == *decoded);
  }

  const std::string encoded = pinstream::Base64Encode(input);
  auto round_trip = pinstream::Base64Decode(encoded);
  FUZZ_CHECK(round_trip.ok() && *round_trip == input);
  return 0;
}
