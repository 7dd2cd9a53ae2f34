#include "sql/by_aggregates.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace pinstream {

namespace {

// SQLite's order of values of different storage classes: NULL, numbers, text, blobs.
int ClassRank(int type) {
  switch (type) {
    case SQLITE_NULL:
      return 0;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      return 1;
    case SQLITE_TEXT:
      return 2;
    default:
      return 3;
  }
}

// <0, 0, >0 as a orders before, with, after b (BINARY collation for text).
int Compare(sqlite3_value* a, sqlite3_value* b) {
  const int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
  const int ra = ClassRank(ta), rb = ClassRank(tb);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra == 1) {
    if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
      const sqlite3_int64 x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const void* pa =
      ra == 2 ? static_cast<const void*>(sqlite3_value_text(a)) : sqlite3_value_blob(a);
  const void* pb =
      ra == 2 ? static_cast<const void*>(sqlite3_value_text(b)) : sqlite3_value_blob(b);
  const int na = sqlite3_value_bytes(a), nb = sqlite3_value_bytes(b);
  const int c = std::memcmp(pa, pb, static_cast<size_t>(std::min(na, nb)));
  if (c != 0) return c;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

// The best row so far; sqlite3_aggregate_context's zeroed memory holds it.
struct Best {
  sqlite3_value* x;  // owned copies (sqlite3_value_dup), null before the first row
  sqlite3_value* y;
};

template <bool kMax>
void Step(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
  auto* best = static_cast<Best*>(sqlite3_aggregate_context(ctx, sizeof(Best)));
  if (best == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  bool take = best->y == nullptr;
  if (!take) {
    const int by = Compare(argv[1], best->y);
    if (by != 0) {
      take = kMax ? by > 0 : by < 0;
    } else {  // a tie: the smallest x, a non-null x before NULL
      const bool x_null = sqlite3_value_type(argv[0]) == SQLITE_NULL;
      const bool best_null = sqlite3_value_type(best->x) == SQLITE_NULL;
      take = !x_null && (best_null || Compare(argv[0], best->x) < 0);
    }
  }
  if (!take) return;
  sqlite3_value* x = sqlite3_value_dup(argv[0]);
  sqlite3_value* y = sqlite3_value_dup(argv[1]);
  if (x == nullptr || y == nullptr) {
    sqlite3_value_free(x);
    sqlite3_value_free(y);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_value_free(best->x);
  sqlite3_value_free(best->y);
  best->x = x;
  best->y = y;
}

void Final(sqlite3_context* ctx) {
  auto* best = static_cast<Best*>(sqlite3_aggregate_context(ctx, 0));
  if (best == nullptr || best->x == nullptr) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_value(ctx, best->x);
  }
  if (best != nullptr) {
    sqlite3_value_free(best->x);
    sqlite3_value_free(best->y);
    best->x = best->y = nullptr;
  }
}

}  // namespace

Status RegisterByAggregates(sqlite3* db) {
  for (auto [name, step] : {std::pair{"max_by", &Step<true>}, std::pair{"min_by", &Step<false>}}) {
    if (sqlite3_create_function_v2(db, name, 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                   nullptr, step, Final, nullptr) != SQLITE_OK) {
      return Status::Internal(std::string("registering ") + name + ": " + sqlite3_errmsg(db));
    }
  }
  return Status::OK();
}

}  // namespace pinstream
