// The S3 store's parts that need no server: ListObjectsV2 and error XML (expat), and where the
// endpoint, region and credentials come from. The store itself runs against s3rver
// (s3_archive_test.sh) and a signature-checking endpoint (s3_sigv4_test.py).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "archive/s3_config.h"
#include "archive/s3_xml.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::TempDir;

TEST(S3XmlTest, ParsesAListObjectsV2Page) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>raw/topics/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>raw/topics/t/partition=0/t+0+0000000001.json</Key><Size>120</Size>
    <ETag>&quot;abc&quot;</ETag><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>raw/topics/a&amp;b/x.json</Key><Size>0</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  ASSERT_OK_AND_ASSIGN(ListObjectsPage page, ParseListObjectsV2(xml));
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "raw/topics/t/partition=0/t+0+0000000001.json");
  EXPECT_EQ(page.objects[0].size, 120);
  EXPECT_EQ(page.objects[1].key, "raw/topics/a&b/x.json");
  EXPECT_TRUE(page.is_truncated);
  EXPECT_EQ(page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  ASSERT_OK_AND_ASSIGN(ListObjectsPage empty,
                       ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated>"
                                          "</ListBucketResult>"));
  EXPECT_TRUE(empty.objects.empty());
  EXPECT_FALSE(empty.is_truncated);
}

TEST(S3XmlTest, RefusesWhatIsNotAListing) {
  for (const char* xml : {"", "<ListBucketResult>", "<Error><Code>x</Code></Error>",
                          "<ListBucketResult><Contents><Size>x1</Size></Contents>"
                          "</ListBucketResult>",
                          "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
                          "<html>502 Bad Gateway</html>"}) {
    Result<ListObjectsPage> page = ParseListObjectsV2(xml);
    EXPECT_EQ(page.status().code(), Status::Code::kCorruption) << xml;
  }
}

TEST(S3XmlTest, ParsesErrors) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket "
      "does not exist</Message><BucketName>b</BucketName></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>nope</html>").code.empty());
}

// Sets environment variables for one test and puts the old values back.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) {
    for (const char* name :
         {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION",
          "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"}) {
      const char* old = getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      unsetenv(name);
    }
    for (const auto& [name, value] : vars) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(S3ConfigTest, FlagsThenEnvironment) {
  TempDir dir;
  ScopedEnv env({{"HOME", dir.path()},
                 {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"},
                 {"AWS_DEFAULT_REGION", "eu-west-1"},
                 {"AWS_ACCESS_KEY_ID", "AKID"},
                 {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                 {"AWS_SESSION_TOKEN", "TOKEN"}});
  ASSERT_OK_AND_ASSIGN(S3Config c, ResolveS3Config({}));
  EXPECT_EQ(c.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.access_key_id, "AKID");
  EXPECT_EQ(c.secret_access_key, "SECRET");
  EXPECT_EQ(c.session_token, "TOKEN");
  ASSERT_OK_AND_ASSIGN(S3Config flags, ResolveS3Config({"http://h:1", "ap-south-1", ""}));
  EXPECT_EQ(flags.endpoint_url, "http://h:1");
  EXPECT_EQ(flags.region, "ap-south-1");
}

TEST(S3ConfigTest, SharedFilesByProfileAndAwsDefaults) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub(".aws"));
  WriteFile(dir.Sub(".aws/credentials"),
            "[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFSECRET\n\n"
            "[lake]\naws_access_key_id = LAKE\naws_secret_access_key = LAKESECRET\n"
            "aws_session_token = LAKETOKEN\n");
  WriteFile(dir.Sub(".aws/config"),
            "[default]\nregion = us-west-2\n\n[profile lake]\nregion = eu-central-1\n"
            "endpoint_url = http://lake.local:4568\n");
  {
    ScopedEnv env({{"HOME", dir.path()}});
    ASSERT_OK_AND_ASSIGN(S3Config c, ResolveS3Config({}));
    EXPECT_EQ(c.region, "us-west-2");
    EXPECT_EQ(c.endpoint_url, "https://s3.us-west-2.amazonaws.com");
    EXPECT_EQ(c.access_key_id, "DEF");
    EXPECT_EQ(c.secret_access_key, "DEFSECRET");
    EXPECT_EQ(c.session_token, "");
  }
  {
    ScopedEnv env({{"HOME", dir.path()}, {"AWS_PROFILE", "lake"}});
    ASSERT_OK_AND_ASSIGN(S3Config c, ResolveS3Config({}));
    EXPECT_EQ(c.region, "eu-central-1");
    EXPECT_EQ(c.endpoint_url, "http://lake.local:4568");
    EXPECT_EQ(c.access_key_id, "LAKE");
    EXPECT_EQ(c.session_token, "LAKETOKEN");
  }
  {
    ScopedEnv env({{"HOME", dir.path()}, {"AWS_PROFILE", "nobody"}});
    EXPECT_EQ(ResolveS3Config({}).status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(S3ConfigTest, NoCredentialsAtAllMeansUnsignedRequests) {
  TempDir dir;
  ScopedEnv env({{"HOME", dir.path()}});
  ASSERT_OK_AND_ASSIGN(S3Config c, ResolveS3Config({}));
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_TRUE(c.access_key_id.empty());
}

TEST(S3ConfigTest, HalfAKeyPairIsAnError) {
  TempDir dir;
  ScopedEnv env({{"HOME", dir.path()}, {"AWS_ACCESS_KEY_ID", "AKID"}});
  EXPECT_EQ(ResolveS3Config({}).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace pinstream
