// parse_json and decode_base64, built through the registry as a topology step builds them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "common/base64.h"
#include "operators/topology.h"
#include "tests/operators/operator_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::ApplyOperator;
using testing::ArrayCol;
using testing::BuildOperator;
using testing::BuiltOperator;
using testing::Col;
using testing::Dbl;
using ::testing::HasSubstr;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::RowText;
using testing::Str;

constexpr int64_t kArrivalMs = 1598586767000;  // 2020-08-28T03:52:47Z

// A source row (data, partition_key, arrival) carrying `data`.
Row SourceRow(std::string data) {
  return Row{Str(std::move(data)), Str("pk-1"), Value::TimestampMs(kArrivalMs)};
}

// parse_json of `columns` (name -> type) over source rows.
BuiltOperator ParseJson(ojson columns, ojson extra = ojson::object()) {
  ojson config = {{"op", "parse_json"}, {"columns", std::move(columns)}};
  for (auto& [k, v] : extra.items()) config[k] = v;
  return BuildOperator(config, SourceSchema());
}

// Parses `json` with `op` and expects success: the output row.
Row ParseOk(Operator& op, const std::string& json) {
  auto out = ApplyOperator(op, SourceRow(json));
  EXPECT_TRUE(out.ok()) << json << ": " << out.status().ToString();
  if (!out.ok() || !out->has_value()) return {};
  return **out;
}

// Parses `json` with `op` and expects InvalidArgument: its message.
std::string ParseFails(Operator& op, const std::string& json) {
  auto out = ApplyOperator(op, SourceRow(json));
  EXPECT_FALSE(out.ok()) << json << " parsed into "
                         << (out.ok() && out->has_value() ? RowText(**out) : "");
  if (out.ok()) return "";
  EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument) << out.status().ToString();
  return out.status().message();
}

// ----------------------------------------------------------------------------------------------
// parse_json

TEST(ParseJsonTest, EveryTypeInDeclaredOrder) {
  auto built = ParseJson({{"i", "int"},
                          {"d", "double"},
                          {"s", "string"},
                          {"b", "bool"},
                          {"t", "timestamp"},
                          {"ad", "array<double>"},
                          {"ai", "array<int>"},
                          {"as", "array<string>"}});
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output, Schema({Col("i", Type::kInt), Col("d", Type::kDouble),
                                  Col("s", Type::kString), Col("b", Type::kBool),
                                  Col("t", Type::kTimestamp), ArrayCol("ad", Type::kDouble),
                                  ArrayCol("ai", Type::kInt), ArrayCol("as", Type::kString)}));

  // Keys in another order than declared; the row follows the declaration.
  Row row = ParseOk(*built.op, R"({"as": ["x", "y"], "ai": [1, -2], "ad": [-89.9787, 173.293, 0],
      "t": "2020-08-28 03:52:47", "b": true, "s": "text", "d": 2.5, "i": 7528})");
  EXPECT_EQ(
      row, (Row{Int(7528), Dbl(2.5), Str("text"), Value::Bool(true), Value::TimestampMs(kArrivalMs),
                Value::MakeArray({Dbl(-89.9787), Dbl(173.293), Dbl(0)}),
                Value::MakeArray({Int(1), Int(-2)}), Value::MakeArray({Str("x"), Str("y")})}))
      << RowText(row);
}

TEST(ParseJsonTest, NullAndMissingKeysAreNullExtraKeysIgnored) {
  auto built = ParseJson({{"a", "int"}, {"b", "string"}, {"c", "array<double>"}, {"d", "bool"}});
  ASSERT_TRUE(built.ok());
  Row row = ParseOk(*built.op, R"({"zzz": {"nested": [1, 2]}, "a": null, "c": null, "extra": 5})");
  EXPECT_EQ(row, (Row{Null(), Null(), Null(), Null()})) << RowText(row);
  // Null elements of an array stay null elements.
  row = ParseOk(*built.op, R"({"c": [1.5, null, 2]})");
  EXPECT_EQ(row[2], Value::MakeArray({Dbl(1.5), Null(), Dbl(2)})) << RowText(row);
}

TEST(ParseJsonTest, EmptyObjectGivesAllNulls) {
  auto built = ParseJson({{"a", "int"}, {"b", "string"}});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(ParseOk(*built.op, "{}"), (Row{Null(), Null()}));
  EXPECT_EQ(ParseOk(*built.op, " \n{ }\t"), (Row{Null(), Null()}));
}

TEST(ParseJsonTest, NumbersConvertOnlyWhenExact) {
  auto built = ParseJson({{"i", "int"}, {"d", "double"}});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(ParseOk(*built.op, R"({"i": 3.0, "d": 2})"), (Row{Int(3), Dbl(2.0)}));
  EXPECT_EQ(ParseOk(*built.op, R"({"i": 9223372036854775807})")[0],
            Int(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(ParseOk(*built.op, R"({"i": -9223372036854775808})")[0],
            Int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(ParseOk(*built.op, R"({"d": 0.1})")[1], Dbl(0.1));
  EXPECT_THAT(ParseFails(*built.op, R"({"i": 3.5})"),
              HasSubstr("column 'i' expects int, got a number"));
  EXPECT_THAT(ParseFails(*built.op, R"({"i": 18446744073709551615})"), HasSubstr("column 'i'"));
  EXPECT_THAT(ParseFails(*built.op, R"({"i": 1e300})"), HasSubstr("column 'i'"));
}

TEST(ParseJsonTest, WrongTypesAreSchemaViolations) {
  auto built = ParseJson({{"i", "int"},
                          {"s", "string"},
                          {"b", "bool"},
                          {"d", "double"},
                          {"a", "array<double>"},
                          {"t", "timestamp"}});
  ASSERT_TRUE(built.ok());
  // The dead letter must say which column and what came instead.
  EXPECT_EQ(ParseFails(*built.op, R"({"i": "abc"})"), "column 'i' expects int, got a string");
  EXPECT_EQ(ParseFails(*built.op, R"({"i": "12"})"), "column 'i' expects int, got a string");
  EXPECT_EQ(ParseFails(*built.op, R"({"s": 5})"), "column 's' expects string, got a number");
  EXPECT_EQ(ParseFails(*built.op, R"({"s": {"x": 1}})"),
            "column 's' expects string, got an object");
  EXPECT_EQ(ParseFails(*built.op, R"({"s": ["x"]})"), "column 's' expects string, got an array");
  EXPECT_EQ(ParseFails(*built.op, R"({"b": "true"})"), "column 'b' expects bool, got a string");
  EXPECT_EQ(ParseFails(*built.op, R"({"b": 1})"), "column 'b' expects bool, got a number");
  EXPECT_EQ(ParseFails(*built.op, R"({"d": false})"), "column 'd' expects double, got a boolean");
  EXPECT_EQ(ParseFails(*built.op, R"({"a": 1.5})"),
            "column 'a' expects array<double>, got a number");
  EXPECT_THAT(ParseFails(*built.op, R"({"a": [1.5, "x"]})"), HasSubstr("column 'a'"));
  EXPECT_THAT(ParseFails(*built.op, R"({"a": [[1.5]]})"), HasSubstr("column 'a'"));
  EXPECT_THAT(ParseFails(*built.op, R"({"t": true})"), HasSubstr("column 't'"));
  EXPECT_THAT(ParseFails(*built.op, R"({"t": "yesterday"})"), HasSubstr("column 't'"));
  // One bad column fails the whole record, whatever the others hold.
  EXPECT_THAT(ParseFails(*built.op, R"({"s": "fine", "i": "abc", "d": 1})"),
              HasSubstr("column 'i'"));
}

TEST(ParseJsonTest, NotJsonNotAnObjectOrTruncatedIsInvalidArgument) {
  auto built = ParseJson({{"a", "int"}});
  ASSERT_TRUE(built.ok());
  for (const char* text : {"not json", "", "   ", "{\"a\": 1", "{\"a\": ", "{\"a\" 1}", "{'a': 1}",
                           "{\"a\": 1} trailing", "{\"a\": 1}{\"a\": 2}", "{\"a\": tru}"}) {
    EXPECT_THAT(ParseFails(*built.op, text), HasSubstr("not JSON")) << "'" << text << "'";
  }
  for (const char* text : {"[1, 2]", "\"a string\"", "42", "null", "true", "[]"}) {
    EXPECT_EQ(ParseFails(*built.op, text), "not a JSON object") << text;
  }
  // The operator keeps working after failures (the parser is reused).
  EXPECT_EQ(ParseOk(*built.op, R"({"a": 1})"), Row{Int(1)});
}

TEST(ParseJsonTest, NullDataIsAnError) {
  auto built = ParseJson({{"a", "int"}});
  ASSERT_TRUE(built.ok());
  bool keep = true;
  Row row{Null(), Str("pk"), Value::TimestampMs(0)};
  Status s = built.op->Apply(row, &keep);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
}

TEST(ParseJsonTest, UnicodeIsKeptByteExact) {
  auto built = ParseJson({{"s", "string"}, {"t", "string"}, {"u", "string"}, {"z", "string"}});
  ASSERT_TRUE(built.ok());
  // "…" raw UTF-8, U+00A0 escaped, an emoji as a surrogate pair, and an escaped NUL.
  Row row =
      ParseOk(*built.op,
              "{\"s\": \"Keep the kids busy\xE2\x80\xA6\\u00a0\", \"t\": \"\\ud83d\\ude00 "
              "\xC3\xA9t\xC3\xA9\", \"u\": \"a\\u0000b\", \"z\": \"tab\\tquote\\\"slash\\\\\"}");
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[0].as_string(), "Keep the kids busy\xE2\x80\xA6\xC2\xA0");
  EXPECT_EQ(row[1].as_string(), "\xF0\x9F\x98\x80 \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(row[2].as_string(), std::string("a\0b", 3));
  EXPECT_EQ(row[3].as_string(), "tab\tquote\"slash\\");
}

TEST(ParseJsonTest, InvalidUtf8IsRefused) {
  // simdjson validates UTF-8: a record with a stray continuation byte is a dead letter, not a
  // row with broken text.
  auto built = ParseJson({{"s", "string"}});
  ASSERT_TRUE(built.ok());
  EXPECT_THAT(ParseFails(*built.op, "{\"s\": \"bad \x80 byte\"}"), HasSubstr("not JSON"));
}

TEST(ParseJsonTest, HugeStrings) {
  auto built = ParseJson({{"big", "string"}, {"n", "int"}});
  ASSERT_TRUE(built.ok());
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + i % 26);
  Row row = ParseOk(*built.op, "{\"big\": \"" + big + "\", \"n\": 1}");
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0].as_string().size(), big.size());
  EXPECT_TRUE(row[0].as_string() == big);
  EXPECT_EQ(row[1], Int(1));
  // A small record after the huge one (the parser's buffers were grown, not corrupted).
  EXPECT_EQ(ParseOk(*built.op, R"({"big": "small", "n": 2})"), (Row{Str("small"), Int(2)}));
  // An empty string is a value, not null.
  EXPECT_EQ(ParseOk(*built.op, R"({"big": ""})"), (Row{Str(""), Null()}));
}

TEST(ParseJsonTest, TimestampsFromStringsAndEpochSeconds) {
  auto built = ParseJson({{"t", "timestamp"}});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(ParseOk(*built.op, R"({"t": "2020-08-28 03:52:47"})")[0],
            Value::TimestampMs(kArrivalMs));
  EXPECT_EQ(ParseOk(*built.op, R"({"t": "2020-08-28T03:52:47"})")[0],
            Value::TimestampMs(kArrivalMs));
  EXPECT_EQ(ParseOk(*built.op, R"({"t": "2020-08-28T03:52:47Z"})")[0],
            Value::TimestampMs(kArrivalMs));
  EXPECT_EQ(ParseOk(*built.op, R"({"t": 1598586767})")[0], Value::TimestampMs(kArrivalMs));
  EXPECT_EQ(ParseOk(*built.op, R"({"t": 1598586767.5})")[0], Value::TimestampMs(kArrivalMs + 500));
}

TEST(ParseJsonTest, KeepAppendsInputColumns) {
  auto built = ParseJson({{"a", "int"}}, {{"keep", {"partition_key", "arrival"}}});
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output, Schema({Col("a", Type::kInt),
                                  Column{"partition_key", Type::kString, Type::kNull, false},
                                  Column{"arrival", Type::kTimestamp, Type::kNull, false}}));
  EXPECT_EQ(ParseOk(*built.op, R"({"a": 5})"),
            (Row{Int(5), Str("pk-1"), Value::TimestampMs(kArrivalMs)}));

  // A single name works as a list of one.
  built = ParseJson({{"a", "int"}}, {{"keep", "partition_key"}});
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output.size(), 2u);
}

TEST(ParseJsonTest, ConfigErrors) {
  auto errors = [](ojson config) {
    config["op"] = "parse_json";
    auto built = BuildOperator(config, SourceSchema());
    EXPECT_FALSE(built.ok()) << config.dump();
    return built.errors;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(errors({}), V{"/step: parse_json needs \"columns\": {\"name\": \"type\", ...} (the "
                          "record's schema)"});
  EXPECT_EQ(errors({{"columns", ojson::object()}}),
            V{"/step/columns: parse_json needs \"columns\": {\"name\": \"type\", ...} (the "
              "record's schema)"});
  EXPECT_EQ(errors({{"columns", {"a", "b"}}}).size(), 1u);
  EXPECT_EQ(errors({{"columns", {{"a", "integer32"}}}}),
            V{"/step/columns/a: unknown type 'integer32' (types: int, double, string, bool, "
              "timestamp, array<T>)"});
  EXPECT_EQ(errors({{"columns", {{"a", 5}}}}), V{"/step/columns/a: must be a type name"});
  EXPECT_EQ(errors({{"columns", {{"a", "array<array<int>>"}}}}),
            V{"/step/columns/a: arrays hold int, double, string, bool or timestamp"});
  EXPECT_EQ(errors({{"columns", {{"a", "int"}}}, {"colums", {{"b", "int"}}}}),
            V{"/step/colums: unknown option 'colums'"});
  EXPECT_EQ(errors({{"column", "nope"}, {"columns", {{"a", "int"}}}}),
            V{"/step/column: needs a string column to parse (default 'data')"});
  EXPECT_EQ(errors({{"column", "arrival"}, {"columns", {{"a", "int"}}}}),
            V{"/step/column: needs a string column to parse (default 'data')"});
  EXPECT_EQ(errors({{"columns", {{"a", "int"}}}, {"keep", {"nope"}}}),
            V{"/step/keep/0: unknown column 'nope'"});
  EXPECT_EQ(errors({{"columns", {{"partition_key", "int"}}}, {"keep", {"partition_key"}}}),
            V{"/step/keep: column 'partition_key' is also declared"});
}

TEST(ParseJsonTest, BareArrayTypeNeedsAnElementType) {
  // "array" alone would be an array of null elements: every record with a non-empty array
  // would become a dead letter at run time. Refused, as "array<array<int>>" is.
  auto built = ParseJson({{"a", "array"}});
  EXPECT_FALSE(built.ok());
  EXPECT_EQ(built.errors.size(), 1u) << ::testing::PrintToString(built.errors);
  if (!built.errors.empty()) {
    EXPECT_THAT(built.errors[0], HasSubstr("/step/columns/a: "));
  }
}

TEST(ParseJsonTest, NonStringColumnOptionIsAConfigError) {
  // A number where a column name belongs is reported, not thrown: nlohmann's value() throws
  // type_error for a present key of another type, which would escape Graph::Build and abort
  // `pinstream validate`.
  BuiltOperator built;
  EXPECT_NO_THROW(built = ParseJson({{"a", "int"}}, {{"column", 5}}));
  EXPECT_FALSE(built.ok());
  EXPECT_EQ(built.errors.size(), 1u) << ::testing::PrintToString(built.errors);
  if (!built.errors.empty()) {
    EXPECT_THAT(built.errors[0], HasSubstr("/step/column: "));
  }
}

// ----------------------------------------------------------------------------------------------
// decode_base64

TEST(DecodeBase64Test, DecodesTheDataColumnInPlace) {
  auto built = BuildOperator({{"op", "decode_base64"}}, SourceSchema());
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output, SourceSchema());
  const std::string binary("\x00\xff\x10{\"a\":1}\xE2\x80\xA6", 13);
  for (const std::string& bytes :
       {std::string("hello"), std::string(""), binary, std::string(1 << 20, '\x7f')}) {
    auto out = ApplyOperator(*built.op, SourceRow(Base64Encode(bytes)));
    ASSERT_OK(out.status());
    ASSERT_TRUE(out->has_value());
    EXPECT_TRUE((**out)[0].as_string() == bytes) << bytes.size();
    EXPECT_EQ((**out)[1], Str("pk-1"));
  }
  // Null passes through.
  auto out = ApplyOperator(*built.op, Row{Null(), Str("pk"), Value::TimestampMs(0)});
  ASSERT_OK(out.status());
  EXPECT_EQ((**out)[0], Null());
}

TEST(DecodeBase64Test, BadBase64IsInvalidArgument) {
  auto built = BuildOperator({{"op", "decode_base64"}}, SourceSchema());
  ASSERT_TRUE(built.ok());
  for (const char* text : {"!!!!", "aGVsbG8", "aGVs bG8=", "a=bc", "{\"a\": 1}"}) {
    auto out = ApplyOperator(*built.op, SourceRow(text));
    ASSERT_FALSE(out.ok()) << text;
    EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument) << text;
  }
}

TEST(DecodeBase64Test, ColumnOption) {
  const Schema input({Col("id", Type::kInt), Col("payload", Type::kString)});
  auto built = BuildOperator({{"op", "decode_base64"}, {"column", "payload"}}, input);
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  EXPECT_EQ(built.output, input);
  auto out = ApplyOperator(*built.op, Row{Int(1), Str("aGk=")});
  ASSERT_OK(out.status());
  EXPECT_EQ(**out, (Row{Int(1), Str("hi")}));

  using V = std::vector<std::string>;
  EXPECT_EQ(BuildOperator({{"op", "decode_base64"}}, input).errors,
            V{"/step: needs a string column (default 'data')"});
  EXPECT_EQ(BuildOperator({{"op", "decode_base64"}, {"column", "id"}}, input).errors,
            V{"/step/column: needs a string column (default 'data')"});
  EXPECT_EQ(BuildOperator({{"op", "decode_base64"}, {"column", "nope"}}, input).errors,
            V{"/step/column: needs a string column (default 'data')"});
  EXPECT_EQ(BuildOperator({{"op", "decode_base64"}, {"column", "payload"}, {"strict", true}}, input)
                .errors,
            V{"/step/strict: unknown option 'strict'"});
}

TEST(DecodeBase64Test, NonStringColumnOptionIsAConfigError) {
  // As for parse_json: reported, not thrown.
  BuiltOperator built;
  EXPECT_NO_THROW(built = BuildOperator({{"op", "decode_base64"}, {"column", 5}}, SourceSchema()));
  EXPECT_FALSE(built.ok());
  EXPECT_EQ(built.errors.size(), 1u) << ::testing::PrintToString(built.errors);
}

}  // namespace
}  // namespace pinstream
