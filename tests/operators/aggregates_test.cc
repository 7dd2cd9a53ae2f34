// The aggregate library: every function's result (nulls, ties, even and odd medians, Spark's
// percentile interpolation), merging (session windows), the encode/decode round trip of fixed
// parts and entries, and the configuration errors.
#include "operators/aggregates.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/operators/operator_test_util.h"

namespace pinstream {
namespace {

using testing::Col;
using testing::Dbl;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::RowText;
using testing::Str;

// Columns: 0 n (int), 1 x (double), 2 s (string), 3 t (timestamp)
const Schema kSchema({Col("n", Type::kInt), Col("x", Type::kDouble), Col("s", Type::kString),
                      Col("t", Type::kTimestamp)});

struct Parsed {
  std::vector<std::unique_ptr<AggregateFunction>> functions;
  std::vector<Column> columns;
  std::vector<std::string> errors;
};

Parsed Parse(const ojson& aggregates) {
  Parsed p;
  ojson config = {{"op", "aggregate"}, {"aggregates", aggregates}};
  Schema output;
  BuildErrors errors;
  std::vector<SideOutput> sides;
  OperatorArgs args{config, "/step", kSchema, &output, &errors, &sides};
  auto fns = ParseAggregates(args, "aggregates", &p.columns);
  if (fns) p.functions = std::move(*fns);
  for (const auto& e : errors.errors()) p.errors.push_back(e.pointer + ": " + e.message);
  return p;
}

// The results of one aggregate over `rows`.
Row Aggregate(const ojson& spec, const std::vector<Row>& rows) {
  Parsed p = Parse({{"out", spec}});
  EXPECT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  if (p.functions.empty()) return {};
  auto state = p.functions[0]->NewState();
  for (const auto& r : rows) state->Add(r);
  Row out;
  state->AppendResult(&out);
  return out;
}

Row R(Value n, Value x = Null(), Value s = Null(), Value t = Null()) {
  return {std::move(n), std::move(x), std::move(s), std::move(t)};
}

std::vector<Row> Ints(std::initializer_list<std::optional<int64_t>> values) {
  std::vector<Row> rows;
  for (const auto& v : values) rows.push_back(R(v ? Int(*v) : Null()));
  return rows;
}

TEST(AggregatesTest, CountRowsAndNonNull) {
  const auto rows = Ints({1, std::nullopt, 3, std::nullopt});
  EXPECT_EQ(Aggregate("count", rows), Row{Int(4)});
  EXPECT_EQ(Aggregate({{"count", "*"}}, rows), Row{Int(4)});
  EXPECT_EQ(Aggregate({{"count", "n"}}, rows), Row{Int(2)});
  EXPECT_EQ(Aggregate("count", {}), Row{Int(0)});
}

TEST(AggregatesTest, SumMinMaxAvg) {
  const auto rows = Ints({5, std::nullopt, -2, 10});
  EXPECT_EQ(Aggregate({{"sum", "n"}}, rows), Row{Int(13)});
  EXPECT_EQ(Aggregate({{"min", "n"}}, rows), Row{Int(-2)});
  EXPECT_EQ(Aggregate({{"max", "n"}}, rows), Row{Int(10)});
  EXPECT_EQ(Aggregate({{"avg", "n"}}, rows), Row{Dbl(13.0 / 3)});
  // All null (or no rows): null, as in SQL.
  EXPECT_EQ(Aggregate({{"sum", "n"}}, Ints({std::nullopt})), Row{Null()});
  EXPECT_EQ(Aggregate({{"avg", "n"}}, {}), Row{Null()});
  EXPECT_EQ(Aggregate({{"min", "n"}}, {}), Row{Null()});
  // Doubles, strings (bytewise) and timestamps.
  EXPECT_EQ(Aggregate({{"sum", "x"}}, {R(Null(), Dbl(1.5)), R(Null(), Dbl(2.25))}), Row{Dbl(3.75)});
  EXPECT_EQ(Aggregate({{"max", "s"}}, {R(Null(), Null(), Str("b")), R(Null(), Null(), Str("ab"))}),
            Row{Str("b")});
  EXPECT_EQ(Aggregate({{"min", "t"}}, {R(Null(), Null(), Null(), Value::TimestampMs(9)),
                                       R(Null(), Null(), Null(), Value::TimestampMs(-4))}),
            Row{Value::TimestampMs(-4)});
  // Integer sums are exact past 2^53 and null beyond int64.
  const int64_t big = int64_t{1} << 62;
  EXPECT_EQ(Aggregate({{"sum", "n"}}, Ints({big, 1, -big})), Row{Int(1)});
  EXPECT_EQ(Aggregate({{"sum", "n"}}, Ints({big, big})), Row{Null()});
}

TEST(AggregatesTest, MedianOddEvenAndNulls) {
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({7, 1, 3})), Row{Dbl(3)});
  // Even count: the mean of the two middle values.
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({7, 1, 3, 4})), Row{Dbl(3.5)});
  // Nulls are not values: the median of {1, 2} whatever the nulls.
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({std::nullopt, 2, std::nullopt, 1, std::nullopt})),
            Row{Dbl(1.5)});
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({std::nullopt})), Row{Null()});
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({42})), Row{Dbl(42)});
  // Duplicates count as many values.
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({5, 5, 5, 1})), Row{Dbl(5)});
  EXPECT_EQ(Aggregate({{"median", "n"}}, Ints({1, 1, 9, 9})), Row{Dbl(5)});
  EXPECT_EQ(Aggregate({{"median", "x"}}, {R(Null(), Dbl(0.5)), R(Null(), Dbl(-0.5))}), Row{Dbl(0)});
}

TEST(AggregatesTest, PercentileInterpolatesAsSpark) {
  const auto rows = Ints({10, 20, 30, 40, 50});
  // Position (n - 1) * p = 4p: interpolation between the values at floor and ceil.
  EXPECT_EQ(Aggregate({{"percentile", "n"}, {"p", 0}}, rows), Row{Dbl(10)});
  EXPECT_EQ(Aggregate({{"percentile", "n"}, {"p", 1}}, rows), Row{Dbl(50)});
  EXPECT_EQ(Aggregate({{"percentile", "n"}, {"p", 0.25}}, rows), Row{Dbl(20)});
  EXPECT_EQ(Aggregate({{"percentile", "n"}, {"p", 0.1}}, rows), Row{Dbl(14)});
  EXPECT_EQ(Aggregate({{"percentile", "n"}, {"p", 0.9}}, rows), Row{Dbl(46)});
}

// The incremental cursor against a sort, for random inserts, read after every insert.
TEST(AggregatesTest, PercentileCursorMatchesASortAfterEveryInsert) {
  for (double p : {0.0, 0.1, 0.5, 0.77, 1.0}) {
    Parsed parsed = Parse({{"q", {{"percentile", "n"}, {"p", p}}}});
    ASSERT_TRUE(parsed.errors.empty());
    auto state = parsed.functions[0]->NewState();
    std::mt19937 rng(7);
    std::vector<double> values;
    for (int i = 0; i < 400; ++i) {
      const int64_t v = rng() % 50;  // many duplicates
      values.push_back(static_cast<double>(v));
      state->Add(R(Int(v)));
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      const double pos = static_cast<double>(sorted.size() - 1) * p;
      const double lo = std::floor(pos), hi = std::ceil(pos);
      const double expected = lo == hi ? sorted[static_cast<size_t>(lo)]
                                       : (hi - pos) * sorted[static_cast<size_t>(lo)] +
                                             (pos - lo) * sorted[static_cast<size_t>(hi)];
      Row out;
      state->AppendResult(&out);
      ASSERT_EQ(out, Row{Dbl(expected)}) << "p=" << p << " after " << values.size();
    }
  }
}

TEST(AggregatesTest, CountDistinctModeAndTopK) {
  auto strs = [](std::initializer_list<const char*> values) {
    std::vector<Row> rows;
    for (const char* v : values) rows.push_back(R(Null(), Null(), v ? Str(v) : Null()));
    return rows;
  };
  const auto rows = strs({"b", "a", "c", "b", nullptr, "a", nullptr, "d"});
  EXPECT_EQ(Aggregate({{"count_distinct", "s"}}, rows), Row{Int(4)});
  // a and b both appear twice: the tie goes to the smaller value.
  EXPECT_EQ(Aggregate({{"mode", "s"}, {"count_as", "n"}}, rows), (Row{Str("a"), Int(2)}));
  EXPECT_EQ(Aggregate({{"mode", "s"}}, rows), Row{Str("a")});
  EXPECT_EQ(Aggregate({{"mode", "s"}, {"count_as", "n"}}, strs({"z", "y", "z"})),
            (Row{Str("z"), Int(2)}));
  EXPECT_EQ(Aggregate({{"mode", "s"}, {"count_as", "n"}}, strs({nullptr})), (Row{Null(), Null()}));
  EXPECT_EQ(Aggregate({{"top_k", "s"}, {"k", 3}}, rows),
            Row{Value::MakeArray({Str("a"), Str("b"), Str("c")})});
  EXPECT_EQ(Aggregate({{"top_k", "s"}, {"k", 10}}, strs({"x"})), Row{Value::MakeArray({Str("x")})});
}

TEST(AggregatesTest, ArgMaxAndArgMinWithTies) {
  // (name, followers): the most followers wins; a tie goes to the smallest name; a null name
  // loses a tie; a null follower count is not a candidate.
  std::vector<Row> rows = {R(Int(10), Null(), Str("carol")), R(Int(30), Null(), Str("bob")),
                           R(Int(30), Null(), Str("alice")), R(Int(30), Null(), Null()),
                           R(Null(), Null(), Str("aaron")),  R(Int(5), Null(), Str("zed"))};
  EXPECT_EQ(Aggregate({{"arg_max", "s"}, {"by", "n"}, {"by_as", "followers"}}, rows),
            (Row{Str("alice"), Int(30)}));
  EXPECT_EQ(Aggregate({{"arg_min", "s"}, {"by", "n"}}, rows), Row{Str("zed")});
  EXPECT_EQ(Aggregate({{"arg_max", "s"}, {"by", "n"}}, {R(Int(1), Null(), Null())}), Row{Null()});
  EXPECT_EQ(Aggregate({{"arg_max", "s"}, {"by", "n"}, {"by_as", "f"}}, {}), (Row{Null(), Null()}));
}

// Every function: a state rebuilt from its encoded fixed part and entries (as a cache miss
// reads them back) gives the same result, and keeps counting from there.
TEST(AggregatesTest, EncodeDecodeRoundTrip) {
  Parsed p = Parse({{"c", "count"},
                    {"sum", {{"sum", "n"}}},
                    {"avg", {{"avg", "x"}}},
                    {"min", {{"min", "s"}}},
                    {"med", {{"median", "n"}}},
                    {"p9", {{"percentile", "x"}, {"p", 0.9}}},
                    {"cd", {{"count_distinct", "s"}}},
                    {"mode", {{"mode", "s"}, {"count_as", "mode_count"}}},
                    {"top", {{"top_k", "n"}, {"k", 2}}},
                    {"arg", {{"arg_max", "s"}, {"by", "t"}}}});
  ASSERT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  std::mt19937 rng(3);
  auto random_row = [&] {
    const char* names[] = {"ann", "bo", "cy", "di"};
    return R(rng() % 5 ? Int(rng() % 20) : Null(), Dbl((rng() % 100) / 4.0),
             rng() % 7 ? Str(names[rng() % 4]) : Null(), Value::TimestampMs(rng() % 9));
  };
  for (size_t i = 0; i < p.functions.size(); ++i) {
    const auto& f = p.functions[i];
    auto original = f->NewState();
    std::vector<Row> more;
    for (int k = 0; k < 60; ++k) original->Add(random_row());
    std::string fixed;
    original->EncodeFixed(&fixed);
    std::vector<std::pair<std::string, int64_t>> entries;
    original->ForEachEntry(false, [&](std::string_view v, int64_t n, int64_t persisted) {
      EXPECT_EQ(persisted, 0);
      entries.emplace_back(std::string(v), n);
    });
    EXPECT_EQ(f->has_entries(), !entries.empty()) << f->outputs()[0].name;
    auto copy = f->NewState();
    Decoder d(fixed);
    ASSERT_TRUE(copy->DecodeFixed(&d)) << f->outputs()[0].name;
    EXPECT_TRUE(d.empty());
    for (const auto& [v, n] : entries) ASSERT_TRUE(copy->LoadEntry(v, n));
    for (int k = 0; k < 20; ++k) {
      Row r = random_row();
      original->Add(r);
      copy->Add(r);
    }
    Row a, b;
    original->AppendResult(&a);
    copy->AppendResult(&b);
    EXPECT_EQ(a, b) << f->outputs()[0].name << ": " << RowText(a) << " vs " << RowText(b);
    // The loaded entries count as persisted; only those the later rows changed are "changed".
    copy->ForEachEntry(
        true, [&](std::string_view, int64_t n, int64_t persisted) { EXPECT_GT(n, persisted); });
  }
}

// Merging two states equals one state fed both halves (session windows merge this way).
TEST(AggregatesTest, MergeEqualsOneState) {
  Parsed p = Parse({{"c", {{"count", "n"}}},
                    {"sum", {{"sum", "n"}}},
                    {"max", {{"max", "n"}}},
                    {"med", {{"median", "n"}}},
                    {"mode", {{"mode", "n"}, {"count_as", "mc"}}},
                    {"arg", {{"arg_min", "s"}, {"by", "n"}}}});
  ASSERT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  std::vector<Row> rows;
  for (int i = 0; i < 50; ++i)
    rows.push_back(R(Int((i * 37) % 11), Null(), Str(std::to_string(i))));
  for (const auto& f : p.functions) {
    auto whole = f->NewState(), left = f->NewState(), right = f->NewState();
    for (size_t i = 0; i < rows.size(); ++i) {
      whole->Add(rows[i]);
      (i % 3 == 0 ? left : right)->Add(rows[i]);
    }
    left->Merge(*right);
    Row a, b;
    whole->AppendResult(&a);
    left->AppendResult(&b);
    EXPECT_EQ(a, b) << f->outputs()[0].name;
  }
}

TEST(AggregatesTest, OutputColumns) {
  Parsed p = Parse({{"rows", "count"},
                    {"total", {{"sum", "x"}}},
                    {"med", {{"median", "n"}}},
                    {"category", {{"mode", "s"}, {"count_as", "category_count"}}},
                    {"top", {{"top_k", "s"}, {"k", 2}}},
                    {"poster", {{"arg_max", "s"}, {"by", "n"}, {"by_as", "followers"}}}});
  ASSERT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  std::vector<std::string> names;
  std::vector<std::string> types;
  for (const auto& c : p.columns) {
    names.push_back(c.name);
    types.push_back(ColumnTypeName(c));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"rows", "total", "med", "category", "category_count",
                                             "top", "poster", "followers"}));
  EXPECT_EQ(types, (std::vector<std::string>{"int", "double", "double", "string", "int",
                                             "array<string>", "string", "int"}));
}

TEST(AggregatesTest, ConfigErrors) {
  using Errors = std::vector<std::string>;
  EXPECT_EQ(Parse({{"a", "sum"}}).errors,
            Errors{"/step/aggregates/a: a function given as a string is \"count\" (of rows); the "
                   "others name a column, e.g. {\"sum\": \"col\"}"});
  EXPECT_EQ(Parse({{"a", {{"sum", "nope"}}}}).errors,
            Errors{"/step/aggregates/a/sum: unknown column 'nope'"});
  EXPECT_EQ(Parse({{"a", {{"sum", "s"}}}}).errors,
            Errors{"/step/aggregates/a/sum: sum needs an int or double column, 's' is string"});
  EXPECT_EQ(Parse({{"a", {{"median", "n"}, {"p", 0.5}}}}).errors,
            Errors{"/step/aggregates/a/p: unknown option 'p' of median"});
  EXPECT_EQ(Parse({{"a", {{"percentile", "n"}, {"p", 2}}}}).errors,
            Errors{"/step/aggregates/a/p: must be a number between 0 and 1"});
  EXPECT_EQ(Parse({{"a", {{"arg_max", "s"}}}}).errors,
            Errors{"/step/aggregates/a: arg_max needs \"by\": the column whose largest (smallest) "
                   "value picks the row"});
  EXPECT_EQ(Parse({{"a", {{"max", "n"}, {"min", "n"}}}}).errors,
            Errors{"/step/aggregates/a: names two functions, 'min' and 'max'"});
  EXPECT_EQ(Parse({{"a", {{"top_k", "s"}}}}).errors,
            Errors{"/step/aggregates/a: top_k needs \"k\", an integer from 1 to 1000"});
  EXPECT_EQ(Parse({{"a", "count"}, {"b", {{"mode", "s"}, {"count_as", "a"}}}}).errors,
            Errors{"/step/aggregates/b: column 'a' already exists"});
  EXPECT_EQ(Parse(ojson::object()).errors,
            Errors{"/step/aggregates: needs \"aggregates\": {\"output column\": \"count\" or "
                   "{\"function\": \"column\"}, ...}"});
}

TEST(AggregatesTest, CompareValuesIsATotalOrder) {
  EXPECT_LT(CompareValues(Null(), Int(-100)), 0);
  EXPECT_LT(CompareValues(Int(-3), Int(2)), 0);
  EXPECT_EQ(CompareValues(Str("a"), Str("a")), 0);
  EXPECT_LT(CompareValues(Str("B"), Str("a")), 0);  // bytewise: uppercase first
  EXPECT_LT(CompareValues(Str("ab"), Str("b")), 0);
  EXPECT_GT(CompareValues(Dbl(std::nan("")), Dbl(1e300)), 0);
  EXPECT_LT(CompareValues(Value::MakeArray({Int(1)}), Value::MakeArray({Int(1), Int(0)})), 0);
}

}  // namespace
}  // namespace pinstream
