#include "sql/date_functions.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pinstream {

namespace {

struct Date {
  int64_t year;
  int month;
  int day;
};

bool Digit(char c) { return c >= '0' && c <= '9'; }

// "[+-]YYYY[Y...]-MM-DD..." with a month of 1 to 12 and a day of 1 to 31 (strftime's own range).
std::optional<Date> ParseDate(std::string_view s) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) ++i;
  const size_t digits_from = i;
  int64_t year = 0;
  while (i < s.size() && Digit(s[i]) && i - digits_from < 18) year = year * 10 + (s[i++] - '0');
  if (i - digits_from < 4 || s.size() < i + 6 || s[i] != '-' || !Digit(s[i + 1]) ||
      !Digit(s[i + 2]) || s[i + 3] != '-' || !Digit(s[i + 4]) || !Digit(s[i + 5])) {
    return std::nullopt;
  }
  if (s.size() > i + 6 && Digit(s[i + 6])) return std::nullopt;  // a three-digit day
  const int month = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
  const int day = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return Date{negative ? -year : year, month, day};
}

template <int64_t (*kPart)(const Date&)>
void Part(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_null(ctx);  // NULL, and numbers: strftime's Julian days are not dates here
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const std::optional<Date> date =
      ParseDate(std::string_view(text, static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
  if (date) {
    sqlite3_result_int64(ctx, kPart(*date));
  } else {
    sqlite3_result_null(ctx);
  }
}

int64_t Year(const Date& d) { return d.year; }
int64_t Month(const Date& d) { return d.month; }
int64_t Day(const Date& d) { return d.day; }

}  // namespace

Status RegisterDateFunctions(sqlite3* db) {
  struct Def {
    const char* name;
    void (*fn)(sqlite3_context*, int, sqlite3_value**);
  };
  const Def defs[] = {
      {"year", Part<Year>}, {"month", Part<Month>}, {"dayofmonth", Part<Day>}, {"day", Part<Day>}};
  for (const Def& d : defs) {
    const int rc = sqlite3_create_function_v2(db, d.name, 1,
                                              SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                              nullptr, d.fn, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return Status::Internal(std::string("registering ") + d.name + ": " + sqlite3_errmsg(db));
    }
  }
  return Status::OK();
}

}  // namespace pinstream
