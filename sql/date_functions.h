#pragma once

#include <sqlite3.h>

#include "common/status.h"

namespace pinstream {

// Registers on `db` Spark SQL's date parts, which SQLite spells strftime('%Y', ts) and then
// casts:
//   year(ts)    month(ts)    dayofmonth(ts) (and day(ts), Spark's other name for it)
// each an INTEGER, of an ISO-8601 date or timestamp text: "YYYY-MM-DD" and whatever follows
// (what a timestamp column holds, sql/sql_types.h), a year of four or more digits with an
// optional sign. The parts are read as written, with no time zone applied (timestamps are UTC).
// NULL for NULL and for anything else, as strftime gives for what it cannot read.
//
// Read straight from the text: strftime parses the whole timestamp into a Julian day and
// prints it back, a tenth of a question's time when it runs per post.
Status RegisterDateFunctions(sqlite3* db);

}  // namespace pinstream
