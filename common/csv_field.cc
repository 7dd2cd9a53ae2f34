#include "common/csv_field.h"

namespace pinstream {

void AppendCsvField(std::string_view text, bool quote_if_empty, std::string* out) {
  const bool quote =
      (text.empty() && quote_if_empty) || text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace pinstream
