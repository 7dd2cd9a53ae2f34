#include "stream/curve_keys.h"

#include <zmq.h>

#include <array>

#include "common/hmac.h"

namespace pinstream {

namespace {

// Labels of the derivations: a new scheme takes a new version, never a reuse.
constexpr std::string_view kServerLabel = "pinstream curve server v1";
constexpr std::string_view kClientLabel = "pinstream curve client v1";

struct KeyPair {
  std::string public_key;
  std::string secret_key;
};

Result<KeyPair> DerivePair(std::string_view api_key, std::string_view label) {
  const std::string secret = HmacSha256(api_key, label);
  if (secret.size() != kHmacSha256Size) {
    return Status::Internal("HMAC-SHA256 failed deriving a CURVE key");
  }
  std::array<char, 41> secret_z85{};
  std::array<char, 41> public_z85{};
  if (zmq_z85_encode(secret_z85.data(), reinterpret_cast<const uint8_t*>(secret.data()),
                     secret.size()) == nullptr ||
      zmq_curve_public(public_z85.data(), secret_z85.data()) != 0) {
    return Status::Internal("libzmq could not derive a CURVE public key");
  }
  return KeyPair{std::string(public_z85.data(), 40), std::string(secret_z85.data(), 40)};
}

}  // namespace

Result<CurveKeys> DeriveCurveKeys(std::string_view api_key) {
  if (api_key.empty()) return Status::InvalidArgument("an empty API key derives no CURVE keys");
  if (!zmq_has("curve")) {
    return Status::Unavailable(
        "this libzmq has no CURVE security (built without libsodium): an API key cannot guard "
        "ZeroMQ");
  }
  ASSIGN_OR_RETURN(KeyPair server, DerivePair(api_key, kServerLabel));
  ASSIGN_OR_RETURN(KeyPair client, DerivePair(api_key, kClientLabel));
  return CurveKeys{std::move(server.public_key), std::move(server.secret_key),
                   std::move(client.public_key), std::move(client.secret_key)};
}

Result<std::string> DecodeCurveKey(std::string_view z85) {
  if (z85.size() != 40) return Status::InvalidArgument("a Z85 CURVE key has 40 characters");
  std::string text(z85);
  std::string out(32, '\0');
  if (zmq_z85_decode(reinterpret_cast<uint8_t*>(out.data()), text.c_str()) == nullptr) {
    return Status::InvalidArgument("not a Z85 CURVE key");
  }
  return out;
}

}  // namespace pinstream
