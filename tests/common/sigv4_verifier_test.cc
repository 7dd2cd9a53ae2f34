#include "common/sigv4_verifier.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/url_encoding.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

// A request whose strings the test owns; View() lends them to the verifier.
struct OwnedRequest {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;

  SigV4Request View() const {
    SigV4Request r{method, path, query, {}, body};
    for (const auto& [n, v] : headers) r.headers.emplace_back(n, v);
    return r;
  }
  std::string* Header(std::string_view name) {
    for (auto& [n, v] : headers) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

constexpr int64_t kExampleMs = 1440938160000;  // 20150830T123600Z
constexpr char kExampleSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// AWS's documented SigV4 example (IAM ListUsers, "Create a signed AWS API request").
OwnedRequest IamExample() {
  return OwnedRequest{
      "GET",
      "/",
      "Action=ListUsers&Version=2010-05-08",
      "",
      {{"Host", "iam.amazonaws.com"},
       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
       {"X-Amz-Date", "20150830T123600Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}}};
}

SigV4Verifier ExampleVerifier(std::string secret = kExampleSecret) {
  return SigV4Verifier({{"default", "AKIDEXAMPLE", std::move(secret)}});
}

TEST(SigV4VerifierTest, AcceptsAwsDocumentedExample) {
  EXPECT_OK(ExampleVerifier().Verify(IamExample().View(), kExampleMs));
  EXPECT_OK(ExampleVerifier().Verify(IamExample().View(), kExampleMs + 299'000));
}

TEST(SigV4VerifierTest, WrongSecretIsInvalidSignature) {
  Status s = ExampleVerifier("not-the-secret").Verify(IamExample().View(), kExampleMs);
  EXPECT_EQ(s.code(), Status::Code::kInvalidSignature);
  EXPECT_EQ(s.message(),
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.");
  EXPECT_EQ(s.TypeName(), "InvalidSignatureException");
  EXPECT_EQ(SigV4Verifier::HttpStatus(s), 400);
}

TEST(SigV4VerifierTest, AnyAlteredPartIsInvalidSignature) {
  auto altered = [](auto change) {
    OwnedRequest r = IamExample();
    change(r);
    return ExampleVerifier().Verify(r.View(), kExampleMs).code();
  };
  EXPECT_EQ(altered([](OwnedRequest& r) { r.method = "POST"; }), Status::Code::kInvalidSignature);
  EXPECT_EQ(altered([](OwnedRequest& r) { r.path = "/x"; }), Status::Code::kInvalidSignature);
  EXPECT_EQ(altered([](OwnedRequest& r) { r.query = "Action=DeleteUser&Version=2010-05-08"; }),
            Status::Code::kInvalidSignature);
  EXPECT_EQ(altered([](OwnedRequest& r) { r.body = "x"; }), Status::Code::kInvalidSignature);
  EXPECT_EQ(altered([](OwnedRequest& r) { *r.Header("Host") = "evil.example"; }),
            Status::Code::kInvalidSignature);
  // The query's order and header names' case do not matter; values' outer spaces neither.
  EXPECT_EQ(altered([](OwnedRequest& r) { r.query = "Version=2010-05-08&Action=ListUsers"; }),
            Status::Code::kOk);
  EXPECT_EQ(altered([](OwnedRequest& r) {
              r.headers[0].first = "HOST";
              r.headers[0].second = "  iam.amazonaws.com ";
            }),
            Status::Code::kOk);
}

TEST(SigV4VerifierTest, StaleOrFutureDateIsInvalidSignatureWithAwsMessage) {
  Status stale = ExampleVerifier().Verify(IamExample().View(), kExampleMs + 301'000);
  EXPECT_EQ(stale.code(), Status::Code::kInvalidSignature);
  EXPECT_EQ(stale.message(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T124101Z - 5 min.)");
  Status early = ExampleVerifier().Verify(IamExample().View(), kExampleMs - 301'000);
  EXPECT_EQ(early.code(), Status::Code::kInvalidSignature);
  EXPECT_EQ(early.message(),
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
            "(20150830T123059Z + 5 min.)");
}

TEST(SigV4VerifierTest, MissingAuthorizationIsMissingAuthenticationToken) {
  OwnedRequest r = IamExample();
  r.headers.pop_back();
  Status s = ExampleVerifier().Verify(r.View(), kExampleMs);
  EXPECT_EQ(s.code(), Status::Code::kMissingAuthenticationToken);
  EXPECT_EQ(s.ToString(), "MissingAuthenticationTokenException: Missing Authentication Token");
  EXPECT_EQ(SigV4Verifier::HttpStatus(s), 403);
}

TEST(SigV4VerifierTest, UnknownAccessKeyIsUnrecognizedClient) {
  Status s =
      SigV4Verifier({{"p", "AKIDOTHER", kExampleSecret}}).Verify(IamExample().View(), kExampleMs);
  EXPECT_EQ(s.ToString(),
            "UnrecognizedClientException: The security token included in the request is invalid.");
  EXPECT_EQ(SigV4Verifier::HttpStatus(s), 400);
}

TEST(SigV4VerifierTest, MalformedAuthorizationIsIncompleteSignature) {
  auto verify = [](std::string authorization, std::string date = "20150830T123600Z") {
    OwnedRequest r = IamExample();
    *r.Header("Authorization") = std::move(authorization);
    *r.Header("X-Amz-Date") = std::move(date);
    return ExampleVerifier().Verify(r.View(), kExampleMs);
  };
  const std::string good = IamExample().Header("Authorization")->substr(17);
  EXPECT_EQ(
      verify("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request").code(),
      Status::Code::kIncompleteSignature);
  Status no_eq = verify("AWS4-HMAC-SHA256 Credential AKIDEXAMPLE, SignedHeaders=host, Signature=0");
  EXPECT_EQ(no_eq.code(), Status::Code::kIncompleteSignature);
  EXPECT_NE(no_eq.message().find("not a valid key=value pair (missing equal-sign)"),
            std::string::npos);
  EXPECT_EQ(verify("AWS4-HMAC-SHA1 " + good).code(), Status::Code::kIncompleteSignature);
  EXPECT_EQ(verify("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request, "
                   "SignedHeaders=host, Signature=00")
                .code(),
            Status::Code::kIncompleteSignature);
  EXPECT_EQ(verify("AWS4-HMAC-SHA256 " + good, "2015-08-30T12:36:00Z").code(),
            Status::Code::kIncompleteSignature);
  // The host must be signed.
  EXPECT_EQ(verify("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                   "SignedHeaders=x-amz-date, Signature=00")
                .code(),
            Status::Code::kIncompleteSignature);
  // A scope dated otherwise than X-Amz-Date.
  EXPECT_EQ(verify("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/iam/aws4_request, "
                   "SignedHeaders=host, Signature=00")
                .code(),
            Status::Code::kInvalidSignature);
}

TEST(SigV4VerifierTest, CanonicalPartsFollowAws) {
  EXPECT_EQ(sigv4::CanonicalUri(""), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/"), "/");
  EXPECT_EQ(sigv4::CanonicalUri("//example//"), "/example/");
  EXPECT_EQ(sigv4::CanonicalUri("/./a/../b"), "/b");
  EXPECT_EQ(sigv4::CanonicalUri("/%E1%88%B4"), "/%25E1%2588%25B4");
  EXPECT_EQ(sigv4::CanonicalQuery("b=2&a=x%2fy&a=1&c"), "a=1&a=x%2Fy&b=2&c=");
  EXPECT_EQ(UriEncode("a b/~", true), "a%20b/~");
  EXPECT_EQ(sigv4::HexSha256(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Requests signed by botocore (the AWS CLI's and boto3's signer) now, with the right secret,
// a wrong one, and verified too late and too early.
Result<std::vector<OwnedRequest>> SignWithBotocore(const std::string& key_id,
                                                   const std::string& secret) {
  const std::string cmd = std::string("/usr/bin/python3 ") + PINSTREAM_SOURCE_DIR +
                          "/tests/common/sigv4_botocore.py " + key_id + " '" + secret + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return Status::IOError("cannot run " + cmd);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  if (pclose(pipe) != 0) return Status::IOError(cmd + " failed: " + out);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_array()) return Status::Corruption("not a JSON array: " + out);
  std::vector<OwnedRequest> requests;
  for (const auto& e : j) {
    OwnedRequest r{e["method"], e["path"], e["query"], e["body"], {}};
    for (const auto& h : e["headers"]) r.headers.emplace_back(h[0], h[1]);
    requests.push_back(std::move(r));
  }
  return requests;
}

int64_t SignedAtMs(OwnedRequest& r) {
  const std::string& d = *r.Header("X-Amz-Date");
  std::tm tm{};
  strptime(d.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

TEST(SigV4VerifierTest, BotocoreSignedRequests) {
  const std::string secret = "s3cr3t/with+odd=chars";
  ASSERT_OK_AND_ASSIGN(auto requests, SignWithBotocore("AKIDPINSTREAM", secret));
  ASSERT_EQ(requests.size(), 2u);
  SigV4Verifier right({{"a", "AKIDOTHER", "x"}, {"b", "AKIDPINSTREAM", secret}});
  SigV4Verifier wrong({{"b", "AKIDPINSTREAM", secret + "x"}});
  for (auto& r : requests) {
    SCOPED_TRACE(r.method + " " + r.path);
    const int64_t at = SignedAtMs(r);
    EXPECT_OK(right.Verify(r.View(), at + 1000));
    EXPECT_EQ(wrong.Verify(r.View(), at).code(), Status::Code::kInvalidSignature);
    Status stale = right.Verify(r.View(), at + SigV4Verifier::kMaxSkewMs + 1000);
    EXPECT_EQ(stale.code(), Status::Code::kInvalidSignature);
    EXPECT_TRUE(stale.message().starts_with("Signature expired: ")) << stale.message();
    Status early = right.Verify(r.View(), at - SigV4Verifier::kMaxSkewMs - 1000);
    EXPECT_TRUE(early.message().starts_with("Signature not yet current: ")) << early.message();
  }
}

}  // namespace
}  // namespace pinstream
