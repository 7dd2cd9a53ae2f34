#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "stream/stream_types.h"

namespace pinstream {

// The state behind an opaque shard iterator: which shard, the next record to read, and when
// the iterator was issued (iterators expire after kIteratorLifetimeMs, as Kinesis's do).
struct ShardIterator {
  uint32_t stream_id = 0;
  uint32_t shard_index = 0;
  uint64_t next_counter = 1;
  int64_t issued_ms = 0;
};

// Makes and checks iterator tokens. A token is base64 of a version byte, a random nonce, the
// iterator's fields XORed with a keystream that the nonce and a secret only the store knows
// derive (HMAC-SHA256), and an HMAC-SHA256 of all that under the secret. So a client can neither
// read a token (it is opaque, as AWS's are), nor forge or alter one: its position, shard and
// issue time are the store's own. Immutable after construction, so safe to share between
// threads.
class IteratorSigner {
 public:
  static constexpr size_t kSecretBytes = 32;
  // How far in the future a token's issue time may lie (clocks of one machine agree; this
  // covers only the store's own clock moving back a little across a restart).
  static constexpr int64_t kMaxFutureMs = 5'000;

  // A fresh random secret (OpenSSL's RAND_bytes).
  static Result<std::string> NewSecret();

  // Tokens expire `lifetime_ms` after their issue (Kinesis's five minutes by default).
  explicit IteratorSigner(std::string secret, int64_t lifetime_ms = kIteratorLifetimeMs)
      : secret_(std::move(secret)), lifetime_ms_(lifetime_ms) {}

  // The token clients see: base64 text, opaque by contract.
  std::string Encode(const ShardIterator& it) const;

  // Checks a token as of `now_ms`: InvalidArgument for anything not made by this signer (or
  // issued in the future), ExpiredIterator once its lifetime has passed since its issue.
  Result<ShardIterator> Decode(std::string_view token, int64_t now_ms) const;

 private:
  std::string secret_;
  int64_t lifetime_ms_;
};

}  // namespace pinstream
