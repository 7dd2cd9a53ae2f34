#include "common/hash_key.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>

namespace pinstream {

namespace {

// EVP_Digest looks MD5 up in the provider tables and builds a context on every call, more than
// twice the cost of hashing a partition key; the router hashes one per record. Each thread keeps a
// context bound to one fetched MD5 instead.
class Md5Hasher {
 public:
  Md5Hasher() : md_(EVP_MD_fetch(nullptr, "MD5", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  ~Md5Hasher() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  void Digest(std::string_view data, unsigned char* digest) {
    unsigned int len = 0;
    if (md_ && ctx_ && EVP_DigestInit_ex2(ctx_, md_, nullptr) &&
        EVP_DigestUpdate(ctx_, data.data(), data.size()) &&
        EVP_DigestFinal_ex(ctx_, digest, &len)) {
      return;
    }
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

constexpr uint64_t kTen19 = 10'000'000'000'000'000'000u;

// Writes the decimal digits of `v` (below 10^19), `width` of them with leading zeros, or just
// its own when width is 0; returns the end.
char* PutDecimal(uint64_t v, int width, char* out) {
  char buf[20];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (buf + sizeof(buf) - p < width) *--p = '0';
  const size_t n = static_cast<size_t>(buf + sizeof(buf) - p);
  std::memcpy(out, p, n);
  return out + n;
}

}  // namespace

HashKey PartitionKeyHash(std::string_view partition_key) {
  thread_local Md5Hasher hasher;
  unsigned char digest[EVP_MAX_MD_SIZE];
  hasher.Digest(partition_key, digest);
  HashKey v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | digest[i];
  return v;
}

char* FormatHashKey(HashKey v, char* out) {
  // Three 64-bit chunks of 19 digits: two 128-bit divisions instead of one per digit.
  const uint64_t low = static_cast<uint64_t>(v % kTen19);
  v /= kTen19;
  const uint64_t mid = static_cast<uint64_t>(v % kTen19);
  const uint64_t high = static_cast<uint64_t>(v / kTen19);
  if (high != 0) {
    out = PutDecimal(high, 0, out);
    out = PutDecimal(mid, 19, out);
    return PutDecimal(low, 19, out);
  }
  if (mid != 0) {
    out = PutDecimal(mid, 0, out);
    return PutDecimal(low, 19, out);
  }
  return PutDecimal(low, 0, out);
}

std::string HashKeyToString(HashKey v) {
  char buf[kMaxHashKeyDigits];
  return std::string(buf, FormatHashKey(v, buf));
}

Result<HashKey> ParseHashKey(std::string_view text) {
  if (text.empty() || text.size() > 39) {
    return Status::InvalidArgument("hash key must be a decimal number of 1 to 39 digits");
  }
  HashKey v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status::InvalidArgument("hash key must be decimal digits");
    HashKey next = v * 10 + static_cast<unsigned>(c - '0');
    if (next / 10 != v) return Status::InvalidArgument("hash key exceeds 2^128 - 1");
    v = next;
  }
  return v;
}

}  // namespace pinstream
