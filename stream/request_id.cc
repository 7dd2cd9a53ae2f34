#include "stream/request_id.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "common/base64.h"

namespace pinstream {

namespace {

constexpr size_t kUuidBytes = 16;
constexpr size_t kId2Bytes = 72;

// Random bytes handed out from a per-thread buffer: a RAND_bytes call costs about as much for
// 16 bytes as for 8 KiB (8 us on the 2-core machine, mostly per-call overhead), so one call
// serves 64 replies instead of one. Ids are identifiers, not secrets: handing out prefetched
// bytes gives nothing away.
class RandomPool {
 public:
  const unsigned char* Take(size_t n) {
    if (kBytes - used_ < n) Refill();
    const unsigned char* out = bytes_ + used_;
    used_ += n;
    return out;
  }

 private:
  static constexpr size_t kBytes = 64 * (kUuidBytes + kId2Bytes);

  void Refill() {
    if (RAND_bytes(bytes_, static_cast<int>(kBytes)) != 1) {
      // RAND_bytes fails only when OpenSSL cannot seed itself at all. A reply must still carry
      // ids, and these need to be unique rather than unpredictable.
      static thread_local std::mt19937_64 gen(
          std::random_device{}() ^
          static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
      for (unsigned char& b : bytes_) b = static_cast<unsigned char>(gen());
    }
    used_ = 0;
  }

  unsigned char bytes_[kBytes];
  size_t used_ = kBytes;
};

// "xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx" (RFC 9562, version 4, variant 10).
std::string FormatUuid(const unsigned char* random) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char b[kUuidBytes];
  std::memcpy(b, random, kUuidBytes);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string out(36, '-');
  size_t pos = 0;
  for (size_t i = 0; i < kUuidBytes; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the dashes, already in place
    out[pos++] = kHex[b[i] >> 4];
    out[pos++] = kHex[b[i] & 0x0f];
  }
  return out;
}

}  // namespace

void AwsRequestIds::AddTo(HttpResponse* res, bool with_id_2) {
  thread_local RandomPool pool;
  res->headers.reserve(res->headers.size() + 2);
  res->headers.push_back({kRequestIdHeader, FormatUuid(pool.Take(kUuidBytes))});
  if (with_id_2) {
    const unsigned char* id_2 = pool.Take(kId2Bytes);
    res->headers.push_back({kId2Header, Base64Encode(std::string_view(
                                            reinterpret_cast<const char*>(id_2), kId2Bytes))});
  }
}

}  // namespace pinstream
