#include "emulator/python_random.h"

#include <bit>

namespace pinstream {

namespace {

constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

}  // namespace

void PythonRandom::Seed(int64_t n) {
  // |n| without overflow for INT64_MIN.
  const uint64_t mag = n < 0 ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  const std::array<uint32_t, 2> key = {static_cast<uint32_t>(mag),
                                       static_cast<uint32_t>(mag >> 32)};
  SeedWords(key);
}

void PythonRandom::SeedWords(std::span<const uint32_t> key) {
  size_t used = key.size();
  while (used > 0 && key[used - 1] == 0) --used;
  if (used == 0) {
    const uint32_t zero = 0;  // CPython seeds 0 with a one-word key [0]
    InitByArray(std::span<const uint32_t>(&zero, 1));
  } else {
    InitByArray(key.first(used));
  }
}

void PythonRandom::InitGenrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  mti_ = kN;
}

void PythonRandom::InitByArray(std::span<const uint32_t> key) {
  InitGenrand(19650218U);
  size_t i = 1, j = 0;
  const size_t len = key.size();
  for (size_t k = (kN > len ? kN : len); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (size_t k = kN - 1; k > 0; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
}

uint32_t PythonRandom::NextUint32() {
  static constexpr uint32_t kMag01[2] = {0, kMatrixA};
  if (mti_ >= kN) {
    if (mti_ == kN + 1) InitGenrand(5489U);  // never seeded: MT's default seed
    int kk = 0;
    for (; kk < kN - kM; ++kk) {
      uint32_t y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
      mt_[kk] = mt_[kk + kM] ^ (y >> 1) ^ kMag01[y & 1U];
    }
    for (; kk < kN - 1; ++kk) {
      uint32_t y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
      mt_[kk] = mt_[kk + (kM - kN)] ^ (y >> 1) ^ kMag01[y & 1U];
    }
    uint32_t y = (mt_[kN - 1] & kUpperMask) | (mt_[0] & kLowerMask);
    mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ kMag01[y & 1U];
    mti_ = 0;
  }
  uint32_t y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t PythonRandom::GetRandBits(int k) {
  if (k <= 0) return 0;
  if (k <= 32) return NextUint32() >> (32 - k);
  // CPython fills the integer 32 bits at a time from the least significant word; the last
  // word keeps only its top bits.
  const uint64_t low = NextUint32();
  const uint64_t high = NextUint32() >> (64 - (k > 64 ? 64 : k));
  return low | (high << 32);
}

uint64_t PythonRandom::RandBelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = std::bit_width(n);
  uint64_t r = GetRandBits(k);
  while (r >= n) r = GetRandBits(k);
  return r;
}

int64_t PythonRandom::RandRange(int64_t start, int64_t stop) {
  if (stop <= start) return start;  // CPython raises ValueError; callers guarantee start < stop
  const uint64_t width = static_cast<uint64_t>(stop) - static_cast<uint64_t>(start);
  return static_cast<int64_t>(static_cast<uint64_t>(start) + RandBelow(width));
}

double PythonRandom::Random() {
  const uint32_t a = NextUint32() >> 5;
  const uint32_t b = NextUint32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

}  // namespace pinstream
