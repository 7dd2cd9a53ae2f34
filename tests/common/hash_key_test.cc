#include "common/hash_key.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/test_util.h"

namespace pinstream {
namespace {

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}

HashKey Make(uint64_t hi, uint64_t lo) { return (HashKey{hi} << 64) | lo; }
uint64_t Hi(HashKey v) { return static_cast<uint64_t>(v >> 64); }
uint64_t Lo(HashKey v) { return static_cast<uint64_t>(v); }

// MD5 digests computed independently (python3 hashlib.md5(key.encode()).hexdigest()), as the
// big-endian halves of the digest and int(hexdigest, 16) in decimal.
struct Md5Case {
  std::string key;
  uint64_t hi;
  uint64_t lo;
  const char* decimal;
};

const Md5Case kMd5Cases[] = {
    {"", 0xd41d8cd98f00b204, 0xe9800998ecf8427e, "281949768489412648962353822266799178366"},
    {"a", 0x0cc175b9c0f1b6a8, 0x31c399e269772661, "16955237001963240173058271559858726497"},
    {"partition-1", 0x94f940e6c2a31703, 0xd6be067b87d67968,
     "198019941650871988756153596255032211816"},
    {"7528", 0xf6f154417c466586, 0x1583f9b9c4afafa2, "328243139416694713817958587142130085794"},
    {"123e4567-e89b-12d3-a456-426614174000", 0x3b32b2dc26c45b3a, 0x34a56515df7c216c,
     "78687694305339791661151101311799533932"},
    // "ключ-😀" in UTF-8.
    {"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-\xf0\x9f\x98\x80", 0x0d2b30265ad8658f, 0x9bc50e6b56cf1ef9,
     "17504209304567313227082863110603611897"},
    {"hello world", 0x5eb63bbbe01eeed0, 0x93cb22bb8f5acdc3,
     "125893641179230474042701625388361764291"},
    {"user#42", 0x282487ecaaffe604, 0x869aba97df4eb3de, "53358799394368549034077983579306898398"},
    {"The quick brown fox jumps over the lazy dog", 0x9e107d9d372bb682, 0x6bd81d3542a419d6,
     "210103647840849757586127012022035159510"},
    {std::string(256, 'z'), 0x422e2b4e027b4302, 0x25b3cff67247be64,
     "87968771701474667150630104435087883876"},
    {std::string("\x00\xff\x10"
                 "binary",
                 9),
     0xce861ad59b55e787, 0xde2390270e11de41, "274517279177058675792092788948305305153"},
};

TEST(HashKeyTest, PartitionKeyHashMatchesIndependentMd5) {
  for (const auto& c : kMd5Cases) {
    SCOPED_TRACE(c.decimal);
    HashKey h = PartitionKeyHash(c.key);
    EXPECT_EQ(Hi(h), c.hi);
    EXPECT_EQ(Lo(h), c.lo);
    EXPECT_EQ(HashKeyToString(h), c.decimal);
    ASSERT_OK_AND_ASSIGN(HashKey parsed, ParseHashKey(c.decimal));
    EXPECT_TRUE(parsed == h);
  }
}

TEST(HashKeyTest, ToStringKnownValues) {
  EXPECT_EQ(HashKeyToString(0), "0");
  EXPECT_EQ(HashKeyToString(1), "1");
  EXPECT_EQ(HashKeyToString(10), "10");
  EXPECT_EQ(HashKeyToString(UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(HashKeyToString(Make(1, 0)), "18446744073709551616");
  EXPECT_EQ(HashKeyToString((HashKey{1} << 126) - 1), "85070591730234615865843651857942052863");
  EXPECT_EQ(HashKeyToString(HashKey{1} << 124), "21267647932558653966460912964485513216");
  EXPECT_EQ(HashKeyToString(kMaxHashKey), "340282366920938463463374607431768211455");
}

TEST(HashKeyTest, ParseKnownValues) {
  ASSERT_OK_AND_ASSIGN(HashKey zero, ParseHashKey("0"));
  EXPECT_TRUE(zero == 0);
  ASSERT_OK_AND_ASSIGN(HashKey leading, ParseHashKey("0007"));
  EXPECT_TRUE(leading == 7);
  ASSERT_OK_AND_ASSIGN(HashKey two64, ParseHashKey("18446744073709551616"));
  EXPECT_EQ(Hi(two64), 1u);
  EXPECT_EQ(Lo(two64), 0u);
  ASSERT_OK_AND_ASSIGN(HashKey max, ParseHashKey("340282366920938463463374607431768211455"));
  EXPECT_TRUE(max == kMaxHashKey);
  ASSERT_OK_AND_ASSIGN(HashKey almost, ParseHashKey("340282366920938463463374607431768211454"));
  EXPECT_TRUE(almost == kMaxHashKey - 1);
}

TEST(HashKeyTest, ParseRejectsOverflow) {
  for (const char* text : {
           "340282366920938463463374607431768211456",   // 2^128
           "340282366920938463463374607431768211460",   // overflows in the multiply
           "999999999999999999999999999999999999999",   // 39 nines
           "1000000000000000000000000000000000000000",  // 40 digits
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseHashKey(text)), "InvalidArgumentException");
  }
}

TEST(HashKeyTest, ParseRejectsNonDigitsAndEmpty) {
  for (const char* text : {"", "-1", "+1", "1a", "a1", " 1", "1 ", "1.0", "0x10", "1e5"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(ParseHashKey(text)), "InvalidArgumentException");
  }
}

TEST(HashKeyTest, RoundTripsPseudoRandomValues) {
  uint64_t state = 0x9e3779b97f4a7c15;
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < 1000; ++i) {
    HashKey v = Make(next(), next());
    if (i % 4 == 1) v >>= (i % 128);  // also short numbers
    std::string text = HashKeyToString(v);
    ASSERT_LE(text.size(), 39u);
    ASSERT_TRUE(text == "0" || text[0] != '0') << text;
    ASSERT_OK_AND_ASSIGN(HashKey back, ParseHashKey(text));
    ASSERT_TRUE(back == v) << text;
  }
}

}  // namespace
}  // namespace pinstream
