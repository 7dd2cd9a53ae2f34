#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Reads a file that holds a secret (an API key, AWS credentials). `what` names it in messages.
// A file that its group or others may access still works, with a warning logged (as ssh warns
// about a private key): a local tool should not refuse to start over it, but the owner should
// know. InvalidArgument when the path is missing, not a regular file, or unreadable.
// Thread-safe.
Result<std::string> ReadSecretFile(std::string_view path, std::string_view what);

}  // namespace pinstream
