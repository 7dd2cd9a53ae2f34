#include "common/json_dump.h"

#include <gtest/gtest.h>

#include <string>

namespace pinstream {
namespace {

TEST(DumpJsonTest, IsCompact) {
  const nlohmann::json j = {{"b", {1, 2}}, {"a", "x y"}};
  EXPECT_EQ(DumpJson(j), R"({"a":"x y","b":[1,2]})");
  EXPECT_EQ(DumpJson(nlohmann::json::object()), "{}");
}

TEST(DumpJsonTest, OrderedJsonKeepsItsOrder) {
  nlohmann::ordered_json j;
  j["b"] = 1;
  j["a"] = 2;
  EXPECT_EQ(DumpJson(j), R"({"b":1,"a":2})");
}

TEST(DumpJsonTest, ReplacesInvalidUtf8InsteadOfThrowing) {
  const nlohmann::json j = std::string(
      "a\xFF\xFE"
      "b");
  EXPECT_EQ(DumpJson(j),
            "\"a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b\"");
  nlohmann::ordered_json o;
  o[std::string("k\xFF")] = std::string("\xC3");
  EXPECT_EQ(DumpJson(o), "{\"k\xEF\xBF\xBD\":\"\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace pinstream
