#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/test_util.h"

namespace pinstream {
namespace {

// The error type of `r` ("OK" when it holds a value), printable in assertion failures.
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return std::string(r.status().TypeName());
}

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"},
  };
  for (const auto& [text, bytes] : cases) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(std::string decoded, Base64Decode(text));
    EXPECT_EQ(decoded, bytes);
  }
}

TEST(Base64Test, EncodesAlphabetEnds) {
  // 0xfb 0xff 0xbf -> indices 62, 63, 62, 63.
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  ASSERT_OK_AND_ASSIGN(std::string decoded, Base64Decode("+/+/"));
  EXPECT_EQ(decoded, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Test, RoundTripsEveryTailLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    SCOPED_TRACE(n);
    std::string text = Base64Encode(bytes);
    EXPECT_EQ(text.size(), 4 * ((bytes.size() + 2) / 3));
    ASSERT_OK_AND_ASSIGN(std::string decoded, Base64Decode(text));
    EXPECT_EQ(decoded, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 11));
  }
}

TEST(Base64Test, RoundTripsBinaryBytesIncludingNul) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t tail : {0, 1, 2}) {
    std::string b = bytes + std::string(tail, '\0');
    ASSERT_OK_AND_ASSIGN(std::string decoded, Base64Decode(Base64Encode(b)));
    EXPECT_EQ(decoded, b);
  }
  ASSERT_OK_AND_ASSIGN(std::string zeros, Base64Decode("AAAA"));
  EXPECT_EQ(zeros, std::string(3, '\0'));
  ASSERT_OK_AND_ASSIGN(std::string one_zero, Base64Decode("AA=="));
  EXPECT_EQ(one_zero, std::string(1, '\0'));
}

TEST(Base64Test, RejectsLengthNotMultipleOfFour) {
  for (const char* text : {"Z", "Zg", "Zg=", "Zm9vY", "Zm9vYmFy="}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(Base64Decode(text)), "InvalidArgumentException");
  }
}

TEST(Base64Test, RejectsCharactersOutsideAlphabet) {
  for (const char* text : {"Zm9*", "Zm9-", "Zm9_", "Zm9\x80", "Zm\0v"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(Base64Decode(std::string(text, 4))), "InvalidArgumentException");
  }
}

TEST(Base64Test, RejectsWhitespace) {
  for (const char* text : {" Zm9v", "Zm9v ", "Zm9v\n", "Zm 9v", "Zm9v\r\nYmFy", "\tZm9vYmF"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(Base64Decode(text)), "InvalidArgumentException");
  }
}

// Padding may only appear at the end, and at most twice.
TEST(Base64Test, RejectsMisplacedPadding) {
  for (const char* text : {"====", "Z===", "Zg=v", "=Zm9", "Zg==Zm9v", "Zm==Zg=="}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ErrorOf(Base64Decode(text)), "InvalidArgumentException");
  }
}

}  // namespace
}  // namespace pinstream
