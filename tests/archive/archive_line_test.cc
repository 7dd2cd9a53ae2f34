#include "archive/archive_line.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pinstream {
namespace {

using nlohmann::json;

struct Encoded {
  std::string line;
  DataFormat format;
};

Encoded Encode(std::string_view data) {
  ArchiveLineEncoder encoder;
  Encoded e;
  e.format = encoder.AppendData(data, &e.line);
  return e;
}

TEST(ArchiveLineTest, OneLineJsonIsWrittenAsItIs) {
  for (std::string_view data : {R"({"index": 7528, "title": "a \"b\""})", "123", "\"text\"",
                                "[1, 2]", "null", R"( {"padded":true} )"}) {
    Encoded e = Encode(data);
    EXPECT_EQ(e.format, DataFormat::kJson) << data;
    EXPECT_EQ(e.line, std::string(data) + "\n");
  }
}

TEST(ArchiveLineTest, JsonOverSeveralLinesIsMinifiedToTheSameValue) {
  const std::string data = "{\n  \"a\": 1,\r\n  \"b\": [\"x y\", 2]\n}\n";
  Encoded e = Encode(data);
  EXPECT_EQ(e.format, DataFormat::kJson);
  EXPECT_EQ(e.line, "{\"a\":1,\"b\":[\"x y\",2]}\n");
  EXPECT_EQ(json::parse(e.line), json::parse(data));
}

TEST(ArchiveLineTest, TextThatIsNotJsonBecomesAJsonString) {
  for (std::string_view data : {"not json", "", "{\"a\":", "line one\nline two", "tab\there",
                                "quote \" and \\ and \x01", "caf\xc3\xa9"}) {
    Encoded e = Encode(data);
    EXPECT_EQ(e.format, DataFormat::kString) << data;
    ASSERT_EQ(e.line.back(), '\n');
    EXPECT_EQ(e.line.find('\n'), e.line.size() - 1) << "one line";
    EXPECT_EQ(json::parse(e.line).get<std::string>(), data);
  }
}

TEST(ArchiveLineTest, BytesThatAreNotUtf8BecomeBase64) {
  const std::string data("\xff\x00\xfe\n", 4);
  Encoded e = Encode(data);
  EXPECT_EQ(e.format, DataFormat::kBase64);
  EXPECT_EQ(e.line, "\"/wD+Cg==\"\n");
}

TEST(ArchiveLineTest, HeadersCarryKeySequenceNumberAndArrival) {
  RecordView r;
  r.sequence_number = SequenceNumber{2, 17, 1700000000123};
  r.arrival_ms = 1700000000123;
  r.partition_key = "key \"1\"";
  std::string out;
  ArchiveLineEncoder::AppendHeaders(r, DataFormat::kJson, &out);
  ArchiveLineEncoder::AppendHeaders(r, DataFormat::kString, &out);
  const size_t nl = out.find('\n');
  json first = json::parse(out.substr(0, nl));
  json second = json::parse(out.substr(nl + 1));
  EXPECT_EQ(first, (json{{"partition_key", "key \"1\""},
                         {"sequence_number", r.sequence_number.ToString()},
                         {"arrival_ms", 1700000000123}}));
  EXPECT_EQ(second["data_format"], "string");
}

}  // namespace
}  // namespace pinstream
