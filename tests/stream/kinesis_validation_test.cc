// AWS's request validation, in AWS's words: the expected texts are AWS's answers as recorded by
// the conformance suite of another Kinesis emulator (kinesalite's tests, written against AWS).
#include "stream/kinesis_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace pinstream {
namespace {

using json = nlohmann::json;

std::string Check(std::string_view action, const json& request) {
  return ValidateKinesisRequest(action, request).ToString();
}

TEST(KinesisValidationTest, AValidRequestPasses) {
  EXPECT_EQ(Check("CreateStream", {{"StreamName", "orders"}, {"ShardCount", 2}}), "OK");
  EXPECT_EQ(Check("PutRecords",
                  {{"StreamName", "s"}, {"Records", {{{"PartitionKey", "k"}, {"Data", "aGk="}}}}}),
            "OK");
  // Members the model does not know are ignored, and null is absent.
  EXPECT_EQ(Check("ListStreams", {{"Whatever", true}, {"Limit", nullptr}}), "OK");
  // Actions the model does not have are the caller's to answer.
  EXPECT_EQ(Check("NoSuchAction", {{"StreamName", 5}}), "OK");
}

TEST(KinesisValidationTest, WrongTypesAreSerializationExceptions) {
  EXPECT_EQ(Check("CreateStream", {{"StreamName", true}}),
            "SerializationException: class java.lang.Boolean can not be converted to an String");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", 23}}),
            "SerializationException: class java.math.BigDecimal can not be converted to an String");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", json::array()}}),
            "SerializationException: Start of list found where not expected");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", json::object()}}),
            "SerializationException: Start of structure or map found where not expected.");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", "s"}, {"ShardCount", "2"}}),
            "SerializationException: class java.lang.String can not be converted to an Integer");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", "s"}, {"ShardCount", false}}),
            "SerializationException: class java.lang.Boolean can not be converted to an Integer");
  EXPECT_EQ(Check("PutRecords", {{"StreamName", "s"}, {"Records", "x"}}),
            "SerializationException: Expected list or null");
  EXPECT_EQ(Check("PutRecords", {{"StreamName", "s"}, {"Records", {1}}}),
            "SerializationException: Expected null");
  EXPECT_EQ(Check("AddTagsToStream", {{"StreamName", "s"}, {"Tags", "x"}}),
            "SerializationException: Expected map or null");
}

TEST(KinesisValidationTest, DataMustBeCanonicalBase64) {
  auto put = [](const json& data) {
    return Check("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", data}});
  };
  EXPECT_EQ(put(true),
            "SerializationException: class java.lang.Boolean can not be converted to a Blob");
  EXPECT_EQ(put("abc"),
            "SerializationException: 'abc' can not be converted to a Blob: Base64 encoded length "
            "is expected a multiple of 4 bytes but found: 3");
  EXPECT_EQ(put("ab_c"),
            "SerializationException: 'ab_c' can not be converted to a Blob: Invalid Base64 "
            "character: '_'");
  EXPECT_EQ(put("a=bc"),
            "SerializationException: 'a=bc' can not be converted to a Blob: Invalid Base64 "
            "character: '='");
  EXPECT_EQ(put("YR=="),
            "SerializationException: 'YR==' can not be converted to a Blob: Invalid last non-pad "
            "Base64 character dectected");
  EXPECT_EQ(put("YQ=="), "OK");
}

TEST(KinesisValidationTest, EveryBrokenConstraintIsListedInAlphabeticalOrder) {
  EXPECT_EQ(Check("CreateStream", {{"StreamName", ""}, {"ShardCount", 0}}),
            "ValidationException: 3 validation errors detected: "
            "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  EXPECT_EQ(Check("CreateStream", json::object()),
            "ValidationException: 1 validation error detected: Value null at 'streamName' failed "
            "to satisfy constraint: Member must not be null");
  const std::string long_name(129, 'a');
  EXPECT_EQ(Check("DeleteStream", {{"StreamName", long_name}}),
            "ValidationException: 1 validation error detected: Value '" + long_name +
                "' at 'streamName' failed to satisfy constraint: Member must have length less "
                "than or equal to 128");
}

TEST(KinesisValidationTest, EnumsAndNestedMembers) {
  EXPECT_EQ(Check("GetShardIterator",
                  {{"StreamName", "s"}, {"ShardId", "shardId-0"}, {"ShardIteratorType", "NOPE"}}),
            "ValidationException: 1 validation error detected: Value 'NOPE' at "
            "'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value "
            "set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, "
            "AT_TIMESTAMP]");
  EXPECT_EQ(
      Check("PutRecords", {{"StreamName", "s"},
                           {"Records",
                            {{{"PartitionKey", ""}, {"Data", "YQ=="}, {"ExplicitHashKey", "01"}},
                             {{"Data", "YQ=="}}}}}),
      "ValidationException: 3 validation errors detected: "
      "Value '01' at 'records.1.member.explicitHashKey' failed to satisfy constraint: "
      "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38}); "
      "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member "
      "must have length greater than or equal to 1; "
      "Value null at 'records.2.member.partitionKey' failed to satisfy constraint: Member "
      "must not be null");
  EXPECT_EQ(Check("PutRecords", {{"StreamName", "s"}, {"Records", json::array()}}),
            "ValidationException: 1 validation error detected: Value '[]' at 'records' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1");
  EXPECT_EQ(Check("CreateStream", {{"StreamName", "s"}, {"StreamModeDetails", json::object()}}),
            "ValidationException: 1 validation error detected: Value null at "
            "'streamModeDetails.streamMode' failed to satisfy constraint: Member must not be "
            "null");
}

TEST(KinesisValidationTest, BlobLengthIsItsDecodedBytes) {
  // 10,485,762 bytes, two past the model's limit (AWS's largest record, for streams whose
  // MaxRecordSizeInKiB allows it; the usual 1 MiB limit is the stream's, checked by the action).
  const std::string data(13981016, 'A');
  EXPECT_EQ(Check("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", data}}),
            "ValidationException: 1 validation error detected: Value "
            "'java.nio.HeapByteBuffer[pos=0 lim=10485762 cap=10485762]' at 'data' failed to "
            "satisfy constraint: Member must have length less than or equal to 10485760");
}

TEST(KinesisValidationTest, MapKeysAndValues) {
  EXPECT_EQ(Check("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"", "v"}}}}),
            "ValidationException: 1 validation error detected: Value '{=v}' at 'tags' failed to "
            "satisfy constraint: Map keys must satisfy constraint: [Member must have length less "
            "than or equal to 128, Member must have length greater than or equal to 1]");
}

TEST(KinesisValidationTest, AtMostTenErrors) {
  json records = json::array();
  for (int i = 0; i < 20; ++i) records.push_back({{"Data", "YQ=="}});
  const Status s =
      ValidateKinesisRequest("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(s.code(), Status::Code::kValidation);
  EXPECT_EQ(s.message().rfind("10 validation errors detected: ", 0), 0u) << s.message();
}

TEST(KinesisValidationTest, HugeTextIsRefusedWithoutMatchingItsPattern) {
  // libstdc++'s std::regex recurses per character: megabytes of text must never reach it.
  const std::string huge(4 << 20, 'a');
  const Status s = ValidateKinesisRequest("DescribeStream", {{"StreamARN", huge}});
  EXPECT_EQ(s.code(), Status::Code::kValidation);
}

}  // namespace
}  // namespace pinstream
