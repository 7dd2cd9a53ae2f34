#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Standard base64 (RFC 4648 with padding), as Kinesis carries record data on its JSON wire.
std::string Base64Encode(std::string_view bytes);

// Decodes padded standard base64; InvalidArgument for anything else.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace pinstream
