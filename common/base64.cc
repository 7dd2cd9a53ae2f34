#include "common/base64.h"

#include <openssl/evp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <array>
#include <cstdint>
#include <cstring>

namespace pinstream {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Any bit at or above this one in a decoded quad marks a character outside the alphabet ('='
// included: padding is handled apart, at the end).
constexpr uint32_t kBadQuad = uint32_t{1} << 24;

// The 6-bit value of each character shifted to its place in a quad of 24 bits, one table per
// place, so that a quad decodes with four loads and three ORs and its validity is one test on
// the result: record data is random, and a branch per character mispredicts enough to cost more
// than the decoding itself.
using QuadTable = std::array<uint32_t, 256>;
constexpr QuadTable MakeQuadTable(int shift) {
  QuadTable t{};
  t.fill(kBadQuad);
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint32_t>(i) << shift;
  }
  return t;
}
constexpr QuadTable kQuad0 = MakeQuadTable(18);
constexpr QuadTable kQuad1 = MakeQuadTable(12);
constexpr QuadTable kQuad2 = MakeQuadTable(6);
constexpr QuadTable kQuad3 = MakeQuadTable(0);

inline uint32_t DecodeQuad(const unsigned char* p) {
  return kQuad0[p[0]] | kQuad1[p[1]] | kQuad2[p[2]] | kQuad3[p[3]];
}

// Why `text` (whose length is a multiple of 4) is not valid base64, in the words the decoder has
// always used: a character outside the alphabet is reported before misplaced padding.
Status Base64Error(std::string_view text) {
  for (char c : text) {
    if (c != '=' && kQuad3[static_cast<unsigned char>(c)] == kBadQuad) {
      return Status::InvalidArgument("invalid character in base64 data");
    }
  }
  return Status::InvalidArgument("misplaced padding in base64 data");
}

#if defined(__x86_64__)
// Decodes 32 characters at a time into 24 bytes with AVX2 (Wojciech Mula and Daniel Lemire's
// method: nibble lookups classify and translate each character), while at least 48 characters
// remain: the last quad, which may hold padding, is left to the scalar code, and each 32-byte
// store (24 bytes of output) stays within the output buffer. Returns the characters consumed, a
// multiple of 32, or SIZE_MAX when a character outside the alphabet (or '=') was met.
__attribute__((target("avx2"))) size_t DecodeBlocksAvx2(const unsigned char* in, size_t n,
                                                        char* out) {
  const __m256i lut_lo =
      _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B,
                       0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                       0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi =
      _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll =
      _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65,
                       -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2f);
  const __m256i pack_shuffle =
      _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10,
                       9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i pack_permute = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, -1, -1);
  size_t done = 0;
  for (; n - done >= 48; done += 32, out += 24) {
    const __m256i chars = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + done));
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(chars, 4), mask_2f);
    const __m256i lo_nibbles = _mm256_and_si256(chars, mask_2f);
    const __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nibbles);
    const __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles);
    if (!_mm256_testz_si256(lo, hi)) return SIZE_MAX;
    const __m256i eq_2f = _mm256_cmpeq_epi8(chars, mask_2f);
    const __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nibbles));
    const __m256i values = _mm256_add_epi8(chars, roll);
    // Four 6-bit values to three bytes: pairs into 12 bits, pairs of those into 24.
    const __m256i pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi32(0x01400140));
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
    const __m256i packed =
        _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(quads, pack_shuffle), pack_permute);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), packed);
  }
  return done;
}

bool HaveAvx2() {
  static const bool avx2 = [] {
    __builtin_cpu_init();  // the CPU model may not be read yet during static initialization
    return __builtin_cpu_supports("avx2");
  }();
  return avx2;
}
#endif

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock writes a trailing NUL; the +1 lives in std::string's own terminator.
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<size_t> Base64DecodeTo(std::string_view text, char* out) {
  // Kinesis wants padded base64 without whitespace; so does this decoder.
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("base64 data length is not a multiple of 4");
  }
  if (text.empty()) return size_t{0};
  const auto* const first = reinterpret_cast<const unsigned char*>(text.data());
  const auto* in = first;
  char* const begin = out;
#if defined(__x86_64__)
  if (HaveAvx2()) {
    const size_t done = DecodeBlocksAvx2(in, text.size(), out);
    if (done == SIZE_MAX) return Base64Error(text);
    in += done;
    out += done / 4 * 3;
  }
#endif
  const size_t quads = (text.size() - static_cast<size_t>(in - first)) / 4;
  // Every quad but the last: it may hold padding. Each writes four bytes, the fourth overwritten
  // by the next quad, which is cheaper than three single-byte stores; the last quad still has a
  // byte to write there, so the stray byte never leaves the buffer.
  uint32_t bad = 0;
  for (size_t q = 0; q + 1 < quads; ++q, in += 4, out += 3) {
    const uint32_t v = DecodeQuad(in);
    bad |= v;
    const uint32_t be = __builtin_bswap32(v << 8);
    std::memcpy(out, &be, 4);
  }
  // Padding may only end the text: "xx==" or "xxx=".
  size_t padding = 0;
  if (in[3] == '=') padding = in[2] == '=' ? 2 : 1;
  unsigned char last[4] = {in[0], in[1], in[2], in[3]};
  for (size_t i = 4 - padding; i < 4; ++i) last[i] = 'A';  // zero bits
  const uint32_t v = DecodeQuad(last);
  bad |= v;
  if (bad >= kBadQuad) return Base64Error(text);
  out[0] = static_cast<char>(v >> 16);
  if (padding < 2) out[1] = static_cast<char>(v >> 8);
  if (padding < 1) out[2] = static_cast<char>(v);
  out += 3 - padding;
  return static_cast<size_t>(out - begin);
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string out(Base64DecodedCapacity(text.size()), '\0');
  ASSIGN_OR_RETURN(size_t n, Base64DecodeTo(text, out.data()));
  out.resize(n);
  return out;
}

}  // namespace pinstream
