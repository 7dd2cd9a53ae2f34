// Shard iterator tokens (stream/shard_iterator.h): whatever a client sends as an iterator must be
// refused unless the store's signer made it, and a token the signer made must decode to what it
// encoded. The secret here is fixed, so that the corpus may hold valid tokens.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "common/coding.h"
#include "fuzz/fuzz_check.h"
#include "stream/shard_iterator.h"
#include "stream/stream_types.h"

namespace {

using namespace pinstream;

constexpr int64_t kNowMs = 1'767'225'600'000;  // as fuzz_store.h's clock

const IteratorSigner& Signer() {
  static const auto* signer = new IteratorSigner(std::string(IteratorSigner::kSecretBytes, '\x5a'));
  return *signer;
}

bool SameFields(const ShardIterator& a, const ShardIterator& b) {
  return a.stream_id == b.stream_id && a.shard_index == b.shard_index &&
         a.next_counter == b.next_counter && a.issued_ms == b.issued_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The input as a token, as GetRecords receives it.
  auto decoded = Signer().Decode(input, kNowMs);
  if (decoded.ok()) {
    FUZZ_CHECK(decoded->issued_ms <= kNowMs + IteratorSigner::kMaxFutureMs);
    FUZZ_CHECK(kNowMs - decoded->issued_ms <= kIteratorLifetimeMs);
    auto again = Signer().Decode(Signer().Encode(*decoded), kNowMs);
    FUZZ_CHECK(again.ok() && SameFields(*again, *decoded));
  }

  // The input as an iterator's fields: signed, it decodes to them (or has expired); with any
  // bit of the token's bytes flipped, it is refused.
  if (size >= 26) {
    ShardIterator it;
    it.stream_id = DecodeFixed32BE(input.data());
    it.shard_index = DecodeFixed32BE(input.data() + 4);
    it.next_counter = DecodeFixed64BE(input.data() + 8);
    // Issue times are the store's clock readings: within a day either side of now.
    it.issued_ms = kNowMs +
                   static_cast<int64_t>(DecodeFixed64BE(input.data() + 16) % (2 * 86'400'000)) -
                   86'400'000;
    const std::string token = Signer().Encode(it);
    auto back = Signer().Decode(token, kNowMs);
    if (it.issued_ms > kNowMs + IteratorSigner::kMaxFutureMs) {
      FUZZ_CHECK(!back.ok());
    } else if (kNowMs - it.issued_ms > kIteratorLifetimeMs) {
      FUZZ_CHECK(back.status().code() == Status::Code::kExpiredIterator);
    } else {
      FUZZ_CHECK(back.ok() && SameFields(*back, it));
    }
    auto raw = Base64Decode(token);
    FUZZ_CHECK(raw.ok());
    const size_t bit =
        ((size_t{static_cast<uint8_t>(input[24])} << 8) | static_cast<uint8_t>(input[25])) %
        (raw->size() * 8);
    (*raw)[bit / 8] = static_cast<char>((*raw)[bit / 8] ^ (1 << (bit % 8)));
    FUZZ_CHECK(!Signer().Decode(Base64Encode(*raw), kNowMs).ok());
  }
  return 0;
}
