#pragma once

#include <string>

#include "common/result.h"

namespace pinstream {

// The whole file at `path`, bytes as they are; IOError naming the path when it cannot be opened
// or read.
Result<std::string> ReadFile(const std::string& path);

}  // namespace pinstream
