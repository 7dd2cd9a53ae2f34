#include "common/status.h"

#include <gtest/gtest.h>

#include <string>

#include "common/result.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

TEST(StatusTest, OkHasNoMessageAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.TypeName(), "OK");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(Status::OK(), s);
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  struct Case {
    Status status;
    Status::Code code;
    std::string_view type_name;
  };
  const Case cases[] = {
      {Status::ResourceNotFound("m"), Status::Code::kResourceNotFound, "ResourceNotFoundException"},
      {Status::ResourceInUse("m"), Status::Code::kResourceInUse, "ResourceInUseException"},
      {Status::InvalidArgument("m"), Status::Code::kInvalidArgument, "InvalidArgumentException"},
      {Status::ExpiredIterator("m"), Status::Code::kExpiredIterator, "ExpiredIteratorException"},
      {Status::LimitExceeded("m"), Status::Code::kLimitExceeded, "LimitExceededException"},
      {Status::ProvisionedThroughputExceeded("m"), Status::Code::kProvisionedThroughputExceeded,
       "ProvisionedThroughputExceededException"},
      {Status::IOError("m"), Status::Code::kIOError, "IOError"},
      {Status::Corruption("m"), Status::Code::kCorruption, "Corruption"},
      {Status::Unavailable("m"), Status::Code::kUnavailable, "ServiceUnavailable"},
      {Status::Internal("m"), Status::Code::kInternal, "InternalFailure"},
      {Status::AccessDenied("m"), Status::Code::kAccessDenied, "AccessDeniedException"},
      {Status::MissingAuthenticationToken("m"), Status::Code::kMissingAuthenticationToken,
       "MissingAuthenticationTokenException"},
      {Status::UnrecognizedClient("m"), Status::Code::kUnrecognizedClient,
       "UnrecognizedClientException"},
      {Status::InvalidSignature("m"), Status::Code::kInvalidSignature, "InvalidSignatureException"},
      {Status::IncompleteSignature("m"), Status::Code::kIncompleteSignature,
       "IncompleteSignatureException"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.type_name));
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    EXPECT_EQ(c.status.TypeName(), c.type_name);
    EXPECT_EQ(Status::TypeName(c.code), c.type_name);
    EXPECT_EQ(c.status.ToString(), std::string(c.type_name) + ": m");
  }
}

TEST(StatusTest, ToStringIsTypeNameColonMessage) {
  EXPECT_EQ(Status::ResourceNotFound("stream 'x' not found").ToString(),
            "ResourceNotFoundException: stream 'x' not found");
  EXPECT_EQ(Status::InvalidArgument("").ToString(), "InvalidArgumentException: ");
}

TEST(StatusTest, CodeFromTypeNameRoundTripsEveryCode) {
  for (int i = 0; i <= Status::kMaxCode; ++i) {
    auto code = static_cast<Status::Code>(i);
    SCOPED_TRACE(i);
    EXPECT_EQ(Status::CodeFromTypeName(Status::TypeName(code)), code);
  }
}

TEST(StatusTest, CodeFromUnknownTypeNameIsInternal) {
  EXPECT_EQ(Status::CodeFromTypeName("NoSuchException"), Status::Code::kInternal);
  EXPECT_EQ(Status::CodeFromTypeName(""), Status::Code::kInternal);
  // Names are case-sensitive, as Kinesis's are.
  EXPECT_EQ(Status::CodeFromTypeName("resourcenotfoundexception"), Status::Code::kInternal);
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = Status::ResourceNotFound("not found").WithContext("reading shard 3");
  EXPECT_EQ(s.code(), Status::Code::kResourceNotFound);
  EXPECT_EQ(s.message(), "reading shard 3: not found");
  EXPECT_EQ(Status::OK().WithContext("ctx"), Status::OK());
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(Status::InvalidArgument("a"), Status::InvalidArgument("a"));
  EXPECT_NE(Status::InvalidArgument("a"), Status::InvalidArgument("b"));
  EXPECT_NE(Status::InvalidArgument("a"), Status::ResourceInUse("a"));
}

Status FailIfNegative(int v) {
  if (v < 0) return Status::InvalidArgument("negative");
  return Status::OK();
}

Status TwoChecks(int a, int b, int* reached) {
  RETURN_IF_ERROR(FailIfNegative(a));
  ++*reached;
  RETURN_IF_ERROR(FailIfNegative(b));
  ++*reached;
  return Status::OK();
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstError) {
  int reached = 0;
  EXPECT_OK(TwoChecks(1, 2, &reached));
  EXPECT_EQ(reached, 2);
  reached = 0;
  EXPECT_EQ(TwoChecks(-1, 2, &reached), Status::InvalidArgument("negative"));
  EXPECT_EQ(reached, 0);
  reached = 0;
  EXPECT_EQ(TwoChecks(1, -2, &reached), Status::InvalidArgument("negative"));
  EXPECT_EQ(reached, 1);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v, bool* second_step_ran) {
  ASSIGN_OR_RETURN(int half, Half(v));
  *second_step_ran = true;
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<std::string> ok = std::string("value");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "value");
  EXPECT_EQ(ok->size(), 5u);
  EXPECT_TRUE(ok.status().ok());

  Result<std::string> err = Status::ResourceNotFound("gone");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.status(), Status::ResourceNotFound("gone"));
}

TEST(ResultTest, MoveOutValue) {
  Result<std::string> r = std::string(100, 'x');
  std::string v = std::move(r).value();
  EXPECT_EQ(v, std::string(100, 'x'));
}

TEST(ResultTest, AssignOrReturnPropagates) {
  bool second = false;
  ASSERT_OK_AND_ASSIGN(int q, Quarter(12, &second));
  EXPECT_EQ(q, 3);
  EXPECT_TRUE(second);

  second = false;
  Result<int> r = Quarter(3, &second);
  EXPECT_EQ(r.status(), Status::InvalidArgument("odd: 3"));
  EXPECT_FALSE(second);

  second = false;
  r = Quarter(6, &second);  // 6 / 2 = 3, then odd.
  EXPECT_EQ(r.status(), Status::InvalidArgument("odd: 3"));
  EXPECT_TRUE(second);
}

}  // namespace
}  // namespace pinstream
