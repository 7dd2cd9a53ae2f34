#pragma once

#include <string>

#include "common/result.h"

namespace pinstream {

// Where the demo keeps its data: `dir` created if missing (returned absolute), or with `dir`
// empty a fresh /tmp/pinstream-demo-XXXXXX. IOError when it cannot be created.
Result<std::string> PrepareDemoDataDir(const std::string& dir);

// The topology the demo runs: `file` when given (ResourceNotFound if it does not exist), else
// topologies/pinterest.json relative to the current directory, else under `source_dir` (the
// source tree the binary was built from; "" for none), so that the demo works from anywhere.
Result<std::string> FindDemoTopology(const std::string& file, const std::string& source_dir);

}  // namespace pinstream
