#pragma once

// The business questions of SPEC §6 computed in batch over the cleaned tables pin, geo and user,
// as a Spark SQL query over the Delta tables would: written apart from the operators, in plain
// C++ (maps, sorts, gmtime), so that the streaming q_* tables can be checked against it. The
// join is an inner join on ind (a post counts once all three rows exist); ties go to the
// smallest category or poster_name; medians are exact (the mean of the middle two for an even
// count); nulls are ignored by every aggregate and form a group of their own.

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/value.h"
#include "tests/operators/pipeline_test_util.h"

namespace pinstream::testing {

// table -> its rows as JSON lines (columns in table order), sorted.
using TableLines = std::map<std::string, std::vector<std::string>>;

inline const std::vector<std::string>& QuestionTables() {
  static const std::vector<std::string> tables = {
      "q_category_by_country",           "q_category_by_year",
      "q_followers_by_country",          "q_category_by_age_group",
      "q_median_followers_by_age_group", "q_users_joined_by_year",
      "q_median_followers_by_join_year", "q_median_followers_by_join_year_age_group"};
  return tables;
}

namespace reference {

using Json = nlohmann::ordered_json;
using OptString = std::optional<std::string>;
using OptInt = std::optional<int64_t>;

struct JoinedPost {
  OptString country, category, poster_name, user_name;
  OptInt follower_count, age, timestamp_ms, date_joined_ms;
};

inline Json J(const OptString& s) { return s ? Json(*s) : Json(nullptr); }
inline Json J(const OptInt& i) { return i ? Json(*i) : Json(nullptr); }

inline OptInt YearOf(const OptInt& ms) {
  if (!ms) return std::nullopt;
  std::time_t seconds = static_cast<std::time_t>(*ms / 1000 - (*ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm.tm_year + 1900;
}

inline OptString AgeGroup(const OptInt& age) {
  if (!age) return std::nullopt;
  if (*age >= 18 && *age <= 24) return "18-24";
  if (*age >= 25 && *age <= 35) return "25-35";
  if (*age >= 36 && *age <= 50) return "36-50";
  if (*age > 50) return "+50";
  return std::nullopt;
}

// The most frequent non-null value and its count; ties to the smallest; nulls when none.
inline std::pair<Json, Json> Mode(const std::vector<OptString>& values) {
  std::map<std::string, int64_t> counts;
  for (const auto& v : values)
    if (v) ++counts[*v];
  const std::string* best = nullptr;
  int64_t best_count = 0;
  for (const auto& [v, n] : counts) {  // in ascending order: the first of a tie stays
    if (n > best_count) {
      best = &v;
      best_count = n;
    }
  }
  if (best == nullptr) return {nullptr, nullptr};
  return {*best, best_count};
}

inline Json Median(std::vector<OptInt> values) {
  std::vector<int64_t> v;
  for (const auto& x : values)
    if (x) v.push_back(*x);
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  if (n % 2 == 1) return static_cast<double>(v[n / 2]);
  return (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2.0;
}

// Groups posts by `key` (a JSON value, null included) and answers each group with `answer`.
template <typename KeyFn, typename AnswerFn>
std::vector<std::string> Grouped(const std::vector<JoinedPost>& posts, KeyFn key, AnswerFn answer) {
  std::map<std::string, std::pair<Json, std::vector<const JoinedPost*>>> groups;
  for (const JoinedPost& p : posts) {
    std::optional<Json> k = key(p);
    if (!k) continue;  // filtered out
    auto& g = groups[k->dump()];
    g.first = *k;
    g.second.push_back(&p);
  }
  std::vector<std::string> lines;
  for (const auto& [_, g] : groups) lines.push_back(answer(g.first, g.second).dump());
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace reference

// The answers to every question over the rows of pin, geo and user (each with one row per ind);
// `joined` receives the number of posts the join gave.
inline TableLines BatchAnswers(const Schema& pin_schema, const std::vector<Row>& pin,
                               const Schema& geo_schema, const std::vector<Row>& geo,
                               const Schema& user_schema, const std::vector<Row>& user,
                               size_t* joined) {
  using namespace reference;
  auto str = [](const Schema& s, const Row& r, const char* c) -> OptString {
    const Value& v = r[s.Find(c)];
    return v.is_null() ? OptString() : OptString(v.as_string());
  };
  auto num = [](const Schema& s, const Row& r, const char* c) -> OptInt {
    const Value& v = r[s.Find(c)];
    if (v.is_null()) return std::nullopt;
    return v.type() == Type::kTimestamp ? v.as_timestamp_ms() : v.as_int();
  };
  std::map<int64_t, JoinedPost> by_ind;
  std::map<int64_t, int> seen;  // how many of the three tables have the ind
  for (const Row& r : pin) {
    JoinedPost& p = by_ind[*num(pin_schema, r, "ind")];
    p.category = str(pin_schema, r, "category");
    p.poster_name = str(pin_schema, r, "poster_name");
    p.follower_count = num(pin_schema, r, "follower_count");
    ++seen[*num(pin_schema, r, "ind")];
  }
  for (const Row& r : geo) {
    JoinedPost& p = by_ind[*num(geo_schema, r, "ind")];
    p.country = str(geo_schema, r, "country");
    p.timestamp_ms = num(geo_schema, r, "timestamp");
    ++seen[*num(geo_schema, r, "ind")];
  }
  for (const Row& r : user) {
    JoinedPost& p = by_ind[*num(user_schema, r, "ind")];
    p.user_name = str(user_schema, r, "user_name");
    p.age = num(user_schema, r, "age");
    p.date_joined_ms = num(user_schema, r, "date_joined");
    ++seen[*num(user_schema, r, "ind")];
  }
  std::vector<JoinedPost> posts;
  for (const auto& [ind, p] : by_ind)
    if (seen[ind] == 3) posts.push_back(p);
  *joined = posts.size();

  auto in_years = [](const OptInt& year, int64_t lo, int64_t hi) {
    return year && *year >= lo && *year <= hi;
  };
  auto categories = [](const std::vector<const JoinedPost*>& ps) {
    std::vector<OptString> v;
    for (const JoinedPost* p : ps) v.push_back(p->category);
    return Mode(v);
  };
  auto followers = [](const std::vector<const JoinedPost*>& ps) {
    std::vector<OptInt> v;
    for (const JoinedPost* p : ps) v.push_back(p->follower_count);
    return Median(v);
  };
  TableLines out;
  out["q_category_by_country"] = Grouped(
      posts, [](const JoinedPost& p) { return std::optional<Json>(J(p.country)); },
      [&](const Json& k, const auto& ps) {
        auto [category, count] = categories(ps);
        return Json{{"country", k}, {"category", category}, {"category_count", count}};
      });
  out["q_category_by_year"] = Grouped(
      posts,
      [&](const JoinedPost& p) -> std::optional<Json> {
        const OptInt y = YearOf(p.timestamp_ms);
        return in_years(y, 2018, 2022) ? std::optional<Json>(*y) : std::nullopt;
      },
      [&](const Json& k, const auto& ps) {
        auto [category, count] = categories(ps);
        return Json{{"post_year", k}, {"category", category}, {"category_count", count}};
      });
  out["q_followers_by_country"] = Grouped(
      posts, [](const JoinedPost& p) { return std::optional<Json>(J(p.country)); },
      [](const Json& k, const auto& ps) {
        const JoinedPost* best = nullptr;
        for (const JoinedPost* p : ps) {
          if (!p->follower_count) continue;
          if (best == nullptr || *p->follower_count > *best->follower_count ||
              (*p->follower_count == *best->follower_count && p->poster_name.has_value() &&
               (!best->poster_name || *p->poster_name < *best->poster_name))) {
            best = p;
          }
        }
        return Json{{"country", k},
                    {"poster_name", best ? J(best->poster_name) : Json(nullptr)},
                    {"follower_count", best ? J(best->follower_count) : Json(nullptr)}};
      });
  auto age_group = [](const JoinedPost& p) -> std::optional<Json> {
    const OptString g = AgeGroup(p.age);
    return g ? std::optional<Json>(*g) : std::nullopt;
  };
  out["q_category_by_age_group"] = Grouped(posts, age_group, [&](const Json& k, const auto& ps) {
    auto [category, count] = categories(ps);
    return Json{{"age_group", k}, {"category", category}, {"category_count", count}};
  });
  out["q_median_followers_by_age_group"] =
      Grouped(posts, age_group, [&](const Json& k, const auto& ps) {
        return Json{{"age_group", k}, {"median_follower_count", followers(ps)}};
      });
  auto join_year = [&](const JoinedPost& p) -> std::optional<Json> {
    const OptInt y = YearOf(p.date_joined_ms);
    return in_years(y, 2015, 2020) ? std::optional<Json>(*y) : std::nullopt;
  };
  out["q_users_joined_by_year"] = Grouped(posts, join_year, [](const Json& k, const auto& ps) {
    int64_t users = 0;
    for (const JoinedPost* p : ps) users += p->user_name.has_value();
    return Json{{"post_year", k}, {"number_users_joined", users}};
  });
  out["q_median_followers_by_join_year"] =
      Grouped(posts, join_year, [&](const Json& k, const auto& ps) {
        return Json{{"post_year", k}, {"median_follower_count", followers(ps)}};
      });
  out["q_median_followers_by_join_year_age_group"] = Grouped(
      posts,
      [&](const JoinedPost& p) -> std::optional<Json> {
        auto g = age_group(p);
        auto y = join_year(p);
        if (!g || !y) return std::nullopt;
        return Json::array({*g, *y});
      },
      [&](const Json& k, const auto& ps) {
        return Json{
            {"age_group", k[0]}, {"post_year", k[1]}, {"median_follower_count", followers(ps)}};
      });
  return out;
}

// The reference answers over the pin, geo and user tables of the processor store at `data`,
// and the q_* tables as the processor left them there, for comparison.
struct QuestionCheck {
  TableLines expected;
  TableLines actual;
  size_t posts = 0;  // joined posts the reference saw
};

inline Result<QuestionCheck> CheckQuestions(const std::string& data) {
  Schema pin_schema, geo_schema, user_schema;
  ASSIGN_OR_RETURN(auto pin, ScanTable(data, "pin", &pin_schema));
  ASSIGN_OR_RETURN(auto geo, ScanTable(data, "geo", &geo_schema));
  ASSIGN_OR_RETURN(auto user, ScanTable(data, "user", &user_schema));
  QuestionCheck check;
  check.expected = BatchAnswers(pin_schema, pin, geo_schema, geo, user_schema, user, &check.posts);
  for (const auto& table : QuestionTables()) {
    Schema schema;
    ASSIGN_OR_RETURN(auto rows, ScanTable(data, table, &schema));
    auto& lines = check.actual[table];
    for (const Row& row : rows) lines.push_back(RowToJson(schema, row).dump());
    std::sort(lines.begin(), lines.end());
  }
  return check;
}

// Expects every q_* table in the store at `data` to equal the batch reference, row for row.
inline void ExpectQuestionsMatchTheBatchReference(const std::string& data) {
  auto check = CheckQuestions(data);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_GT(check->posts, 0u) << "no post joined: nothing was checked";
  for (const auto& table : QuestionTables()) {
    EXPECT_EQ(check->actual[table], check->expected[table])
        << table << " differs from the batch reference over " << check->posts << " posts";
  }
}

}  // namespace pinstream::testing
