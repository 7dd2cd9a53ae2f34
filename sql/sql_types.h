#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/value.h"

namespace pinstream {

// How pinstream's column types look in SQLite (the one place that decides it):
//   int -> INTEGER, double -> REAL, string -> TEXT, bool -> INTEGER 0/1 declared BOOLEAN,
//   timestamp -> TEXT "YYYY-MM-DDTHH:MM:SS.sssZ" (always with milliseconds,
//   so that text order is time order and SQLite's date functions read it: strftime('%Y', ts)),
//   declared TIMESTAMP TEXT; array -> TEXT holding JSON (for json_each, json_extract, ->>),
//   declared JSON TEXT.
// The declared types let the output keep types SQLite has none of: a result column that is a
// table's column unchanged prints a BOOLEAN as true/false and a JSON value as JSON, not text.
inline constexpr char kBooleanDecl[] = "BOOLEAN";
// Both text types end in TEXT for SQLite's TEXT affinity: under NUMERIC affinity (what a bare
// "TIMESTAMP" would get) SQLite turns the literal of `date_joined < '2021'` into the number 2021,
// and text never sorts below a number, so the comparison would be false for every row.
inline constexpr char kTimestampDecl[] = "TIMESTAMP TEXT";
inline constexpr char kJsonDecl[] = "JSON TEXT";

// The SQLite type a column is declared with (INTEGER, REAL, TEXT, BOOLEAN, TIMESTAMP TEXT,
// JSON TEXT).
std::string_view SqlDeclaredType(const Column& column);

// A timestamp as SQL sees it: "2020-10-17T07:10:28.000Z", UTC, fixed width.
std::string FormatSqlTimestamp(int64_t epoch_ms);
void AppendSqlTimestamp(int64_t epoch_ms, std::string* out);

// Appends an array (or any value) as JSON text, timestamps inside it in the form above (so that
// json_extract gives the same text a timestamp column does).
void AppendSqlJson(const Value& v, std::string* out);

}  // namespace pinstream
