#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "emulator/post_source.h"

namespace pinstream {

// Synthetic posts shaped like the original data set (shared/data/README.md): a fixed pool of
// `pool_size` posts, ind 0..pool_size-1, each a pin, a geo and a user row, every value a pure
// function of (seed, ind). Posts carry the original's dirt at its rates: story-format videos
// with "No description available Story format", the "No Title Data Available" + "User Info
// Error" rows, "Image src error." with downloaded 0, "N,o, ,T,a,g,s, ..." tag lists,
// "No description available", "Untitled", empty titles, descriptions cut with "…" and a
// non-breaking space, follower counts such as "12k" and "1M", "Local save in " prefixes.
// Users and their locations repeat across inds (about half the rows are distinct people),
// posters repeat within a category with one follower count each, as in the original.
//
// Immutable after construction; Rows() is thread-safe.
class PostGenerator final : public PostSource {
 public:
  static constexpr int64_t kDefaultPoolSize = 11154;  // the original tables' row count

  struct Options {
    int64_t seed = 100;
    int64_t pool_size = kDefaultPoolSize;
  };

  explicit PostGenerator(const Options& options);

  // All three rows of post `ind` (any ind >= 0; the pool repeats beyond pool_size).
  PostRows Rows(int64_t ind) const override;

  const Options& options() const { return options_; }

 private:
  // A user and where they post from; several inds share one.
  struct Person {
    std::string_view first_name, last_name, country;
    int64_t age = 0;
    int64_t date_joined = 0;  // epoch seconds
    double latitude = 0, longitude = 0;
  };

  JsonRow MakePin(int64_t ind) const;
  Person MakePerson(int64_t id) const;

  Options options_;
};

// Geo timestamps span 2017-10-19 .. 2022-10-19, join dates 2015-10-20 .. 2017-10-19 (UTC).
inline constexpr int64_t kFirstPostEpochSeconds = 1508371200;  // 2017-10-19 00:00:00
inline constexpr int64_t kEndPostEpochSeconds = 1666224000;    // 2022-10-20 00:00:00
inline constexpr int64_t kFirstJoinEpochSeconds = 1445299200;  // 2015-10-20 00:00:00
inline constexpr int64_t kEndJoinEpochSeconds = 1508371200;    // 2017-10-19 00:00:00

// "2020-08-28 03:52:47": Python's str(datetime), as the original rows carry datetimes (UTC).
std::string FormatSqlDatetime(int64_t epoch_seconds);

}  // namespace pinstream
