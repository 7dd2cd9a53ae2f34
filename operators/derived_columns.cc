// Operators that compute a new column from another, for grouping by computed keys:
// bucket (ranges of a number -> labels, e.g. age -> age group) and extract (a part of a
// timestamp, e.g. its year).
#include <cmath>

#include "operators/operator.h"
#include "operators/operator_config.h"
#include "operators/window_assigner.h"

namespace pinstream {

namespace {

// bucket: {"column": "age", "into": "age_group", "buckets": [
//            {"label": "18-24", "min": 18, "max": 24}, ..., {"label": "+50", "above": 50}],
//          "default": null}
// The first bucket whose bounds hold the value gives its label: min/max are inclusive,
// above/below exclusive, a missing bound is open. No match (and null) gives `default`.
struct Bucket {
  std::string label;
  Range range;
};

class BucketOp final : public Operator {
 public:
  BucketOp(int column, std::vector<Bucket> buckets, Value fallback)
      : column_(column), buckets_(std::move(buckets)), fallback_(std::move(fallback)) {}

  Status Apply(Row& row, bool*) override {
    const Value& v = row[column_];
    if (!v.is_null()) {
      const double d = v.type() == Type::kInt ? static_cast<double>(v.as_int()) : v.as_double();
      for (const auto& b : buckets_) {
        if (b.range.Holds(d)) {
          row.push_back(Value::String(b.label));
          return Status::OK();
        }
      }
    }
    row.push_back(fallback_);
    return Status::OK();
  }

 private:
  int column_;
  std::vector<Bucket> buckets_;
  Value fallback_;
};

std::unique_ptr<Operator> MakeBucket(const OperatorArgs& a) {
  CheckKnownFields(a, {"column", "into", "buckets", "default"});
  auto col = InputColumn(a, "column");
  auto into = StringField(a, "into");
  if (!col || !into) return nullptr;
  bool ok = true;
  const Column& c = a.input.column(*col);
  if (c.type != Type::kInt && c.type != Type::kDouble) {
    a.Error("column", "'" + c.name + "' is " + ColumnTypeName(c) + ", bucket needs a number");
    ok = false;
  }
  if (a.input.Find(*into) >= 0) {
    a.Error("into", "column '" + *into + "' already exists");
    ok = false;
  }
  auto list = a.config.find("buckets");
  if (list == a.config.end() || !list->is_array() || list->empty()) {
    a.Error(list == a.config.end() ? "" : "buckets",
            "bucket needs \"buckets\": [{\"label\": \"18-24\", \"min\": 18, \"max\": 24}, ...]");
    return nullptr;
  }
  std::vector<Bucket> buckets;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& b = (*list)[i];
    const std::string p = "buckets/" + std::to_string(i);
    if (!b.is_object() || !b.contains("label") || !b["label"].is_string()) {
      a.Error(p,
              "a bucket is {\"label\": \"...\"} with bounds min, max (inclusive), above, "
              "below (exclusive)");
      ok = false;
      continue;
    }
    Bucket bucket{b["label"].get<std::string>()};
    for (const auto& [key, bound] : b.items()) {
      if (key == "label") continue;
      if (!Range::IsBound(key)) {
        a.Error(p + "/" + key, "unknown option '" + key + "' (bounds: min, max, above, below)");
        ok = false;
        continue;
      }
      ok &= bucket.range.AddBound(a, p + "/" + key, key, bound);
    }
    buckets.push_back(std::move(bucket));
  }
  Value fallback;
  if (auto d = a.config.find("default"); d != a.config.end()) {
    if (d->is_string()) {
      fallback = Value::String(d->get<std::string>());
    } else if (!d->is_null()) {
      a.Error("default", "must be a label (a string) or null");
      ok = false;
    }
  }
  if (!ok) return nullptr;
  *a.output = a.input;
  a.output->Add(Column{*into, Type::kString, Type::kNull, true});
  return std::make_unique<BucketOp>(*col, std::move(buckets), std::move(fallback));
}

// extract: {"column": "timestamp", "part": "year", "into": "post_year"} appends a part of a
// timestamp (UTC) as an int: year, month (1-12), day (1-31), hour, minute, second.
enum class Part { kYear, kMonth, kDay, kHour, kMinute, kSecond };

struct CivilDate {
  int64_t year;
  int64_t month;
  int64_t day;
};

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> proleptic Gregorian date.
CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

class ExtractOp final : public Operator {
 public:
  ExtractOp(int column, Part part) : column_(column), part_(part) {}

  Status Apply(Row& row, bool*) override {
    const Value& v = row[column_];
    if (v.is_null()) {
      row.emplace_back();
      return Status::OK();
    }
    const int64_t ms = v.as_timestamp_ms();
    const int64_t days = FloorDiv(ms, 86'400'000);
    const int64_t in_day = ms - days * 86'400'000;
    int64_t out = 0;
    switch (part_) {
      case Part::kYear:
        out = CivilFromDays(days).year;
        break;
      case Part::kMonth:
        out = CivilFromDays(days).month;
        break;
      case Part::kDay:
        out = CivilFromDays(days).day;
        break;
      case Part::kHour:
        out = in_day / 3'600'000;
        break;
      case Part::kMinute:
        out = in_day / 60'000 % 60;
        break;
      case Part::kSecond:
        out = in_day / 1000 % 60;
        break;
    }
    row.push_back(Value::Int(out));
    return Status::OK();
  }

 private:
  int column_;
  Part part_;
};

std::unique_ptr<Operator> MakeExtract(const OperatorArgs& a) {
  CheckKnownFields(a, {"column", "part", "into"});
  auto col = InputColumn(a, "column");
  auto part = StringField(a, "part");
  auto into = StringField(a, "into");
  if (!col || !part || !into) return nullptr;
  bool ok = true;
  const Column& c = a.input.column(*col);
  if (c.type != Type::kTimestamp) {
    a.Error("column", "'" + c.name + "' is " + ColumnTypeName(c) +
                          ", extract needs a timestamp (convert it with to_timestamp)");
    ok = false;
  }
  const std::pair<const char*, Part> parts[] = {
      {"year", Part::kYear}, {"month", Part::kMonth},   {"day", Part::kDay},
      {"hour", Part::kHour}, {"minute", Part::kMinute}, {"second", Part::kSecond}};
  std::optional<Part> which;
  for (const auto& [name, p] : parts) {
    if (*part == name) which = p;
  }
  if (!which) {
    a.Error("part", "unknown part '" + *part + "' (parts: year, month, day, hour, minute, second)");
    ok = false;
  }
  if (a.input.Find(*into) >= 0) {
    a.Error("into", "column '" + *into + "' already exists");
    ok = false;
  }
  if (!ok) return nullptr;
  *a.output = a.input;
  a.output->Add(Column{*into, Type::kInt, Type::kNull, true});
  return std::make_unique<ExtractOp>(*col, *which);
}

}  // namespace

void RegisterDerivedColumnOperators(OperatorRegistry* r) {
  r->Register("bucket", MakeBucket);
  r->Register("extract", MakeExtract);
}

}  // namespace pinstream
