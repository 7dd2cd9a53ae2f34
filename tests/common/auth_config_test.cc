// The auth configuration's parsers: the API key's one source, AWS shared-credentials files, and
// which addresses count as loopback.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/api_key.h"
#include "common/aws_credentials.h"
#include "common/net_address.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

TEST(ApiKeyTest, FileWinsOverEnvironmentAndLosesTrailingWhitespace) {
  TempDir dir;
  WriteFile(dir.Sub("key"), "s3cret key \n\n");
  setenv(kApiKeyEnv, "from-env", 1);
  ASSERT_OK_AND_ASSIGN(std::string key, LoadApiKey(dir.Sub("key")));
  EXPECT_EQ(key, "s3cret key");
  ASSERT_OK_AND_ASSIGN(key, LoadApiKey(""));
  EXPECT_EQ(key, "from-env");
  unsetenv(kApiKeyEnv);
  ASSERT_OK_AND_ASSIGN(key, LoadApiKey(""));
  EXPECT_EQ(key, "");
}

TEST(ApiKeyTest, EmptyOrMissingFileIsAnError) {
  TempDir dir;
  WriteFile(dir.Sub("empty"), " \n");
  EXPECT_EQ(LoadApiKey(dir.Sub("empty")).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(LoadApiKey(dir.Sub("missing")).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(LoadApiKey(dir.path()).status().code(), Status::Code::kInvalidArgument);
  // Readable by others: still loaded (with a warning).
  WriteFile(dir.Sub("open"), "k", 0644);
  ASSERT_OK_AND_ASSIGN(std::string key, LoadApiKey(dir.Sub("open")));
  EXPECT_EQ(key, "k");
}

TEST(AwsCredentialsTest, ParsesProfiles) {
  ASSERT_OK_AND_ASSIGN(auto creds, ParseAwsCredentials(R"(# comment
[default]
aws_access_key_id = AKIDONE
aws_secret_access_key=secret/one
region = us-east-1

[profile ci]
; another comment
aws_access_key_id=AKIDTWO
aws_secret_access_key = secret two
s3 =
  max_concurrent_requests = 20
[empty]
)"));
  ASSERT_EQ(creds.size(), 2u);
  EXPECT_EQ(creds[0].profile, "default");
  EXPECT_EQ(creds[0].access_key_id, "AKIDONE");
  EXPECT_EQ(creds[0].secret_access_key, "secret/one");
  EXPECT_EQ(creds[1].profile, "ci");
  EXPECT_EQ(creds[1].secret_access_key, "secret two");
}

TEST(AwsCredentialsTest, RefusesHalfPairsAndEmptyFiles) {
  EXPECT_FALSE(ParseAwsCredentials("[a]\naws_access_key_id=X\n").ok());
  EXPECT_FALSE(ParseAwsCredentials("").ok());
  EXPECT_FALSE(ParseAwsCredentials("aws_access_key_id=X\n").ok());
  EXPECT_FALSE(ParseAwsCredentials("[a\n").ok());
  EXPECT_FALSE(ParseAwsCredentials("[a]\naws_access_key_id=X\naws_secret_access_key=1\n"
                                   "[b]\naws_access_key_id=X\naws_secret_access_key=2\n")
                   .ok());
  TempDir dir;
  WriteFile(dir.Sub("c"), "[d]\naws_access_key_id=X\naws_secret_access_key=Y\n");
  ASSERT_OK_AND_ASSIGN(auto creds, LoadAwsCredentialsFile(dir.Sub("c")));
  EXPECT_EQ(creds.size(), 1u);
}

TEST(NetAddressTest, LoopbackOrNot) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost(""));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
  EXPECT_TRUE(IsLocalZmqEndpoint("tcp://127.0.0.1:7400"));
  EXPECT_TRUE(IsLocalZmqEndpoint("tcp://[::1]:7400"));
  EXPECT_TRUE(IsLocalZmqEndpoint("ipc:///tmp/x"));
  EXPECT_FALSE(IsLocalZmqEndpoint("tcp://*:7400"));
  EXPECT_FALSE(IsLocalZmqEndpoint("tcp://0.0.0.0:7400"));
  EXPECT_FALSE(IsLocalZmqEndpoint("tcp://eth0:7400"));
}

}  // namespace
}  // namespace pinstream
