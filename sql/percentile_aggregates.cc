#include "sql/percentile_aggregates.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace pinstream {

namespace {

enum class Kind { kCont, kDisc };

// One group's values; sqlite3_aggregate_context holds a pointer to it (its memory is zeroed
// and plain, so the vector lives on the heap and xFinal frees it).
struct Group {
  std::vector<double> values;
  double p = 0.5;
  bool p_set = false;
  bool all_int = true;
};

Group** Slot(sqlite3_context* ctx, bool create) {
  return static_cast<Group**>(sqlite3_aggregate_context(ctx, create ? sizeof(Group*) : 0));
}

void Step(sqlite3_context* ctx, int argc, sqlite3_value** argv, bool fixed_half) {
  Group** slot = Slot(ctx, true);
  if (slot == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (*slot == nullptr) *slot = new Group();
  Group* g = *slot;
  const char* name = static_cast<const char*>(sqlite3_user_data(ctx));
  if (!fixed_half) {
    if (argc != 2) return;
    const int pt = sqlite3_value_numeric_type(argv[1]);
    const double p = sqlite3_value_double(argv[1]);
    if ((pt != SQLITE_INTEGER && pt != SQLITE_FLOAT) || !(p >= 0.0 && p <= 1.0)) {
      std::string msg = std::string(name) + ": the fraction must be a number between 0 and 1";
      sqlite3_result_error(ctx, msg.c_str(), -1);
      return;
    }
    if (g->p_set && p != g->p) {
      std::string msg = std::string(name) + ": the fraction must be the same for every row";
      sqlite3_result_error(ctx, msg.c_str(), -1);
      return;
    }
    g->p = p;
    g->p_set = true;
  }
  switch (sqlite3_value_type(argv[0])) {
    case SQLITE_NULL:
      return;
    case SQLITE_INTEGER:
      g->values.push_back(static_cast<double>(sqlite3_value_int64(argv[0])));
      return;
    case SQLITE_FLOAT:
      g->values.push_back(sqlite3_value_double(argv[0]));
      g->all_int = false;
      return;
    default: {
      std::string msg = std::string(name) + ": a value is not a number";
      sqlite3_result_error(ctx, msg.c_str(), -1);
      return;
    }
  }
}

template <Kind kind>
void Final(sqlite3_context* ctx) {
  Group** slot = Slot(ctx, false);
  Group* g = slot != nullptr ? *slot : nullptr;
  if (g == nullptr || g->values.empty()) {
    sqlite3_result_null(ctx);
    delete g;
    return;
  }
  std::vector<double>& v = g->values;
  const size_t n = v.size();
  if constexpr (kind == Kind::kCont) {
    // Spark's Percentile: position p * (n - 1), then (higher - pos) * lower + (pos - lower) *
    // higher, so that an even count's median is the mean of the middle two, exactly.
    const double pos = g->p * static_cast<double>(n - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = static_cast<size_t>(std::ceil(pos));
    std::nth_element(v.begin(), v.begin() + lo, v.end());
    const double low = v[lo];
    double result = low;
    if (hi != lo) {
      const double high = *std::min_element(v.begin() + lo + 1, v.end());
      result = (static_cast<double>(hi) - pos) * low + (pos - static_cast<double>(lo)) * high;
    }
    sqlite3_result_double(ctx, result);
  } else {
    // The first value whose cumulative share i / n reaches p.
    size_t i = static_cast<size_t>(std::ceil(g->p * static_cast<double>(n)));
    i = i == 0 ? 0 : i - 1;
    std::nth_element(v.begin(), v.begin() + i, v.end());
    if (g->all_int) {
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(v[i]));
    } else {
      sqlite3_result_double(ctx, v[i]);
    }
  }
  delete g;
}

void StepHalf(sqlite3_context* ctx, int argc, sqlite3_value** argv) { Step(ctx, argc, argv, true); }
void StepFraction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Step(ctx, argc, argv, false);
}

}  // namespace

Status RegisterPercentileAggregates(sqlite3* db) {
  struct Def {
    const char* name;
    int args;
    void (*step)(sqlite3_context*, int, sqlite3_value**);
    void (*final)(sqlite3_context*);
  };
  static const char* const kNames[] = {"median", "percentile_cont", "percentile",
                                       "percentile_disc"};
  const Def defs[] = {{kNames[0], 1, StepHalf, Final<Kind::kCont>},
                      {kNames[1], 2, StepFraction, Final<Kind::kCont>},
                      {kNames[2], 2, StepFraction, Final<Kind::kCont>},
                      {kNames[3], 2, StepFraction, Final<Kind::kDisc>}};
  for (const Def& d : defs) {
    const int rc =
        sqlite3_create_function_v2(db, d.name, d.args, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   const_cast<char*>(d.name), nullptr, d.step, d.final, nullptr);
    if (rc != SQLITE_OK) {
      return Status::Internal(std::string("registering ") + d.name + ": " + sqlite3_errmsg(db));
    }
  }
  return Status::OK();
}

}  // namespace pinstream
