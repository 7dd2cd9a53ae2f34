#include "common/hash_key.h"

#include <openssl/evp.h>

#include <algorithm>

namespace pinstream {

HashKey PartitionKeyHash(std::string_view partition_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(partition_key.data(), partition_key.size(), digest, &len, EVP_md5(), nullptr);
  HashKey v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | digest[i];
  return v;
}

std::string HashKeyToString(HashKey v) {
  if (v == 0) return "0";
  std::string out;
  while (v != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
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
