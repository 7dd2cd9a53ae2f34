#include "stream/shard_iterator.h"

#include <openssl/rand.h>

#include "common/base64.h"
#include "common/coding.h"
#include "common/hmac.h"
#include "stream/aws_errors.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

// 'A' tokens carried no MAC; they are refused as any other unknown token.
constexpr char kIteratorVersion = 'B';
constexpr size_t kFieldsSize = 1 + 4 + 4 + 8 + 8;
constexpr size_t kMacSize = 16;
constexpr size_t kTokenSize = kFieldsSize + kMacSize;

Status Invalid() { return InvalidShardIterator(); }

std::string EncodeFields(const ShardIterator& it) {
  std::string raw;
  raw.reserve(kTokenSize);
  raw.push_back(kIteratorVersion);
  PutFixed32BE(&raw, it.stream_id);
  PutFixed32BE(&raw, it.shard_index);
  PutFixed64BE(&raw, it.next_counter);
  PutFixed64BE(&raw, static_cast<uint64_t>(it.issued_ms));
  return raw;
}

// The fields of a token of the right size and version; the MAC is not looked at.
Result<ShardIterator> DecodeFields(std::string_view raw) {
  if (raw.size() != kTokenSize || raw[0] != kIteratorVersion) return Invalid();
  const char* p = raw.data() + 1;
  ShardIterator it;
  it.stream_id = DecodeFixed32BE(p);
  it.shard_index = DecodeFixed32BE(p + 4);
  it.next_counter = DecodeFixed64BE(p + 8);
  it.issued_ms = static_cast<int64_t>(DecodeFixed64BE(p + 16));
  return it;
}

// HMAC-SHA256 truncated to its first kMacSize bytes; empty if OpenSSL failed, so that a token
// made then carries no MAC and is refused.
std::string Mac(std::string_view secret, std::string_view fields) {
  return HmacSha256(secret, fields).substr(0, kMacSize);
}

}  // namespace

Result<ShardIterator> ShardIterator::Peek(std::string_view token) {
  auto raw = Base64Decode(token);
  if (!raw.ok()) return Invalid();
  return DecodeFields(*raw);
}

Result<std::string> IteratorSigner::NewSecret() {
  std::string secret(kSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), kSecretBytes) != 1) {
    return Status::Internal("no random bytes for the shard iterator secret");
  }
  return secret;
}

std::string IteratorSigner::Encode(const ShardIterator& it) const {
  std::string raw = EncodeFields(it);
  raw += Mac(secret_, raw);
  return Base64Encode(raw);
}

Result<ShardIterator> IteratorSigner::Decode(std::string_view token, int64_t now_ms) const {
  auto raw = Base64Decode(token);
  if (!raw.ok()) return Invalid();
  ASSIGN_OR_RETURN(ShardIterator it, DecodeFields(*raw));
  const std::string_view token_bytes = *raw;
  if (!ConstantTimeEquals(Mac(secret_, token_bytes.substr(0, kFieldsSize)),
                          token_bytes.substr(kFieldsSize))) {
    return Invalid();
  }
  if (it.issued_ms > now_ms + kMaxFutureMs) return Invalid();
  if (now_ms - it.issued_ms > kIteratorLifetimeMs) {
    return ExpiredShardIterator(it.issued_ms, now_ms, kIteratorLifetimeMs);
  }
  return it;
}

}  // namespace pinstream
