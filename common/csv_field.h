#pragma once

#include <string>
#include <string_view>

namespace pinstream {

// Appends `text` as one RFC 4180 field: a field holding a comma, a quote or a line break is
// quoted, quotes doubled. With `quote_if_empty` an empty string is quoted too ("") so that it
// differs from null (nothing), as Spark writes it.
void AppendCsvField(std::string_view text, bool quote_if_empty, std::string* out);

}  // namespace pinstream
