#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

enum class SqlFormat { kJsonLines, kCsv, kTable };

// "jsonl", "csv" or "table".
Result<SqlFormat> ParseSqlFormat(std::string_view name);

// Writes a statement's rows as they are stepped. Column names are SQLite's (an alias, else the
// column or expression text); a name repeated in a row is written repeated, as Spark's toJSON
// and sqlite3's -json mode do.
//
// Types: INTEGER and REAL values are JSON numbers, TEXT strings, NULL null, BLOB base64 text. A
// result column that is a table's column unchanged keeps its table type (sql/sql_types.h): a
// BOOLEAN column is true/false, a JSON column (arrays) is JSON. CSV writes RFC 4180 with a
// header (as `table export --format csv`: null empty, an empty string ""); table pads columns
// (numbers to the right), null as NULL, and must see every row before it writes one.
//
// Writes to a borrowed FILE (stdout), which must outlive the writer; single-threaded.
class ResultWriter {
 public:
  static std::unique_ptr<ResultWriter> Make(SqlFormat format, std::FILE* out);
  virtual ~ResultWriter() = default;

  // Each statement: Start once it is prepared, Row after every SQLITE_ROW, Finish at its end.
  virtual void Start(sqlite3_stmt* stmt) = 0;
  virtual void Row(sqlite3_stmt* stmt) = 0;
  virtual Status Finish() = 0;
};

}  // namespace pinstream
