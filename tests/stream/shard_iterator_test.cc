#include "stream/shard_iterator.h"

#include <gtest/gtest.h>

#include <string>

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

// The wire format is fixed: tokens a running broker handed out (and the secret in its data
// directory) stay valid across an upgrade. The expected token is base64('B', stream id, shard,
// counter, issue time, all big-endian, then the first 16 bytes of their HMAC-SHA256), computed
// independently with Python's hmac module.
TEST(ShardIteratorFormatTest, TokenIsStable) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  const std::string golden = "QgAAAAcAAAADAAAAAAAAACoAAAGLz+VoAP7iGyjMhP1wGaxnoV6xY+I=";
  EXPECT_EQ(signer.Encode(Sample()), golden);
  ASSERT_OK_AND_ASSIGN(ShardIterator it, signer.Decode(golden, kIssuedMs));
  EXPECT_EQ(it.stream_id, 7u);
  EXPECT_EQ(it.shard_index, 3u);
  EXPECT_EQ(it.next_counter, 42u);
  EXPECT_EQ(it.issued_ms, kIssuedMs);
}

TEST(ShardIteratorFormatTest, AlteredMacIsRefused) {
  const IteratorSigner signer(std::string(IteratorSigner::kSecretBytes, 'k'));
  std::string token = signer.Encode(Sample());
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(std::string(signer.Decode(token, kIssuedMs).status().TypeName()),
            "InvalidArgumentException");
}

}  // namespace
}  // namespace pinstream
