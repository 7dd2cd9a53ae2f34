#include "stream/shard_iterator.h"

#include <gtest/gtest.h>

#include <string>

#include "common/base64.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

constexpr int64_t kIssuedMs = 1'700'000'000'000;

ShardIterator Sample() {
  ShardIterator it;
  it.stream_id = 7;
  it.shard_index = 3;
  it.next_counter = 42;
  it.issued_ms = kIssuedMs;
  return it;
}

// Tokens of the previous format ('B': the fields in the clear, then the first 16 bytes of their
// HMAC-SHA256) that a running broker handed out stay valid across an upgrade for their five
// minutes. The token was computed independently with Python's hmac module.
TEST(ShardIteratorFormatTest, PreviousFormatStillDecodes) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  const std::string golden = "QgAAAAcAAAADAAAAAAAAACoAAAGLz+VoAP7iGyjMhP1wGaxnoV6xY+I=";
  ASSERT_OK_AND_ASSIGN(ShardIterator it, signer.Decode(golden, kIssuedMs));
  EXPECT_EQ(it.stream_id, 7u);
  EXPECT_EQ(it.shard_index, 3u);
  EXPECT_EQ(it.next_counter, 42u);
  EXPECT_EQ(it.issued_ms, kIssuedMs);
}

// Tokens are opaque, as AWS's are: the same fields give a different token each time, and none
// of a token's bytes repeat the fields' encoding.
TEST(ShardIteratorFormatTest, TokensAreOpaqueAndDecodeToTheirFields) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  const std::string a = signer.Encode(Sample());
  const std::string b = signer.Encode(Sample());
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 100u);
  for (const std::string& token : {a, b}) {
    ASSERT_OK_AND_ASSIGN(ShardIterator it, signer.Decode(token, kIssuedMs));
    EXPECT_EQ(it.stream_id, 7u);
    EXPECT_EQ(it.shard_index, 3u);
    EXPECT_EQ(it.next_counter, 42u);
    EXPECT_EQ(it.issued_ms, kIssuedMs);
    ASSERT_OK_AND_ASSIGN(std::string raw, Base64Decode(token));
    // The counter and the issue time, big-endian, as the previous format showed them.
    const std::string counter("\0\0\0\0\0\0\0\x2a", 8);
    EXPECT_EQ(raw.find(counter), std::string::npos);
  }
}

TEST(ShardIteratorFormatTest, AlteredTokenIsRefused) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  const std::string token = signer.Encode(Sample());
  for (size_t i : {size_t{0}, size_t{5}, size_t{30}, token.size() - 4}) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(std::string(signer.Decode(altered, kIssuedMs).status().TypeName()),
              "InvalidArgumentException")
        << i;
  }
}

}  // namespace
}  // namespace pinstream
