#include "emulator/post_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "emulator/post_vocabulary.h"
#include "emulator/python_random.h"

namespace pinstream {
namespace {

constexpr int kPosts = 20000;

std::vector<std::string> Keys(const JsonRow& row) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : row.items()) keys.push_back(k);
  return keys;
}

// The posts the emulator would send for `seed`: drawn as the original script drew them.
std::vector<PostRows> DrawPosts(const PostGenerator& gen, int64_t seed, int n) {
  PythonRandom draws(seed);
  std::vector<PostRows> posts;
  for (int i = 0; i < n; ++i) {
    draws.RandRange(0, 2);
    posts.push_back(gen.Rows(draws.RandInt(0, 11000)));
  }
  return posts;
}

TEST(PostGeneratorTest, SameSeedSameRows) {
  PostGenerator a({.seed = 7});
  PostGenerator b({.seed = 7});
  for (int64_t ind : {0, 1, 2, 500, 7528, 11000, 11153}) {
    PostRows x = a.Rows(ind), y = b.Rows(ind);
    EXPECT_EQ(x.pin->dump(), y.pin->dump());
    EXPECT_EQ(x.geo->dump(), y.geo->dump());
    EXPECT_EQ(x.user->dump(), y.user->dump());
    // Rows() is pure: asking again gives the same post.
    EXPECT_EQ(a.Rows(ind).pin->dump(), x.pin->dump());
  }
}

TEST(PostGeneratorTest, DifferentSeedDifferentRows) {
  PostGenerator a({.seed = 1});
  PostGenerator b({.seed = 2});
  int same_pin = 0, same_user = 0;
  for (int64_t ind = 0; ind < 200; ++ind) {
    PostRows x = a.Rows(ind), y = b.Rows(ind);
    same_pin += x.pin->dump() == y.pin->dump();
    same_user += x.user->dump() == y.user->dump();
    EXPECT_NE((*x.pin)["unique_id"], (*y.pin)["unique_id"]);
  }
  EXPECT_EQ(same_pin, 0);
  EXPECT_LT(same_user, 10);
}

TEST(PostGeneratorTest, RowSchemas) {
  PostGenerator gen({.seed = 100});
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex followers("\\d+|\\d+k|\\d+M|User Info Error");
  const std::regex datetime("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}");
  const std::set<std::string> categories(kCategories.begin(), kCategories.end());
  const std::set<std::string> countries(Countries().begin(), Countries().end());
  for (int64_t ind = 0; ind < PostGenerator::kDefaultPoolSize; ind += 7) {
    PostRows rows = gen.Rows(ind);
    ASSERT_TRUE(rows.pin && rows.geo && rows.user);
    const JsonRow& pin = *rows.pin;
    ASSERT_EQ(Keys(pin),
              (std::vector<std::string>{"index", "unique_id", "title", "description", "poster_name",
                                        "follower_count", "tag_list", "is_image_or_video",
                                        "image_src", "downloaded", "save_location", "category"}));
    EXPECT_EQ(pin["index"], ind);
    for (const char* col :
         {"unique_id", "title", "description", "poster_name", "follower_count", "tag_list",
          "is_image_or_video", "image_src", "save_location", "category"}) {
      ASSERT_TRUE(pin[col].is_string()) << col;
    }
    const std::string category = pin["category"];
    EXPECT_TRUE(categories.count(category)) << category;
    EXPECT_EQ(pin["save_location"], "Local save in /data/" + category);
    EXPECT_TRUE(std::regex_match(pin["unique_id"].get<std::string>(), uuid4));
    EXPECT_TRUE(std::regex_match(pin["follower_count"].get<std::string>(), followers))
        << pin["follower_count"];
    const std::string kind = pin["is_image_or_video"];
    EXPECT_TRUE(kind == "image" || kind == "video" || kind == "multi-video(story page format)");
    const std::string src = pin["image_src"];
    EXPECT_TRUE(src == "Image src error." || src.starts_with("https://i.pinimg.com/")) << src;
    EXPECT_TRUE(pin["downloaded"] == 0 || pin["downloaded"] == 1);
    EXPECT_FALSE(pin["tag_list"].get<std::string>().empty());

    const JsonRow& geo = *rows.geo;
    ASSERT_EQ(Keys(geo),
              (std::vector<std::string>{"ind", "timestamp", "latitude", "longitude", "country"}));
    EXPECT_EQ(geo["ind"], ind);
    const std::string ts = geo["timestamp"];
    EXPECT_TRUE(std::regex_match(ts, datetime)) << ts;
    EXPECT_GE(ts, "2017-10-19 00:00:00");
    EXPECT_LE(ts, "2022-10-19 23:59:59");
    ASSERT_TRUE(geo["latitude"].is_number_float());
    ASSERT_TRUE(geo["longitude"].is_number_float());
    EXPECT_GE(geo["latitude"].get<double>(), -90.0);
    EXPECT_LE(geo["latitude"].get<double>(), 90.0);
    EXPECT_GE(geo["longitude"].get<double>(), -180.0);
    EXPECT_LE(geo["longitude"].get<double>(), 180.0);
    EXPECT_TRUE(countries.count(geo["country"].get<std::string>()));

    const JsonRow& user = *rows.user;
    ASSERT_EQ(Keys(user),
              (std::vector<std::string>{"ind", "first_name", "last_name", "age", "date_joined"}));
    EXPECT_EQ(user["ind"], ind);
    ASSERT_TRUE(user["age"].is_number_integer());
    EXPECT_GE(user["age"].get<int>(), 20);
    EXPECT_LE(user["age"].get<int>(), 60);
    const std::string joined = user["date_joined"];
    EXPECT_TRUE(std::regex_match(joined, datetime)) << joined;
    EXPECT_GE(joined, "2015-01-01 00:00:00");
    EXPECT_LE(joined, "2017-12-31 23:59:59");
  }
}

TEST(PostGeneratorTest, VocabularyHasTheCharactersThatTripPipelinesUp) {
  const auto has = [](std::string_view needle) {
    return std::any_of(Countries().begin(), Countries().end(),
                       [&](std::string_view c) { return c.find(needle) != c.npos; });
  };
  EXPECT_TRUE(has(" "));
  EXPECT_TRUE(has("'"));
  EXPECT_TRUE(has("\u00f4"));  // ô
  EXPECT_TRUE(has(","));
  EXPECT_GE(Countries().size(), 200u);
}

// Counts over 20,000 posts drawn as the emulator draws them: the README's rates and
// co-occurrences of placeholders.
class DirtTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(DirtTest, RatesAndCoOccurrence) {
  PostGenerator gen({.seed = GetParam()});
  const std::vector<PostRows> posts = DrawPosts(gen, GetParam(), kPosts);
  int story = 0, no_title = 0, image_error = 0, no_tags = 0, no_description = 0, untitled = 0,
      blank_title = 0, cut = 0, k = 0, m = 0, plain = 0;
  std::map<std::string, int> category_count;
  std::map<std::string, int> age_groups;
  std::set<int64_t> inds;
  std::set<std::string> geo_years, join_years;
  std::set<std::tuple<std::string, std::string, int, std::string>> people;
  const std::regex plain_count("\\d+");
  for (const PostRows& p : posts) {
    const JsonRow& pin = *p.pin;
    const std::string title = pin["title"], description = pin["description"],
                      poster = pin["poster_name"], followers = pin["follower_count"],
                      tags = pin["tag_list"], kind = pin["is_image_or_video"],
                      src = pin["image_src"];
    inds.insert(pin["index"].get<int64_t>());
    const bool is_story = kind == "multi-video(story page format)";
    story += is_story;
    EXPECT_EQ(is_story, description == "No description available Story format");
    const bool title_missing = title == "No Title Data Available";
    no_title += title_missing;
    EXPECT_EQ(title_missing, poster == "User Info Error");
    EXPECT_EQ(title_missing, followers == "User Info Error");
    if (title_missing) {
      EXPECT_TRUE(is_story);
      EXPECT_EQ(src, "Image src error.");
      EXPECT_EQ(tags, "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e");
    }
    const bool src_error = src == "Image src error.";
    image_error += src_error;
    EXPECT_EQ(src_error, pin["downloaded"] == 0);
    no_tags += tags == "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e";
    no_description += description == "No description available";
    untitled += description == "Untitled";
    blank_title += title.find_first_not_of(' ') == std::string::npos;
    cut += description.ends_with("\u2026\u00a0");
    if (followers.ends_with("k")) {
      ++k;
    } else if (followers.ends_with("M")) {
      ++m;
    } else if (std::regex_match(followers, plain_count)) {
      ++plain;
    }
    ++category_count[pin["category"]];
    const int age = (*p.user)["age"];
    ++age_groups[age <= 24 ? "18-24" : age <= 35 ? "25-35" : age <= 50 ? "36-50" : "+50"];
    geo_years.insert((*p.geo)["timestamp"].get<std::string>().substr(0, 4));
    join_years.insert((*p.user)["date_joined"].get<std::string>().substr(0, 4));
    people.emplace((*p.user)["first_name"], (*p.user)["last_name"], age, (*p.user)["date_joined"]);
  }
  const auto rate = [](int n) { return static_cast<double>(n) / kPosts; };
  EXPECT_NEAR(rate(story), 0.07, 0.02);
  EXPECT_NEAR(rate(no_title), 0.007, 0.0035);
  EXPECT_NEAR(rate(image_error), 0.021, 0.008);
  EXPECT_NEAR(rate(no_tags), 0.014, 0.006);
  EXPECT_NEAR(rate(no_description), 0.016, 0.006);
  EXPECT_GT(untitled, 0);
  EXPECT_LT(rate(untitled), 0.003);
  EXPECT_GT(blank_title, 0);
  EXPECT_LT(rate(blank_title), 0.005);
  EXPECT_NEAR(rate(cut), 1.0 / 3, 0.06);
  EXPECT_NEAR(rate(k), 0.70, 0.08);
  EXPECT_NEAR(rate(m), 0.08, 0.04);
  EXPECT_NEAR(rate(plain), 0.21, 0.07);

  EXPECT_EQ(category_count.size(), kCategories.size());
  for (const auto& [category, n] : category_count) EXPECT_GT(rate(n), 0.04) << category;
  EXPECT_NEAR(rate(age_groups["18-24"]), 0.44, 0.08);
  EXPECT_NEAR(rate(age_groups["25-35"]), 0.27, 0.07);
  EXPECT_NEAR(rate(age_groups["36-50"]), 0.20, 0.07);
  EXPECT_NEAR(rate(age_groups["+50"]), 0.09, 0.05);
  EXPECT_EQ(geo_years, (std::set<std::string>{"2017", "2018", "2019", "2020", "2021", "2022"}));
  EXPECT_EQ(join_years, (std::set<std::string>{"2015", "2016", "2017"}));

  // Drawn with replacement from ~11,000 posts: many repeat.
  EXPECT_LT(inds.size(), 11001u);
  EXPECT_GT(inds.size(), 8000u);
  // The same person posts under several inds: roughly half the users are distinct.
  const double distinct_people = static_cast<double>(people.size()) / inds.size();
  EXPECT_GT(distinct_people, 0.3);
  EXPECT_LT(distinct_people, 0.75);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DirtTest, ::testing::Values(100, 1, 20240607));

TEST(PostGeneratorTest, RepeatedDrawsGiveIdenticalRecords) {
  PostGenerator gen({.seed = 100});
  PythonRandom draws(100);
  std::map<int64_t, std::string> first_seen;
  int repeats = 0;
  for (int i = 0; i < 3000; ++i) {
    draws.RandRange(0, 2);
    const int64_t ind = draws.RandInt(0, 11000);
    const PostRows rows = gen.Rows(ind);
    const std::string text = rows.pin->dump() + rows.geo->dump() + rows.user->dump();
    auto [it, fresh] = first_seen.emplace(ind, text);
    if (!fresh) {
      ++repeats;
      EXPECT_EQ(it->second, text);
    }
  }
  EXPECT_GT(repeats, 100);
}

TEST(PostGeneratorTest, FormatSqlDatetime) {
  EXPECT_EQ(FormatSqlDatetime(0), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatSqlDatetime(1598586767), "2020-08-28 03:52:47");
  EXPECT_EQ(FormatSqlDatetime(kFirstPostEpochSeconds), "2017-10-19 00:00:00");
}

}  // namespace
}  // namespace pinstream
