#include "stream/shard_iterator.h"

#include <openssl/rand.h>

#include "common/base64.h"
#include "common/coding.h"
#include "common/hmac.h"
#include "stream/aws_errors.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

// 'A' tokens carried no MAC and are refused. 'B' tokens (their fields in the clear, a 16-byte
// MAC) are still read, so that iterators handed out before an upgrade live out their minutes.
constexpr char kIteratorVersion = 'C';
constexpr char kClearVersion = 'B';
constexpr size_t kClearMacSize = 16;
constexpr size_t kNonceSize = 16;
constexpr size_t kFieldsSize = 4 + 4 + 8 + 8;
constexpr size_t kMacSize = 32;
constexpr size_t kTokenSize = 1 + kNonceSize + kFieldsSize + kMacSize;
// Domain separation: the one secret keys both the keystream and the MAC.
constexpr std::string_view kKeystreamLabel = "pinstream shard iterator keystream";
constexpr std::string_view kMacLabel = "pinstream shard iterator mac";

Status Invalid() { return InvalidShardIterator(); }

// The fields XORed with HMAC-SHA256(secret, label | nonce): a keystream no two tokens share
// (the nonce is random), so the fields are opaque; sealing twice opens.
std::string Seal(std::string_view secret, std::string_view nonce, std::string_view fields) {
  std::string keystream = HmacSha256(secret, std::string(kKeystreamLabel) + std::string(nonce));
  std::string out(fields);
  for (size_t i = 0; i < out.size() && i < keystream.size(); ++i) out[i] ^= keystream[i];
  return out;
}

// HMAC-SHA256 of the token's bytes before the MAC; empty if OpenSSL failed, so that a token
// made then carries no MAC and is refused.
std::string Mac(std::string_view secret, std::string_view signed_bytes) {
  return HmacSha256(secret, std::string(kMacLabel) + std::string(signed_bytes));
}

ShardIterator DecodeFields(const char* p) {
  ShardIterator it;
  it.stream_id = DecodeFixed32BE(p);
  it.shard_index = DecodeFixed32BE(p + 4);
  it.next_counter = DecodeFixed64BE(p + 8);
  it.issued_ms = static_cast<int64_t>(DecodeFixed64BE(p + 16));
  return it;
}

// The fields of a 'B' token, whose MAC is HMAC-SHA256 of the version and fields, truncated.
Result<ShardIterator> DecodeClear(std::string_view secret, std::string_view raw) {
  if (raw.size() != 1 + kFieldsSize + kClearMacSize) return Invalid();
  const std::string mac = HmacSha256(secret, raw.substr(0, 1 + kFieldsSize));
  if (mac.size() < kClearMacSize ||
      !ConstantTimeEquals(std::string_view(mac).substr(0, kClearMacSize),
                          raw.substr(1 + kFieldsSize))) {
    return Invalid();
  }
  return DecodeFields(raw.data() + 1);
}

}  // namespace

Result<std::string> IteratorSigner::NewSecret() {
  std::string secret(kSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), kSecretBytes) != 1) {
    return Status::Internal("no random bytes for the shard iterator secret");
  }
  return secret;
}

std::string IteratorSigner::Encode(const ShardIterator& it) const {
  std::string fields;
  fields.reserve(kFieldsSize);
  PutFixed32BE(&fields, it.stream_id);
  PutFixed32BE(&fields, it.shard_index);
  PutFixed64BE(&fields, it.next_counter);
  PutFixed64BE(&fields, static_cast<uint64_t>(it.issued_ms));
  std::string raw(1 + kNonceSize, kIteratorVersion);
  // Without random bytes the nonce stays predictable; the token is still authentic.
  (void)RAND_bytes(reinterpret_cast<unsigned char*>(raw.data() + 1), kNonceSize);
  raw += Seal(secret_, std::string_view(raw).substr(1, kNonceSize), fields);
  raw += Mac(secret_, raw);
  return Base64Encode(raw);
}

Result<ShardIterator> IteratorSigner::Decode(std::string_view token, int64_t now_ms) const {
  auto decoded = Base64Decode(token);
  if (!decoded.ok()) return Invalid();
  const std::string_view raw = *decoded;
  ShardIterator it;
  if (!raw.empty() && raw[0] == kClearVersion) {
    ASSIGN_OR_RETURN(it, DecodeClear(secret_, raw));
  } else {
    if (raw.size() != kTokenSize || raw[0] != kIteratorVersion) return Invalid();
    const size_t mac_at = kTokenSize - kMacSize;
    if (!ConstantTimeEquals(Mac(secret_, raw.substr(0, mac_at)), raw.substr(mac_at))) {
      return Invalid();
    }
    it = DecodeFields(
        Seal(secret_, raw.substr(1, kNonceSize), raw.substr(1 + kNonceSize, kFieldsSize)).data());
  }
  if (it.issued_ms > now_ms + kMaxFutureMs) return Invalid();
  if (now_ms - it.issued_ms > lifetime_ms_) {
    return ExpiredShardIterator(it.issued_ms, now_ms, lifetime_ms_);
  }
  return it;
}

}  // namespace pinstream
