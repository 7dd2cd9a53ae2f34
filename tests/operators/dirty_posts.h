#pragma once

// Dirty records for the process-level tests of topologies/pinterest.json, as the emulator
// writes them (placeholders, "Nk" counts, the save location prefix, blanks), with a version
// marker that tells copies of one post apart, and bad records of four kinds.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/operators/pipeline_test_util.h"

namespace pinstream::testing {

inline std::string Stream(const std::string& prefix, const std::string& kind) {
  return prefix + "-" + kind;
}

// `text` with each placeholder ("$I") replaced by its value.
inline std::string Fill(std::string text,
                        const std::vector<std::pair<std::string_view, std::string>>& values) {
  for (const auto& [placeholder, value] : values) {
    for (size_t at; (at = text.find(placeholder)) != std::string::npos;) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

// The three records of post `ind` for the streams `prefix`-pin, -geo and -user, copy `version` (0
// is the first put, the one that must win): dirty as the emulator's (placeholders, "Nk" counts, the
// save location prefix, blanks). The title, the country and the last name carry the version.
// Categories, countries, posters, follower counts, ages and years vary with ind, so that the
// questions have groups, ties, null follower counts, ages outside every group, and years on
// both sides of the questions' ranges.
inline std::vector<PutRecord> Post(const std::string& prefix, int ind, int version) {
  const std::string i = std::to_string(ind);
  const bool no_user_info = ind % 10 == 0;  // "User Info Error" in both columns
  const std::vector<std::pair<std::string_view, std::string>> values = {
      {"$I", i},
      {"$V", "v" + std::to_string(version)},
      {"$F", no_user_info ? "User Info Error" : std::to_string(ind % 9 + 1) + "k"},
      {"$P", no_user_info ? "User Info Error" : "poster " + std::to_string(ind % 13)},
      {"$K", "category " + std::to_string(ind % 5)},
      {"$N", "country " + std::to_string(ind % 7)},
      {"$Y", std::to_string(2017 + ind % 7)},
      {"$A", std::to_string(16 + ind % 50)},
      {"$J", std::to_string(2014 + ind % 8)}};
  return {
      {Stream(prefix, "pin"), i,
       Fill(R"({"index": $I, "unique_id": "uid-$I", "title": "post $I $V",
                "description": "No description available", "poster_name": "$P",
                "follower_count": "$F", "tag_list": " ", "is_image_or_video": "image",
                "image_src": "Image src error.", "downloaded": 1,
                "save_location": "Local save in /data/x", "category": "$K"})",
            values),
       "", ""},
      {Stream(prefix, "geo"), i,
       Fill(R"({"ind": $I, "timestamp": "$Y-08-28 03:52:47", "latitude": 1.5,
                "longitude": -2.5, "country": "$N $V"})",
            values),
       "", ""},
      {Stream(prefix, "user"), i,
       Fill(R"({"ind": $I, "first_name": "u$I", "last_name": "$V", "age": $A,
                "date_joined": "$J-01-01 00:00:00"})",
            values),
       "", ""},
  };
}

// Bad record number `n`: four kinds, one per stream or two for pin, all with unique keys.
inline PutRecord BadRecord(const std::string& prefix, int n) {
  const std::string key = "bad-" + std::to_string(n), id = std::to_string(900000 + n);
  switch (n % 4) {
    case 0:
      return {Stream(prefix, "pin"), key, R"({"index": )" + id + R"(, "title": "broken)", "", ""};
    case 1:
      return {Stream(prefix, "pin"), key, R"({"index": "abc", "title": "not a number"})", "", ""};
    case 2:
      return {Stream(prefix, "geo"), key,
              R"({"ind": )" + id + R"(, "timestamp": "garbage", "latitude": 1.0})", "", ""};
    default:
      return {Stream(prefix, "user"), key, "not json at " + id, "", ""};
  }
}

}  // namespace pinstream::testing
