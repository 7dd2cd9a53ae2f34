#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "stream/stream_settings.h"

namespace pinstream {

// The stored form of a stream's settings (a value of the store's metadata family): compact JSON,
// so that a field added later reads as its default from what an older build wrote.
std::string EncodeStreamSettings(const StreamSettings& settings);
// Corruption when `text` is not what EncodeStreamSettings writes.
Result<StreamSettings> DecodeStreamSettings(std::string_view text);

}  // namespace pinstream
