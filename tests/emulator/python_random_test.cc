// PythonRandom against values computed with CPython 3.11's `random` (python3 -c ...).
#include "emulator/python_random.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace pinstream {
namespace {

// Per post: randrange(0, 2) for the sleep, then randint(0, 11000) for the row.
std::vector<int64_t> OriginalDraws(int64_t seed, int n) {
  PythonRandom rng(seed);
  std::vector<int64_t> inds;
  for (int i = 0; i < n; ++i) {
    rng.RandRange(0, 2);
    inds.push_back(rng.RandInt(0, 11000));
  }
  return inds;
}

TEST(PythonRandomTest, OriginalScriptDrawsForSeed100) {
  // random.seed(100); [(random.randrange(0, 2), random.randint(0, 11000))[1] for _ in range(12)]
  EXPECT_EQ(OriginalDraws(100, 12), (std::vector<int64_t>{7528, 2863, 5730, 8304, 8731, 1313, 4315,
                                                          10794, 5494, 5069, 2923, 3089}));
}

TEST(PythonRandomTest, OriginalScriptDrawsForOtherSeeds) {
  EXPECT_EQ(OriginalDraws(0, 12), (std::vector<int64_t>{6890, 4242, 6634, 7808, 9558, 8268, 4617,
                                                        1553, 8725, 5081, 1208, 7735}));
  EXPECT_EQ(OriginalDraws(1, 12), (std::vector<int64_t>{9325, 4179, 8117, 7737, 3439, 7993, 6386,
                                                        9952, 7297, 3748, 5200, 365}));
  EXPECT_EQ(OriginalDraws(42, 12), (std::vector<int64_t>{409, 4012, 2286, 8935, 9674, 520, 1535,
                                                         3811, 9195, 10647, 3611, 9654}));
  // CPython seeds with abs(n).
  EXPECT_EQ(OriginalDraws(-7, 12), (std::vector<int64_t>{2471, 10664, 1186, 5991, 8313, 614, 7104,
                                                         1144, 1486, 968, 3657, 9455}));
  // A seed wider than 32 bits is a two-word key.
  EXPECT_EQ(OriginalDraws(4294967301, 12),
            (std::vector<int64_t>{7954, 9903, 5817, 10860, 5807, 5157, 8235, 6603, 10224, 6883,
                                  10335, 6078}));
}

TEST(PythonRandomTest, LongRunStaysInStep) {
  // random.seed(100); sum of the first 10,000 posts' inds
  PythonRandom rng(100);
  int64_t sum = 0;
  for (int i = 0; i < 10000; ++i) {
    rng.RandRange(0, 2);
    sum += rng.RandInt(0, 11000);
  }
  EXPECT_EQ(sum, 54759080);
}

TEST(PythonRandomTest, GetRandBits) {
  // random.seed(12345); [random.getrandbits(k) for k in (1, 7, 31, 32, 33, 53, 64)]
  PythonRandom rng(12345);
  EXPECT_EQ(rng.GetRandBits(1), 0u);
  EXPECT_EQ(rng.GetRandBits(7), 93u);
  EXPECT_EQ(rng.GetRandBits(31), 21838114u);
  EXPECT_EQ(rng.GetRandBits(32), 3522623596u);
  EXPECT_EQ(rng.GetRandBits(33), 7839202253u);
  EXPECT_EQ(rng.GetRandBits(53), 7702402357766466u);
  EXPECT_EQ(rng.GetRandBits(64), 17188393767951940199u);
  EXPECT_EQ(rng.GetRandBits(0), 0u);
}

TEST(PythonRandomTest, RandomDoubles) {
  // random.seed(12345); [random.random().hex() for _ in range(3)]
  PythonRandom rng(12345);
  EXPECT_EQ(rng.Random(), 0x1.aa9e665dc8a18p-2);
  EXPECT_EQ(rng.Random(), 0x1.4d392d1f6f840p-7);
  EXPECT_EQ(rng.Random(), 0x1.a68177b361de3p-1);
}

TEST(PythonRandomTest, WideAndNegativeRanges) {
  // random.seed(12345); [random.randrange(10**12) for _ in range(3)],
  // then [random.randrange(-50, 50) for _ in range(5)]
  PythonRandom rng(12345);
  EXPECT_EQ(rng.RandRange(0, 1'000'000'000'000), 804948253063);
  EXPECT_EQ(rng.RandRange(0, 1'000'000'000'000), 897691841093);
  EXPECT_EQ(rng.RandRange(0, 1'000'000'000'000), 884012530637);
  std::vector<int64_t> small;
  for (int i = 0; i < 5; ++i) small.push_back(rng.RandRange(-50, 50));
  EXPECT_EQ(small, (std::vector<int64_t>{-12, -3, -26, -16, 22}));
}

TEST(PythonRandomTest, SeedWordsIsAWideInteger) {
  // random.seed(1 + 2 * 2**32 + 3 * 2**64); [random.getrandbits(32) for _ in range(3)]
  PythonRandom rng(0);
  const std::array<uint32_t, 3> key = {1, 2, 3};
  rng.SeedWords(key);
  EXPECT_EQ(rng.NextUint32(), 2619334238u);
  EXPECT_EQ(rng.NextUint32(), 1552691353u);
  EXPECT_EQ(rng.NextUint32(), 3808334787u);
  // Trailing zero words do not change the integer, so not the state either.
  const std::array<uint32_t, 5> padded = {1, 2, 3, 0, 0};
  rng.SeedWords(padded);
  EXPECT_EQ(rng.NextUint32(), 2619334238u);
}

TEST(PythonRandomTest, MostNegativeSeed) {
  // random.seed(-(2**63)); [random.getrandbits(32) for _ in range(3)]
  PythonRandom rng(INT64_MIN);
  EXPECT_EQ(rng.NextUint32(), 2377109768u);
  EXPECT_EQ(rng.NextUint32(), 1691753470u);
  EXPECT_EQ(rng.NextUint32(), 4039908392u);
}

TEST(PythonRandomTest, ReseedingRestarts) {
  PythonRandom rng(100);
  const uint32_t first = rng.NextUint32();
  rng.NextUint32();
  rng.Seed(100);
  EXPECT_EQ(rng.NextUint32(), first);
}

}  // namespace
}  // namespace pinstream
