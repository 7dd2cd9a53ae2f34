#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// The environment variable that holds the API key when no key file is given.
inline constexpr char kApiKeyEnv[] = "PINSTREAM_API_KEY";

// The API key that guards both doors of a broker (ZeroMQ and HTTP), found the one way every
// command finds it: the content of `key_file` with trailing whitespace (a final newline) removed
// when a file is given, else $PINSTREAM_API_KEY, else "" (no auth). The key is never taken from
// the command line, where the process list would show it.
//
// A key file that its group or others may access works, with a warning (secret_file.h); an
// empty or unreadable key file is an error, so that a typo never silently turns auth off.
// Thread-safe (reads the environment).
Result<std::string> LoadApiKey(std::string_view key_file);

}  // namespace pinstream
