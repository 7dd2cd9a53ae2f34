#include "sinks/key_encoding.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace pinstream {
namespace {

std::string Enc(const Value& v) {
  std::string out;
  EncodeKeyValue(v, &out);
  return out;
}

// Each list is in strictly increasing value order; the encodings must be too.
void ExpectOrdered(const std::vector<Value>& values) {
  for (size_t i = 1; i < values.size(); ++i) {
    EXPECT_LT(Enc(values[i - 1]), Enc(values[i])) << "at " << i;
  }
}

TEST(KeyEncodingTest, IntsAndTimestampsOrderNumerically) {
  ExpectOrdered({Value(), Value::Int(std::numeric_limits<int64_t>::min()), Value::Int(-1000),
                 Value::Int(-1), Value::Int(0), Value::Int(1), Value::Int(255), Value::Int(256),
                 Value::Int(std::numeric_limits<int64_t>::max())});
  ExpectOrdered(
      {Value(), Value::TimestampMs(-1), Value::TimestampMs(0), Value::TimestampMs(1618853823000)});
}

TEST(KeyEncodingTest, DoublesOrderNumerically) {
  ExpectOrdered({Value(), Value::Double(-std::numeric_limits<double>::infinity()),
                 Value::Double(-1e300), Value::Double(-1.5), Value::Double(-1e-300),
                 Value::Double(0.0), Value::Double(1e-300), Value::Double(1.5),
                 Value::Double(1e300), Value::Double(std::numeric_limits<double>::infinity())});
  EXPECT_EQ(Enc(Value::Double(-0.0)), Enc(Value::Double(0.0)));
}

TEST(KeyEncodingTest, StringsOrderBytewiseAndAreEscaped) {
  using namespace std::string_literals;
  ExpectOrdered({Value(), Value::String(""), Value::String("\0"s), Value::String("\0\0"s),
                 Value::String("\0a"s), Value::String("\x01"), Value::String("a"),
                 Value::String("a\0"s), Value::String("a\0b"s), Value::String("ab"),
                 Value::String("b"), Value::String("\xff\xff")});
  ExpectOrdered({Value::Bool(false), Value::Bool(true)});
}

TEST(KeyEncodingTest, TuplesArePrefixFree) {
  // Keys of an upsert table concatenate the key columns and a version: ("a", "bc") and
  // ("ab", "c") must differ, and no key of a table (same arity) may prefix another.
  auto tuple = [](std::vector<Value> vs) {
    std::string out;
    for (const auto& v : vs) EncodeKeyValue(v, &out);
    return out;
  };
  std::vector<std::string> keys = {
      tuple({Value::String("a"), Value::String("bc")}),
      tuple({Value::String("ab"), Value::String("c")}),
      tuple({Value::String("a"), Value()}),
      tuple({Value::String("a\xff"), Value()}),
      tuple({Value::MakeArray({Value::Int(1)}), Value::Int(2)}),
      tuple({Value::MakeArray({Value::Int(1), Value::Int(2)})}),
      tuple({Value::MakeArray({})}),
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = 0; j < keys.size(); ++j) {
      if (i != j) {
        EXPECT_FALSE(keys[j].starts_with(keys[i])) << i << " prefixes " << j;
      }
    }
  }
  ExpectOrdered({Value::MakeArray({}), Value::MakeArray({Value::Int(1)}),
                 Value::MakeArray({Value::Int(1), Value::Int(2)}),
                 Value::MakeArray({Value::Int(2)})});
}

}  // namespace
}  // namespace pinstream
