#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// The CURVE keypairs of a broker and of its clients, derived from the API key (SPEC section
// 10), so that whoever holds the key can connect and nobody else can, with no key files to
// distribute: each secret key is HMAC-SHA256(api key, a fixed label), its public key the
// Curve25519 public key of that secret. Keys are Z85 text (40 characters), as libzmq's
// ZMQ_CURVE_* options take them. A plain value, safe to copy between threads.
struct CurveKeys {
  std::string server_public;
  std::string server_secret;
  std::string client_public;
  std::string client_secret;
};

// Unavailable when libzmq was built without CURVE (libsodium); InvalidArgument for an empty key.
Result<CurveKeys> DeriveCurveKeys(std::string_view api_key);

// A Z85 key's 32 bytes; InvalidArgument when `z85` is not 40 Z85 characters.
Result<std::string> DecodeCurveKey(std::string_view z85);

}  // namespace pinstream
