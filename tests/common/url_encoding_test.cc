#include "common/url_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace pinstream {
namespace {

TEST(PercentDecodeTest, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(PercentDecode(""), "");
  EXPECT_EQ(PercentDecode("plain"), "plain");
  EXPECT_EQ(PercentDecode("a%20b"), "a b");
  EXPECT_EQ(PercentDecode("x%2fy%2Fz"), "x/y/z");
  EXPECT_EQ(PercentDecode("%E1%88%B4"), "\xE1\x88\xB4");
  EXPECT_EQ(PercentDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("%41"), "A");  // an escape that ends the text
}

TEST(PercentDecodeTest, KeepsMalformedEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("%"), "%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("a%4"), "a%4");
  EXPECT_EQ(PercentDecode("%zz"), "%zz");
  EXPECT_EQ(PercentDecode("%4g1"), "%4g1");
  EXPECT_EQ(PercentDecode("%%41"), "%A");
  EXPECT_EQ(PercentDecode("100%"), "100%");
}

TEST(QueryParameterTest, FindsTheFirstOccurrenceDecoded) {
  EXPECT_EQ(QueryParameter("table=geo&offset=20&limit=5", "offset"), "20");
  EXPECT_EQ(QueryParameter("key=a%2Bb%3D&key=other", "key"), "a+b=");
  EXPECT_EQ(QueryParameter("keys=1&key", "key"), "");  // a name without a value
  EXPECT_EQ(QueryParameter("monkey=1", "key"), "");     // a longer name is another one
  EXPECT_EQ(QueryParameter("", "key"), "");
}

TEST(UriEncodeTest, KeepsUnreservedAndEncodesTheRestUpperCase) {
  EXPECT_EQ(UriEncode("", false), "");
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b/~", true), "a%20b/~");
  EXPECT_EQ(UriEncode("a b/~", false), "a%20b%2F~");
  EXPECT_EQ(UriEncode("+=&%", false), "%2B%3D%26%25");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", false), "%E1%88%B4");
  EXPECT_EQ(UriEncode(std::string(1, '\0'), false), "%00");
}

TEST(UriEncodeTest, PercentDecodeUndoesIt) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(PercentDecode(UriEncode(all, false)), all);
  EXPECT_EQ(PercentDecode(UriEncode(all, true)), all);
}

}  // namespace
}  // namespace pinstream
