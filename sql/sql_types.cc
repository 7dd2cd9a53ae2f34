#include "sql/sql_types.h"

#include <cstdio>

#include "common/json_dump.h"

namespace pinstream {

std::string_view SqlDeclaredType(const Column& column) {
  switch (column.type) {
    case Type::kInt:
      return "INTEGER";
    case Type::kDouble:
      return "REAL";
    case Type::kBool:
      return kBooleanDecl;
    case Type::kTimestamp:
      return kTimestampDecl;
    case Type::kArray:
      return kJsonDecl;
    case Type::kString:
    case Type::kNull:
      break;
  }
  return "TEXT";
}

void AppendSqlTimestamp(int64_t epoch_ms, std::string* out) {
  // Howard Hinnant's civil_from_days: no gmtime and no printf, since a query may format a
  // timestamp per row of a million-row table.
  int64_t days = epoch_ms / 86'400'000;
  int64_t ms_of_day = epoch_ms % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    days -= 1;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  if (year < 0 || year > 9999) {  // outside ISO-8601's four digits: printf's way
    char buf[64];
    const int n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(year));
    out->append(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }
  char buf[24];
  auto put = [&buf](int at, int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, year < 0 || year > 9999 ? 0 : year, 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, ms_of_day / 3'600'000, 2);
  buf[13] = ':';
  put(14, ms_of_day / 60'000 % 60, 2);
  buf[16] = ':';
  put(17, ms_of_day / 1000 % 60, 2);
  buf[19] = '.';
  put(20, ms_of_day % 1000, 3);
  buf[23] = 'Z';
  if (year < 0 || year > 9999) {
    out->append(buf + 4, 20);
  } else {
    out->append(buf, 24);
  }
}

std::string FormatSqlTimestamp(int64_t epoch_ms) {
  std::string out;
  AppendSqlTimestamp(epoch_ms, &out);
  return out;
}

void AppendSqlJson(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kTimestamp:
      out->push_back('"');
      AppendSqlTimestamp(v.as_timestamp_ms(), out);
      out->push_back('"');
      return;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendSqlJson(e, out);
      }
      out->push_back(']');
      return;
    }
    default:
      out->append(DumpJson(v.ToJson()));
      return;
  }
}

}  // namespace pinstream
