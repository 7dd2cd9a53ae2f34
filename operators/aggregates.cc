// The aggregate library: count, sum, min, max, avg (fixed-size accumulators), arg_max/arg_min,
// and the entry-based ones: percentile/median, count_distinct, mode, top_k.
#include "operators/aggregates.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "operators/operator_config.h"

namespace pinstream {

int CompareValues(const Value& a, const Value& b) {
  if (a.type() != b.type()) return a.type() < b.type() ? -1 : 1;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (a.type()) {
    case Type::kNull:
      return 0;
    case Type::kBool:
      return sign(a.as_bool(), b.as_bool());
    case Type::kInt:
      return sign(a.as_int(), b.as_int());
    case Type::kDouble: {
      const double x = a.as_double(), y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return sign(std::isnan(x), std::isnan(y));  // NaN last
      return sign(x, y);
    }
    case Type::kString:
      return sign(a.as_string().compare(b.as_string()), 0);
    case Type::kTimestamp:
      return sign(a.as_timestamp_ms(), b.as_timestamp_ms());
    case Type::kArray: {
      const auto &x = a.as_array(), &y = b.as_array();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = CompareValues(x[i], y[i]); c != 0) return c;
      }
      return sign(x.size(), y.size());
    }
  }
  return 0;
}

namespace {

struct ValueLess {
  bool operator()(const Value& a, const Value& b) const { return CompareValues(a, b) < 0; }
};

// ---------------------------------------------------------------------------------------------
// Fixed-size accumulators.

// count: rows (column -1) or non-null values of a column.
class CountFunction final : public AggregateFunction {
 public:
  CountFunction(std::string name, int column) : column_(column) {
    outputs_.push_back(Column{std::move(name), Type::kInt, Type::kNull, false});
  }
  std::unique_ptr<AggregateState> NewState() const override;
  int column() const { return column_; }

 private:
  int column_;
};

class CountState final : public AggregateState {
 public:
  explicit CountState(int column) : column_(column) {}
  void Add(const Row& row) override {
    if (column_ < 0 || !row[column_].is_null()) ++n_;
  }
  void Merge(const AggregateState& other) override {
    n_ += static_cast<const CountState&>(other).n_;
  }
  void AppendResult(Row* out) const override { out->push_back(Value::Int(n_)); }
  void EncodeFixed(std::string* out) const override { PutVarint64(out, static_cast<uint64_t>(n_)); }
  bool DecodeFixed(Decoder* in) override {
    uint64_t n;
    if (!in->GetVarint64(&n)) return false;
    n_ = static_cast<int64_t>(n);
    return true;
  }
  size_t ApproxBytes() const override { return sizeof(*this); }

 private:
  int column_;
  int64_t n_ = 0;
};

std::unique_ptr<AggregateState> CountFunction::NewState() const {
  return std::make_unique<CountState>(column_);
}

void PutInt128(std::string* out, __int128 v) {
  PutFixed64BE(out, static_cast<uint64_t>(static_cast<unsigned __int128>(v) >> 64));
  PutFixed64BE(out, static_cast<uint64_t>(v));
}

bool GetInt128(Decoder* in, __int128* v) {
  uint64_t hi, lo;
  if (!in->GetFixed64BE(&hi) || !in->GetFixed64BE(&lo)) return false;
  *v = static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
  return true;
}

void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  PutFixed64BE(out, bits);
}

bool GetDouble(Decoder* in, double* d) {
  uint64_t bits;
  if (!in->GetFixed64BE(&bits)) return false;
  std::memcpy(d, &bits, sizeof(bits));
  return true;
}

// sum and avg of an int or double column. Integers add exactly (in 128 bits); a sum beyond the
// int64 range is null.
class SumFunction final : public AggregateFunction {
 public:
  SumFunction(std::string name, int column, Type type, bool average)
      : column_(column), integral_(type == Type::kInt), average_(average) {
    outputs_.push_back(Column{std::move(name), average ? Type::kDouble : type, Type::kNull, true});
  }
  std::unique_ptr<AggregateState> NewState() const override;
  int column_;
  bool integral_;
  bool average_;
};

class SumState final : public AggregateState {
 public:
  explicit SumState(const SumFunction* f) : f_(f) {}
  void Add(const Row& row) override {
    const Value& v = row[f_->column_];
    if (v.is_null()) return;
    ++n_;
    if (f_->integral_) {
      int_sum_ += v.as_int();
    } else {
      sum_ += v.as_double();
    }
  }
  void Merge(const AggregateState& other) override {
    const auto& o = static_cast<const SumState&>(other);
    n_ += o.n_;
    int_sum_ += o.int_sum_;
    sum_ += o.sum_;
  }
  void AppendResult(Row* out) const override {
    if (n_ == 0) {
      out->push_back(Value());
    } else if (f_->average_) {
      const double total = f_->integral_ ? static_cast<double>(int_sum_) : sum_;
      out->push_back(Value::Double(total / static_cast<double>(n_)));
    } else if (!f_->integral_) {
      out->push_back(Value::Double(sum_));
    } else if (int_sum_ > INT64_MAX || int_sum_ < INT64_MIN) {
      out->push_back(Value());
    } else {
      out->push_back(Value::Int(static_cast<int64_t>(int_sum_)));
    }
  }
  void EncodeFixed(std::string* out) const override {
    PutVarint64(out, static_cast<uint64_t>(n_));
    if (f_->integral_) {
      PutInt128(out, int_sum_);
    } else {
      PutDouble(out, sum_);
    }
  }
  bool DecodeFixed(Decoder* in) override {
    uint64_t n;
    if (!in->GetVarint64(&n)) return false;
    n_ = static_cast<int64_t>(n);
    return f_->integral_ ? GetInt128(in, &int_sum_) : GetDouble(in, &sum_);
  }
  size_t ApproxBytes() const override { return sizeof(*this); }

 private:
  const SumFunction* f_;
  int64_t n_ = 0;
  __int128 int_sum_ = 0;
  double sum_ = 0;
};

std::unique_ptr<AggregateState> SumFunction::NewState() const {
  return std::make_unique<SumState>(this);
}

// min and max of any comparable column.
class MinMaxFunction final : public AggregateFunction {
 public:
  MinMaxFunction(std::string name, int column, const Column& input, bool max)
      : column_(column), max_(max) {
    Column c = input;
    c.name = std::move(name);
    c.nullable = true;
    outputs_.push_back(std::move(c));
  }
  std::unique_ptr<AggregateState> NewState() const override;
  int column_;
  bool max_;
};

class MinMaxState final : public AggregateState {
 public:
  explicit MinMaxState(const MinMaxFunction* f) : f_(f) {}
  void Add(const Row& row) override { Offer(row[f_->column_]); }
  void Merge(const AggregateState& other) override {
    Offer(static_cast<const MinMaxState&>(other).best_);
  }
  void AppendResult(Row* out) const override { out->push_back(best_); }
  void EncodeFixed(std::string* out) const override { best_.EncodeTo(out); }
  bool DecodeFixed(Decoder* in) override { return Value::DecodeFrom(in, &best_); }
  size_t ApproxBytes() const override {
    return sizeof(*this) + (best_.type() == Type::kString ? best_.as_string().capacity() : 0);
  }

 private:
  void Offer(const Value& v) {
    if (v.is_null()) return;
    const int c = best_.is_null() ? (f_->max_ ? 1 : -1) : CompareValues(v, best_);
    if (f_->max_ ? c > 0 : c < 0) best_ = v;
  }
  const MinMaxFunction* f_;
  Value best_;
};

std::unique_ptr<AggregateState> MinMaxFunction::NewState() const {
  return std::make_unique<MinMaxState>(this);
}

// arg_max / arg_min: the value of `column` in the row with the largest (smallest) `by`. Rows
// with a null `by` are ignored; among rows with the same `by`, the smallest value wins, null
// last (a name beats no name).
class ArgFunction final : public AggregateFunction {
 public:
  ArgFunction(std::string name, int column, const Column& value, int by, const Column& by_column,
              std::optional<std::string> by_as, bool max)
      : column_(column), by_(by), max_(max) {
    Column c = value;
    c.name = std::move(name);
    c.nullable = true;
    outputs_.push_back(std::move(c));
    if (by_as) {
      Column b = by_column;
      b.name = *by_as;
      b.nullable = true;
      outputs_.push_back(std::move(b));
    }
  }
  std::unique_ptr<AggregateState> NewState() const override;
  int column_;
  int by_;
  bool max_;
};

class ArgState final : public AggregateState {
 public:
  explicit ArgState(const ArgFunction* f) : f_(f) {}
  void Add(const Row& row) override { Offer(row[f_->by_], row[f_->column_]); }
  void Merge(const AggregateState& other) override {
    const auto& o = static_cast<const ArgState&>(other);
    Offer(o.by_, o.value_);
  }
  void AppendResult(Row* out) const override {
    out->push_back(value_);
    if (f_->outputs().size() > 1) out->push_back(by_);
  }
  void EncodeFixed(std::string* out) const override {
    by_.EncodeTo(out);
    value_.EncodeTo(out);
  }
  bool DecodeFixed(Decoder* in) override {
    return Value::DecodeFrom(in, &by_) && Value::DecodeFrom(in, &value_);
  }
  size_t ApproxBytes() const override { return sizeof(*this) + 32; }

 private:
  void Offer(const Value& by, const Value& value) {
    if (by.is_null()) return;
    int c = 1;  // the first candidate wins
    if (!by_.is_null()) c = f_->max_ ? CompareValues(by, by_) : CompareValues(by_, by);
    if (c == 0) {
      // The tie rule: the smaller value, with null after every value.
      if (value.is_null()) return;
      c = value_.is_null() ? 1 : -CompareValues(value, value_);
    }
    if (c > 0) {
      by_ = by;
      value_ = value;
    }
  }
  const ArgFunction* f_;
  Value by_;  // null until the first row
  Value value_;
};

std::unique_ptr<AggregateState> ArgFunction::NewState() const {
  return std::make_unique<ArgState>(this);
}

// ---------------------------------------------------------------------------------------------
// Entry-based accumulators: a count per distinct value.

// Distinct keys with their counts, and which counts changed since they were last persisted.
template <typename K, typename Less>
class Counts {
 public:
  struct Entry {
    int64_t count = 0;
    int64_t persisted = 0;  // the count as last written to the state store
  };
  using Map = std::map<K, Entry, Less>;

  typename Map::iterator Add(const K& key, int64_t n) {
    auto it = map_.try_emplace(key).first;
    if (it->second.count == it->second.persisted) changed_.push_back(it);
    it->second.count += n;
    total_ += n;
    return it;
  }
  // An entry read back from the store: persisted as it is.
  typename Map::iterator Load(const K& key, int64_t n) {
    auto it = map_.try_emplace(key).first;
    it->second.count += n;
    it->second.persisted += n;
    total_ += n;
    return it;
  }
  void MergeFrom(const Counts& other) {
    for (const auto& [k, e] : other.map_) Add(k, e.count);
  }

  template <typename EncodeKey>
  void ForEach(bool changed_only, EncodeKey encode,
               const AggregateState::EntryVisitor& visit) const {
    std::string key;
    auto one = [&](const typename Map::value_type& kv) {
      key.clear();
      encode(kv.first, &key);
      visit(key, kv.second.count, kv.second.persisted);
    };
    if (changed_only) {
      for (auto it : changed_) one(*it);
    } else {
      for (const auto& kv : map_) one(kv);
    }
  }
  void MarkPersisted() {
    for (auto it : changed_) it->second.persisted = it->second.count;
    changed_.clear();
  }

  const Map& map() const { return map_; }
  int64_t total() const { return total_; }

 private:
  Map map_;
  std::vector<typename Map::iterator> changed_;
  int64_t total_ = 0;
};

constexpr size_t kMapNodeBytes = 64;  // a std::map node's overhead, roughly

void EncodeValueKey(const Value& v, std::string* out) { v.EncodeTo(out); }

bool DecodeValueKey(std::string_view in, Value* v) {
  Decoder d(in);
  return Value::DecodeFrom(&d, v) && d.empty();
}

size_t ValueBytes(const Value& v) {
  return sizeof(Value) + (v.type() == Type::kString ? v.as_string().size() : 0);
}

// percentile (and median = percentile 0.5) of an int or double column, exact: Spark's
// percentile(col, p): over the n non-null values in order, position (n - 1) * p, linear
// interpolation between the values at its floor and ceiling. NaN is ignored like null.
class PercentileFunction final : public AggregateFunction {
 public:
  PercentileFunction(std::string name, int column, double p) : column_(column), p_(p) {
    outputs_.push_back(Column{std::move(name), Type::kDouble, Type::kNull, true});
  }
  std::unique_ptr<AggregateState> NewState() const override;
  bool has_entries() const override { return true; }
  int column_;
  double p_;
};

// The values with their counts, ordered, plus a cursor kept on the value at rank
// floor((n - 1) * p): each insert moves that rank by at most one, so the cursor moves by at most
// one entry, and the result is O(1) instead of a walk over the values.
class PercentileState final : public AggregateState {
 public:
  explicit PercentileState(const PercentileFunction* f) : f_(f) {}

  void Add(const Row& row) override {
    const Value& v = row[f_->column_];
    if (v.is_null()) return;
    double d = v.type() == Type::kInt ? static_cast<double>(v.as_int()) : v.as_double();
    if (std::isnan(d)) return;
    if (d == 0) d = 0;  // -0.0 and 0.0 are one value
    counts_.Add(d, 1);
    if (!cursor_valid_) return;
    if (d < cursor_->first) ++before_;
    MoveCursor();
  }
  void Merge(const AggregateState& other) override {
    counts_.MergeFrom(static_cast<const PercentileState&>(other).counts_);
    cursor_valid_ = false;
  }
  void AppendResult(Row* out) const override {
    const int64_t n = counts_.total();
    if (n == 0) {
      out->push_back(Value());
      return;
    }
    if (!cursor_valid_) {
      cursor_ = counts_.map().begin();
      before_ = 0;
      cursor_valid_ = true;
      MoveCursor();
    }
    const double pos = static_cast<double>(n - 1) * f_->p_;
    const double lower = std::floor(pos), higher = std::ceil(pos);
    const double low_value = cursor_->first;
    double high_value = low_value;
    if (static_cast<int64_t>(higher) >= before_ + cursor_->second.count) {
      high_value = std::next(cursor_)->first;
    }
    if (lower == higher || low_value == high_value) {
      out->push_back(Value::Double(low_value));
    } else {
      out->push_back(Value::Double((higher - pos) * low_value + (pos - lower) * high_value));
    }
  }
  bool LoadEntry(std::string_view value, int64_t count) override {
    if (value.size() != 8 || count <= 0) return false;
    double d;
    uint64_t bits = DecodeFixed64BE(value.data());
    std::memcpy(&d, &bits, sizeof(d));
    counts_.Load(d, count);
    cursor_valid_ = false;
    return true;
  }
  void ForEachEntry(bool changed_only, const EntryVisitor& visit) const override {
    counts_.ForEach(
        changed_only, [](double d, std::string* out) { PutDouble(out, d); }, visit);
  }
  void MarkPersisted() override { counts_.MarkPersisted(); }
  size_t ApproxBytes() const override {
    return sizeof(*this) + counts_.map().size() * (kMapNodeBytes + 24);
  }

 private:
  // Moves the cursor to the entry holding rank floor((n - 1) * p).
  void MoveCursor() const {
    const int64_t n = counts_.total();
    const auto rank = static_cast<int64_t>(std::floor(static_cast<double>(n - 1) * f_->p_));
    while (rank < before_) {
      --cursor_;
      before_ -= cursor_->second.count;
    }
    while (rank >= before_ + cursor_->second.count) {
      before_ += cursor_->second.count;
      ++cursor_;
    }
  }

  const PercentileFunction* f_;
  Counts<double, std::less<double>> counts_;
  // The cursor is a cache of the result, rebuilt lazily after a load or merge.
  mutable bool cursor_valid_ = false;
  mutable std::map<double, Counts<double, std::less<double>>::Entry>::const_iterator cursor_;
  mutable int64_t before_ = 0;  // values ranked before the cursor's
};

std::unique_ptr<AggregateState> PercentileFunction::NewState() const {
  return std::make_unique<PercentileState>(this);
}

// count_distinct, mode (the most frequent value, ties to the smallest) and top_k (the k most
// frequent values, by count then value) share one state: a count per distinct non-null value.
enum class FrequencyKind { kCountDistinct, kMode, kTopK };

class FrequencyFunction final : public AggregateFunction {
 public:
  FrequencyFunction(FrequencyKind kind, std::string name, int column, const Column& input,
                    std::optional<std::string> count_as, int64_t k)
      : kind_(kind), column_(column), k_(k) {
    switch (kind) {
      case FrequencyKind::kCountDistinct:
        outputs_.push_back(Column{std::move(name), Type::kInt, Type::kNull, false});
        break;
      case FrequencyKind::kMode: {
        Column c = input;
        c.name = std::move(name);
        c.nullable = true;
        outputs_.push_back(std::move(c));
        if (count_as) outputs_.push_back(Column{*count_as, Type::kInt, Type::kNull, true});
        break;
      }
      case FrequencyKind::kTopK:
        outputs_.push_back(Column{std::move(name), Type::kArray, input.type, true});
        break;
    }
  }
  std::unique_ptr<AggregateState> NewState() const override;
  bool has_entries() const override { return true; }
  FrequencyKind kind_;
  int column_;
  int64_t k_;
};

class FrequencyState final : public AggregateState {
 public:
  explicit FrequencyState(const FrequencyFunction* f) : f_(f) {}

  void Add(const Row& row) override {
    const Value& v = row[f_->column_];
    if (v.is_null()) return;
    Offer(counts_.Add(v, 1));
  }
  void Merge(const AggregateState& other) override {
    counts_.MergeFrom(static_cast<const FrequencyState&>(other).counts_);
    has_best_ = false;
    for (auto it = counts_.map().begin(); it != counts_.map().end(); ++it) Offer(it);
  }
  void AppendResult(Row* out) const override {
    switch (f_->kind_) {
      case FrequencyKind::kCountDistinct:
        out->push_back(Value::Int(static_cast<int64_t>(counts_.map().size())));
        return;
      case FrequencyKind::kMode:
        out->push_back(has_best_ ? best_->first : Value());
        if (f_->outputs().size() > 1) {
          out->push_back(has_best_ ? Value::Int(best_->second.count) : Value());
        }
        return;
      case FrequencyKind::kTopK: {
        std::vector<const Map::value_type*> all;
        all.reserve(counts_.map().size());
        for (const auto& kv : counts_.map()) all.push_back(&kv);
        const size_t k = std::min(all.size(), static_cast<size_t>(f_->k_));
        // Stable on value order: equal counts keep the map's (value) order.
        std::partial_sort(all.begin(), all.begin() + k, all.end(), [](auto* a, auto* b) {
          if (a->second.count != b->second.count) return a->second.count > b->second.count;
          return CompareValues(a->first, b->first) < 0;
        });
        Value::Array top;
        for (size_t i = 0; i < k; ++i) top.push_back(all[i]->first);
        out->push_back(Value::MakeArray(std::move(top)));
        return;
      }
    }
  }
  bool LoadEntry(std::string_view value, int64_t count) override {
    Value v;
    if (count <= 0 || !DecodeValueKey(value, &v)) return false;
    Offer(counts_.Load(v, count));
    return true;
  }
  void ForEachEntry(bool changed_only, const EntryVisitor& visit) const override {
    counts_.ForEach(changed_only, EncodeValueKey, visit);
  }
  void MarkPersisted() override { counts_.MarkPersisted(); }
  size_t ApproxBytes() const override {
    size_t bytes = sizeof(*this) + counts_.map().size() * (kMapNodeBytes + 16);
    for (const auto& [v, e] : counts_.map()) bytes += ValueBytes(v);
    return bytes;
  }

 private:
  using Map = Counts<Value, ValueLess>::Map;
  // Counts only grow, so the best can only be displaced by the entry whose count just grew.
  void Offer(Map::const_iterator it) {
    if (!has_best_ || it->second.count > best_->second.count ||
        (it->second.count == best_->second.count && CompareValues(it->first, best_->first) < 0)) {
      best_ = it;
      has_best_ = true;
    }
  }

  const FrequencyFunction* f_;
  Counts<Value, ValueLess> counts_;
  bool has_best_ = false;
  Map::const_iterator best_;
};

std::unique_ptr<AggregateState> FrequencyFunction::NewState() const {
  return std::make_unique<FrequencyState>(this);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

constexpr const char* kFunctions[] = {"count", "sum",    "min",        "max",
                                      "avg",   "median", "percentile", "count_distinct",
                                      "mode",  "top_k",  "arg_max",    "arg_min"};

bool IsNumeric(Type t) { return t == Type::kInt || t == Type::kDouble; }

std::unique_ptr<AggregateFunction> ParseOne(const OperatorArgs& a, const std::string& p,
                                            const std::string& name,
                                            const nlohmann::ordered_json& spec) {
  if (spec.is_string()) {
    if (spec.get<std::string>() == "count") return std::make_unique<CountFunction>(name, -1);
    a.Error(p,
            "a function given as a string is \"count\" (of rows); the others name a column, "
            "e.g. {\"sum\": \"col\"}");
    return nullptr;
  }
  if (!spec.is_object()) {
    a.Error(p, "must be \"count\" or an object such as {\"max\": \"col\"}");
    return nullptr;
  }
  std::string fn;
  for (const char* f : kFunctions) {
    if (!spec.contains(f)) continue;
    if (!fn.empty()) {
      a.Error(p, "names two functions, '" + fn + "' and '" + f + "'");
      return nullptr;
    }
    fn = f;
  }
  if (fn.empty()) {
    std::string known;
    for (const char* f : kFunctions) known += (known.empty() ? "" : ", ") + std::string(f);
    a.Error(p, "names no function (functions: " + known + ")");
    return nullptr;
  }
  std::vector<std::string> options;
  if (fn == "percentile") options = {"p"};
  if (fn == "mode") options = {"count_as"};
  if (fn == "top_k") options = {"k"};
  if (fn == "arg_max" || fn == "arg_min") options = {"by", "by_as"};
  bool ok = true;
  for (const auto& [key, _] : spec.items()) {
    if (key != fn && std::find(options.begin(), options.end(), key) == options.end()) {
      a.Error(p + "/" + key, "unknown option '" + key + "' of " + fn);
      ok = false;
    }
  }
  auto column = [&](const std::string& field) -> int {
    const auto& v = spec[field];
    if (!v.is_string()) {
      a.Error(p + "/" + field, "must name a column");
      return -2;
    }
    const std::string col = v.get<std::string>();
    if (field == "count" && col == "*") return -1;
    int i = a.input.Find(col);
    if (i < 0) a.Error(p + "/" + field, "unknown column '" + col + "'");
    return i < 0 ? -2 : i;
  };
  auto optional_name = [&](const char* field) -> std::optional<std::string> {
    if (!spec.contains(field)) return std::nullopt;
    if (!spec[field].is_string() || spec[field].get<std::string>().empty()) {
      a.Error(p + "/" + field, "must be a column name");
      ok = false;
      return std::nullopt;
    }
    return spec[field].get<std::string>();
  };
  const int col = column(fn);
  if (col == -2 || !ok) return nullptr;
  if (fn == "count") return std::make_unique<CountFunction>(name, col);
  const Column& input = a.input.column(col);
  auto require = [&](bool good, const std::string& what) {
    if (!good)
      a.Error(p + "/" + fn,
              fn + " needs " + what + ", '" + input.name + "' is " + ColumnTypeName(input));
    return good;
  };
  if (fn == "sum" || fn == "avg") {
    if (!require(IsNumeric(input.type), "an int or double column")) return nullptr;
    return std::make_unique<SumFunction>(name, col, input.type, fn == "avg");
  }
  if (fn == "min" || fn == "max") {
    if (!require(input.type != Type::kArray, "a column of scalars")) return nullptr;
    return std::make_unique<MinMaxFunction>(name, col, input, fn == "max");
  }
  if (fn == "median" || fn == "percentile") {
    if (!require(IsNumeric(input.type), "an int or double column")) return nullptr;
    double pct = 0.5;
    if (fn == "percentile") {
      if (!spec.contains("p")) {
        a.Error(p, "percentile needs \"p\", a fraction between 0 and 1 (0.5 is the median)");
        return nullptr;
      }
      if (!spec["p"].is_number() || spec["p"].get<double>() < 0 || spec["p"].get<double>() > 1) {
        a.Error(p + "/p", "must be a number between 0 and 1");
        return nullptr;
      }
      pct = spec["p"].get<double>();
    }
    return std::make_unique<PercentileFunction>(name, col, pct);
  }
  if (fn == "count_distinct" || fn == "mode" || fn == "top_k") {
    if (!require(input.type != Type::kArray, "a column of scalars")) return nullptr;
    auto count_as = optional_name("count_as");
    int64_t k = 1;
    if (fn == "top_k") {
      if (!spec.contains("k") || !spec["k"].is_number_integer() || spec["k"].get<int64_t>() < 1 ||
          spec["k"].get<int64_t>() > 1000) {
        a.Error(spec.contains("k") ? p + "/k" : p, "top_k needs \"k\", an integer from 1 to 1000");
        return nullptr;
      }
      k = spec["k"].get<int64_t>();
    }
    if (!ok) return nullptr;
    const auto kind = fn == "mode"    ? FrequencyKind::kMode
                      : fn == "top_k" ? FrequencyKind::kTopK
                                      : FrequencyKind::kCountDistinct;
    return std::make_unique<FrequencyFunction>(kind, name, col, input, count_as, k);
  }
  // arg_max, arg_min
  if (!spec.contains("by")) {
    a.Error(p, fn + " needs \"by\": the column whose largest (smallest) value picks the row");
    return nullptr;
  }
  const int by = column("by");
  auto by_as = optional_name("by_as");
  if (by == -2 || by == -1 || !ok) return nullptr;
  if (a.input.column(by).type == Type::kArray) {
    a.Error(p + "/by", "'" + a.input.column(by).name + "' must be a column of scalars");
    return nullptr;
  }
  return std::make_unique<ArgFunction>(name, col, input, by, a.input.column(by), by_as,
                                       fn == "arg_max");
}

}  // namespace

std::optional<std::vector<std::unique_ptr<AggregateFunction>>> ParseAggregates(
    const OperatorArgs& a, const char* field, std::vector<Column>* columns) {
  auto it = a.config.find(field);
  if (it == a.config.end() || !it->is_object() || it->empty()) {
    a.Error(it == a.config.end() ? "" : field,
            std::string("needs \"") + field +
                "\": {\"output column\": \"count\" or {\"function\": \"column\"}, ...}");
    return std::nullopt;
  }
  std::vector<std::unique_ptr<AggregateFunction>> functions;
  bool ok = true;
  for (const auto& [name, spec] : it->items()) {
    const std::string p = std::string(field) + "/" + name;
    auto fn = ParseOne(a, p, name, spec);
    if (!fn) {
      ok = false;
      continue;
    }
    for (const Column& c : fn->outputs()) {
      if (std::any_of(columns->begin(), columns->end(),
                      [&](const Column& o) { return o.name == c.name; })) {
        a.Error(p, "column '" + c.name + "' already exists");
        ok = false;
      }
      columns->push_back(c);
    }
    functions.push_back(std::move(fn));
  }
  if (!ok) return std::nullopt;
  return functions;
}

}  // namespace pinstream
