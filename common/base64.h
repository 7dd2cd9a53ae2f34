#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Standard base64 (RFC 4648 with padding), as Kinesis carries record data on its JSON wire.
std::string Base64Encode(std::string_view bytes);

// Decodes padded standard base64; InvalidArgument for anything else.
Result<std::string> Base64Decode(std::string_view text);

// The most bytes Base64DecodeTo writes for a text of `text_size` characters.
constexpr size_t Base64DecodedCapacity(size_t text_size) { return 3 * (text_size / 4); }

// Base64Decode into a caller's buffer of at least Base64DecodedCapacity(text.size()) bytes, for
// callers that decode many values into one allocation; the number of bytes written, or the same
// errors as Base64Decode. On error the buffer holds garbage.
Result<size_t> Base64DecodeTo(std::string_view text, char* out);

}  // namespace pinstream
