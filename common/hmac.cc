#include "common/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace pinstream {

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  // A default string_view has a null data(): OpenSSL wants a pointer even for zero bytes.
  const char* key_bytes = key.empty() ? "" : key.data();
  const char* data_bytes = data.empty() ? "" : data.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data_bytes), data.size(), out.data(),
           &len) == nullptr ||
      len != kHmacSha256Size) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pinstream
