#pragma once

#include <sqlite3.h>

#include "common/status.h"

namespace pinstream {

// Registers on `db` Spark SQL's max_by and min_by, which SQLite lacks:
//   max_by(x, y)   x of the row with the largest y     min_by(x, y)   ... the smallest y
// Rows whose y is NULL are ignored; a group without any y gives NULL. Where Spark leaves ties
// to chance, these are deterministic: among the rows tied on y, the smallest x wins, a NULL x
// only when every tied x is NULL (the processor's arg_max resolves ties the same way). Values
// compare as SQLite orders them (numbers by value, then text bytewise, then blobs).
Status RegisterByAggregates(sqlite3* db);

}  // namespace pinstream
