#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace pinstream {

// CPython's `random.Random`, bit for bit, for the calls the original posting script made:
// the Mersenne Twister (MT19937) seeded as `random.seed(n)` seeds it for an int n, and
// `getrandbits`, `randrange`, `randint` and `random()` on top. A replay with the same seed
// therefore draws the same rows in the same order as the Python script did.
//
// A plain value (2.5 KB of state); not thread-safe.
class PythonRandom {
 public:
  // `random.seed(n)`: init_by_array with the 32-bit words of |n|, least significant first.
  explicit PythonRandom(int64_t n) { Seed(n); }
  // Seeded as SeedWords(key).
  explicit PythonRandom(std::span<const uint32_t> key) { SeedWords(key); }
  void Seed(int64_t n);
  // `random.seed(k[0] + k[1]·2^32 + k[2]·2^64 + ...)` for an int wider than 64 bits.
  // Trailing zero words are dropped, as CPython does; an empty key means seed(0).
  void SeedWords(std::span<const uint32_t> key);

  // `random.getrandbits(k)` for 0 <= k <= 64.
  uint64_t GetRandBits(int k);
  // `random._randbelow(n)` for n >= 1: rejection sampling on getrandbits(n.bit_length()).
  uint64_t RandBelow(uint64_t n);
  // `random.randrange(start, stop)`; requires start < stop.
  int64_t RandRange(int64_t start, int64_t stop);
  // `random.randint(a, b)` = randrange(a, b + 1); requires a <= b.
  int64_t RandInt(int64_t a, int64_t b) { return RandRange(a, b + 1); }
  // `random.random()`: a double in [0, 1) with 53 random bits.
  double Random();

  // The next raw 32-bit output of MT19937 (genrand_uint32).
  uint32_t NextUint32();

 private:
  static constexpr int kN = 624;
  void InitGenrand(uint32_t s);
  void InitByArray(std::span<const uint32_t> key);

  std::array<uint32_t, kN> mt_{};
  int mti_ = kN + 1;
};

}  // namespace pinstream
