#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace pinstream {

// Compact JSON text (no spaces, no newlines); invalid UTF-8 in strings becomes U+FFFD rather than
// a thrown type_error, so that a record's bytes can never abort a reply. Thread-safe.
std::string DumpJson(const nlohmann::json& j);
std::string DumpJson(const nlohmann::ordered_json& j);

}  // namespace pinstream
