#include "emulator/post_generator.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <span>
#include <string_view>
#include <vector>

#include "emulator/post_vocabulary.h"
#include "emulator/python_random.h"

namespace pinstream {

namespace {

// Rates of the original data set (shared/data/README.md), per pin row.
constexpr double kStoryRate = 0.07;           // multi-video(story page format), incl. below
constexpr double kUserInfoErrorRate = 0.007;  // the "No Title Data Available" rows
constexpr double kVideoRate = 0.03;
constexpr double kStoryImageErrorRate = 0.24;  // of other story rows: ~2.2% in all
constexpr double kNoTagsRate = 0.007;          // besides the User Info Error rows: ~1.4%
constexpr double kNoDescriptionRate = 0.017;   // of non-story rows: ~1.6% in all
constexpr double kUntitledRate = 0.0006;
constexpr double kEmptyTitleRate = 0.001;
constexpr double kCutDescriptionRate = 0.40;  // of real descriptions: ~1/3 in all
constexpr double kPosterTrailingSpaceRate = 0.02;
constexpr int kPostersPerCategory = 400;
constexpr int kCutDescriptionLength = 177;  // code points before "…" + U+00A0
// Skew of people, ages, join dates and coordinates: x = u^2.5 puts ~44% of ages in 20-24
// and makes early people recur, as in the original.
constexpr double kSkew = 2.5;

constexpr std::string_view kStoryFormat = "multi-video(story page format)";
constexpr std::string_view kStoryDescription = "No description available Story format";
constexpr std::string_view kNoTitle = "No Title Data Available";
constexpr std::string_view kUserInfoError = "User Info Error";
constexpr std::string_view kNoTags = "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e";
constexpr std::string_view kImageSrcError = "Image src error.";
constexpr std::string_view kNoDescription = "No description available";
constexpr std::string_view kUntitled = "Untitled";
constexpr std::string_view kCutMark = "\u2026\u00a0";  // "…" + no-break space

// Independent draws per (kind, id): each value is a pure function of (seed, kind, id).
enum class Kind : uint32_t { kPin = 1, kPerson = 2, kPoster = 3, kPost = 4 };

PythonRandom KeyedRandom(int64_t seed, Kind kind, int64_t id) {
  const auto s = static_cast<uint64_t>(seed);
  const auto i = static_cast<uint64_t>(id);
  const std::array<uint32_t, 5> key = {static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32),
                                       static_cast<uint32_t>(kind), static_cast<uint32_t>(s),
                                       static_cast<uint32_t>(s >> 32)};
  return PythonRandom(key);
}

std::string_view Pick(PythonRandom& rng, std::span<const std::string_view> items) {
  return items[rng.RandBelow(items.size())];
}

bool Chance(PythonRandom& rng, double p) { return rng.Random() < p; }

// An integer in [0, n), skewed toward 0.
int64_t Skewed(PythonRandom& rng, int64_t n) {
  auto v = static_cast<int64_t>(static_cast<double>(n) * std::pow(rng.Random(), kSkew));
  return v < n ? v : n - 1;
}

// A double rounded to 6 significant digits: the original's FLOAT columns.
double Float6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return std::strtod(buf, nullptr);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Hex(PythonRandom& rng, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += kHex[rng.GetRandBits(4)];
  return out;
}

// uuid4 from the seeded generator: 122 random bits, version 4, RFC 4122 variant.
std::string Uuid4(PythonRandom& rng) {
  std::string h = Hex(rng, 32);
  h[12] = '4';
  h[16] = "89ab"[rng.GetRandBits(2)];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string ImageUrl(PythonRandom& rng, bool video) {
  std::string h = Hex(rng, 32);
  std::string dirs = h.substr(0, 2) + "/" + h.substr(2, 2) + "/" + h.substr(4, 2) + "/";
  if (video) return "https://i.pinimg.com/videos/thumbnails/originals/" + dirs + h + ".0000001.jpg";
  return "https://i.pinimg.com/originals/" + dirs + h + (Chance(rng, 0.1) ? ".png" : ".jpg");
}

// "Birthday Party Idea Ideas" -> "Birthday Party Ideas".
std::string WithoutIdeaIdeas(std::string s) {
  for (std::string_view doubled : {"Idea Ideas", "Idea ideas", "idea ideas"}) {
    for (size_t at = s.find(doubled); at != std::string::npos; at = s.find(doubled, at)) {
      s.erase(at, 5);  // "Idea "
    }
  }
  return s;
}

// Replaces {S} subject, {s} subject in lower case, {a} adjective (lower), {A} adjective,
// {n} a count, {U} audience, {u} audience (lower), {d} category display name (lower),
// {p} poster.
struct Fill {
  std::string_view subject, adjective, audience, display, poster;
  int count;

  std::string operator()(std::string_view pattern) const {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '{' || i + 2 >= pattern.size() || pattern[i + 2] != '}') {
        out += pattern[i];
        continue;
      }
      switch (pattern[i + 1]) {
        case 'S':
          out += subject;
          break;
        case 's':
          out += Lower(subject);
          break;
        case 'A':
          out += adjective;
          break;
        case 'a':
          out += Lower(adjective);
          break;
        case 'n':
          out += std::to_string(count);
          break;
        case 'U':
          out += audience;
          break;
        case 'u':
          out += Lower(audience);
          break;
        case 'd':
          out += Lower(display);
          break;
        case 'p':
          out += poster;
          break;
        default:
          out += pattern.substr(i, 3);
      }
      i += 2;
    }
    return WithoutIdeaIdeas(std::move(out));
  }
};

constexpr std::string_view kTitlePatterns[] = {
    "{n} {A} {S} Ideas",
    "{n} {S} Ideas You\u2019ll Love",
    "How to Choose the Perfect {S}",
    "The Best {S} for {U}",
    "{A} {S}",
    "{S} - {p}",
    "{A} {S} for {U}",
    "My Favorite {S} This Year",
    "{S}",
    "{n} {A} {S} Ideas for {U} - {p}",
    "{S}: {n} Tips From the Pros",
    "{A} & {S}",
};

constexpr std::string_view kSentences[] = {
    "Check out these {n} {a} {s} ideas, perfect for {u}.",
    "Looking for {a} {s} inspiration? We rounded up our favorites, from simple to bold.",
    "This {a} {s} is easier than it looks, and you only need a few things to get started.",
    "Save this pin for later and follow for more {d} ideas!",
    "Step-by-step guide with photos, tips and a free printable.",
    "I love how this {s} turned out \u2013 it took less than an afternoon.",
    "Click through to read the full post on the blog.",
    "Everything you need to know about {s}, with examples and mistakes to avoid.",
    "Our favourite {a} {s} of the season.",
    "Get the look for less: {n} {a} {s} ideas that won\u2019t break the bank.",
    "Whether you are a beginner or a pro, these {s} tips will help you save time and money.",
    "{S} done right. Simple, {a} and totally doable.",
    "{p} shares new {s} ideas every week, so \"follow along\" for more.",
};

// Cuts `text` after `max_chars` UTF-8 code points, as Pinterest's scraper did, and marks it.
std::string CutDescription(std::string text) {
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == kCutDescriptionLength) break;
      ++chars;
    }
  }
  text.resize(i);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text + std::string(kCutMark);
}

struct Poster {
  std::string name;
  std::string follower_count;
};

// Poster `id` of category `cat`: a name and one follower count, the same wherever it posts.
Poster MakePoster(int64_t seed, size_t cat, int64_t id) {
  PythonRandom rng = KeyedRandom(seed, Kind::kPoster, static_cast<int64_t>(cat) * 100000 + id);
  const CategoryVocabulary& v = VocabularyFor(cat);
  const std::string first(Pick(rng, FirstNames()));
  const std::string last(Pick(rng, LastNames()));
  const std::string brand(Pick(rng, v.brand_words));
  const std::string suffix(Pick(rng, BrandSuffixes()));
  const std::string display(v.display);
  Poster p;
  const double r = rng.Random();
  if (r < 0.35) {
    p.name = first + " " + last;
  } else if (r < 0.55) {
    p.name = brand + " " + suffix;
  } else if (r < 0.65) {
    p.name = "The " + brand + " " + suffix;
  } else if (r < 0.75) {
    p.name = first + " | " + display + " Blog";
  } else if (r < 0.82) {
    p.name = brand + " & " + std::string(Pick(rng, v.brand_words));
  } else if (r < 0.90) {
    p.name = first + "\u2019s " + brand + " " + suffix;
  } else {
    p.name = brand + " " + suffix + " | " + display + " Tips & Ideas";
  }
  if (Chance(rng, kPosterTrailingSpaceRate)) p.name += " ";
  const double f = rng.Random();
  if (f < 0.70) {  // "45k": log-uniform 2..998 thousand
    auto k = static_cast<int>(std::exp(std::log(2.0) + rng.Random() * std::log(499.0)));
    p.follower_count = std::to_string(k) + "k";
  } else if (f < 0.92) {
    p.follower_count = std::to_string(static_cast<int>(1000 * std::pow(rng.Random(), 2.0)));
  } else {
    p.follower_count = std::to_string(1 + static_cast<int>(15 * std::pow(rng.Random(), 3.0))) + "M";
  }
  return p;
}

std::string MakeTags(PythonRandom& rng, const CategoryVocabulary& v) {
  const int n = Chance(rng, 0.97) ? 9 : static_cast<int>(rng.RandInt(3, 8));
  std::vector<std::string> tags;
  for (int attempt = 0; static_cast<int>(tags.size()) < n && attempt < 4 * n; ++attempt) {
    const std::string subject(Pick(rng, v.subjects));
    std::string tag;
    switch (rng.RandBelow(4)) {
      case 0:
        tag = subject;
        break;
      case 1:
        tag = std::string(Pick(rng, Adjectives())) + " " + subject;
        break;
      case 2:
        tag = subject + " " + std::string(Pick(rng, TagSuffixes()));
        break;
      default:
        tag = std::string(Pick(rng, Adjectives())) + " " + subject + " Ideas";
    }
    tag = WithoutIdeaIdeas(std::move(tag));
    bool seen = false;
    for (const auto& t : tags) seen = seen || t == tag;
    if (!seen) tags.push_back(std::move(tag));
  }
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ",") + t;
  return out;
}

std::string MakeDescription(PythonRandom& rng, const Fill& fill, const std::string& tags) {
  if (Chance(rng, 0.08)) {  // a string of hashtags, as many pins have
    std::string out;
    size_t start = 0;
    for (int i = 0; i < 5 && start < tags.size(); ++i) {
      size_t end = tags.find(',', start);
      if (end == std::string::npos) end = tags.size();
      std::string tag;
      for (char c : Lower(std::string_view(tags).substr(start, end - start))) {
        if (c != ' ') tag += c;
      }
      out += (out.empty() ? "#" : " #") + tag;
      start = end + 1;
    }
    return out;
  }
  const bool cut = Chance(rng, kCutDescriptionRate);
  std::string text;
  const int sentences = cut ? 6 : static_cast<int>(rng.RandInt(1, 2));
  for (int i = 0; i < sentences; ++i) {
    text += (text.empty() ? "" : " ") + fill(Pick(rng, kSentences));
  }
  return cut ? CutDescription(std::move(text)) : text;
}

}  // namespace

std::string FormatSqlDatetime(int64_t epoch_seconds) {
  const auto t = static_cast<time_t>(epoch_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

PostGenerator::PostGenerator(const Options& options) : options_(options) {
  if (options_.pool_size < 1) options_.pool_size = 1;
}

PostRows PostGenerator::Rows(int64_t ind) const {
  // Who posted it and when. People are skewed, so that about half the rows are distinct people.
  PythonRandom post = KeyedRandom(options_.seed, Kind::kPost, ind);
  const int64_t person_id = Skewed(post, options_.pool_size);
  const int64_t timestamp =
      kFirstPostEpochSeconds + post.RandRange(0, kEndPostEpochSeconds - kFirstPostEpochSeconds);
  const Person person = MakePerson(person_id);

  PostRows rows;
  rows.pin = MakePin(ind);
  JsonRow geo = JsonRow::object();
  geo["ind"] = ind;
  geo["timestamp"] = FormatSqlDatetime(timestamp);
  geo["latitude"] = person.latitude;
  geo["longitude"] = person.longitude;
  geo["country"] = person.country;
  rows.geo = std::move(geo);
  JsonRow user = JsonRow::object();
  user["ind"] = ind;
  user["first_name"] = person.first_name;
  user["last_name"] = person.last_name;
  user["age"] = person.age;
  user["date_joined"] = FormatSqlDatetime(person.date_joined);
  rows.user = std::move(user);
  return rows;
}

PostGenerator::Person PostGenerator::MakePerson(int64_t id) const {
  PythonRandom rng = KeyedRandom(options_.seed, Kind::kPerson, id);
  Person p;
  p.first_name = Pick(rng, FirstNames());
  p.last_name = Pick(rng, LastNames());
  p.age = 20 + Skewed(rng, 41);
  p.date_joined =
      kFirstJoinEpochSeconds + Skewed(rng, kEndJoinEpochSeconds - kFirstJoinEpochSeconds);
  // A person posts from one place, as in the original: the location is the person's.
  p.latitude = Float6(-90.0 + 180.0 * std::pow(rng.Random(), kSkew));
  p.longitude = Float6(-180.0 + 360.0 * std::pow(rng.Random(), kSkew));
  p.country = Pick(rng, Countries());
  return p;
}

JsonRow PostGenerator::MakePin(int64_t ind) const {
  PythonRandom rng = KeyedRandom(options_.seed, Kind::kPin, ind);
  // The original table is sorted by category: contiguous ind ranges share one.
  const int64_t slot = ((ind % options_.pool_size) + options_.pool_size) % options_.pool_size;
  const auto cat =
      static_cast<size_t>(slot * static_cast<int64_t>(kCategories.size()) / options_.pool_size);
  const CategoryVocabulary& v = VocabularyFor(cat);
  const std::string unique_id = Uuid4(rng);
  Poster poster = MakePoster(options_.seed, cat, Skewed(rng, kPostersPerCategory));
  const Fill fill{Pick(rng, v.subjects),
                  Pick(rng, Adjectives()),
                  Pick(rng, Audiences()),
                  v.display,
                  poster.name,
                  static_cast<int>(rng.RandInt(3, 60))};

  const double kind = rng.Random();
  const bool user_info_error = kind < kUserInfoErrorRate;
  const bool story = kind < kStoryRate;
  const bool video = !story && kind < kStoryRate + kVideoRate;

  std::string title = fill(Pick(rng, kTitlePatterns));
  if (Chance(rng, kEmptyTitleRate)) title = Chance(rng, 0.5) ? "" : " ";
  std::string tags = MakeTags(rng, v);
  if (Chance(rng, kNoTagsRate)) tags = kNoTags;
  std::string description;
  const double d = rng.Random();
  if (story) {
    description = kStoryDescription;
  } else if (d < kNoDescriptionRate) {
    description = kNoDescription;
  } else if (d < kNoDescriptionRate + kUntitledRate) {
    description = kUntitled;
  } else {
    description = MakeDescription(rng, fill, tags);
  }
  std::string image_src = ImageUrl(rng, story || video);
  if (story && Chance(rng, kStoryImageErrorRate)) image_src = kImageSrcError;
  if (user_info_error) {
    // The scraper failed on the whole page: every field it reads is a placeholder.
    title = kNoTitle;
    poster.name = kUserInfoError;
    poster.follower_count = kUserInfoError;
    tags = kNoTags;
    image_src = kImageSrcError;
  }

  JsonRow pin = JsonRow::object();
  pin["index"] = ind;
  pin["unique_id"] = unique_id;
  pin["title"] = title;
  pin["description"] = description;
  pin["poster_name"] = poster.name;
  pin["follower_count"] = poster.follower_count;
  pin["tag_list"] = tags;
  pin["is_image_or_video"] = story ? std::string(kStoryFormat) : video ? "video" : "image";
  pin["image_src"] = image_src;
  pin["downloaded"] = image_src == kImageSrcError ? 0 : 1;
  pin["save_location"] = "Local save in /data/" + std::string(v.category);
  pin["category"] = v.category;
  return pin;
}

}  // namespace pinstream
