#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "emulator/post_source.h"

namespace pinstream::table_source_internal {

// TableSource::Open's reading of one CSV table from its text, for the CSV fuzzer: the rows keyed
// by their `key` column (`fallback_key` when a row has none; empty for no fallback), typed as
// Open types them. `file` only names the table in errors.
Status LoadCsvText(const std::string& text, const std::string& file, const std::string& key,
                   const std::string& fallback_key, std::unordered_map<int64_t, JsonRow>* table);

}  // namespace pinstream::table_source_internal
