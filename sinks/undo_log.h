#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace pinstream {

// An undo log: what each operator state key a batch changed held before it, so that a rewind
// (or the undo of state written ahead of a commit that never came) can put it back. Per key:
// [key (length-prefixed)] then [1][value (length-prefixed)], or [0] when it had none.

// Appends `key` and its before-image to `log`.
void AppendUndo(std::string* log, std::string_view key, const std::optional<std::string>& before);

// Calls `restore` with each key of `log` and what it held before (nullopt: none), in order;
// stops at its first error. Corruption when the log is malformed.
Status ForEachUndo(std::string_view log,
                   const std::function<Status(std::string_view key,
                                              std::optional<std::string_view> before)>& restore);

}  // namespace pinstream
