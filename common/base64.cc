#include "common/base64.h"

#include <openssl/evp.h>

#include <array>

namespace pinstream {

namespace {

// 1 for every byte that is neither in the base64 alphabet nor '='.
constexpr std::array<unsigned char, 256> kInvalidBase64 = [] {
  std::array<unsigned char, 256> t{};
  t.fill(1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  for (char c : kAlphabet) t[static_cast<unsigned char>(c)] = 0;
  return t;
}();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock writes a trailing NUL; the +1 lives in std::string's own terminator.
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("base64 data length is not a multiple of 4");
  }
  // EVP_DecodeBlock tolerates surrounding whitespace; Kinesis does not, and neither do we. A table
  // and an OR over the text keep this branch-free: record data is random, and range tests per
  // character mispredict enough to cost more than the decoding itself.
  unsigned char invalid = 0;
  for (char c : text) invalid |= kInvalidBase64[static_cast<unsigned char>(c)];
  if (invalid) return Status::InvalidArgument("invalid character in base64 data");
  // Padding may only end the text: "xx==" or "xxx=".
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (padding == 1 && text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  if (text.substr(0, text.size() - padding).find('=') != std::string_view::npos) {
    return Status::InvalidArgument("misplaced padding in base64 data");
  }
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument("invalid base64 data");
  // EVP_DecodeBlock counts the bytes a padding '=' stands for; they are not data.
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace pinstream
