#pragma once

#include <sqlite3.h>

#include "common/status.h"

namespace pinstream {

// Registers on `db` the exact percentile aggregates Spark SQL has and SQLite lacks. SQLite has
// no WITHIN GROUP, so the fraction is the second argument:
//   median(x)                 = percentile_cont(x, 0.5)
//   percentile_cont(x, p)     Spark's percentile(x, p) and percentile_cont(p) WITHIN GROUP
//                             (ORDER BY x): linear interpolation between the two nearest
//                             values, at position p * (n - 1) of the sorted values; a REAL
//   percentile(x, p)          the same (Spark's name)
//   percentile_disc(x, p)     the smallest value whose cumulative share reaches p, as given
// Nulls are ignored; a group with no value gives NULL; p must be a number in [0, 1], the same
// for every row of a group; x must be a number (a text or blob x is an error, not skipped).
// Values are held as doubles (integers beyond 2^53 lose precision, as Spark's percentile's do).
// Aggregates only, not window functions.
Status RegisterPercentileAggregates(sqlite3* db);

}  // namespace pinstream
