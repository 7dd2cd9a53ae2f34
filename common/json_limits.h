#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace pinstream {

// How deep a JSON document a server parses from a client may nest. Record values are rows (a few
// levels); 512 is far past any real payload, and low enough that a recursive walk of an accepted
// document (nlohmann's dump, a DOM-to-DOM copy) stays well inside a thread's stack. Every parser
// of client JSON takes its limit from here.
inline constexpr size_t kMaxJsonDepth = 512;

// OK when no array or object in `text` nests deeper than `max_depth`; otherwise InvalidArgument.
// A linear scan that skips strings and does not validate anything else: it runs before a parser
// that would recurse (or whose result would be walked recursively) sees the text. Thread-safe.
Status CheckJsonDepth(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace pinstream
