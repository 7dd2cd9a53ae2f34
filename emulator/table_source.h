#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/result.h"
#include "emulator/post_source.h"

namespace pinstream {

// The rows of a dump of the original database, replayed by ind: the tables `pinterest_data`,
// `geolocation_data` and `user_data` in a directory, each as `<table>.jsonl` or `<table>.json`
// (JSON Lines, or one JSON array) or `<table>.csv` (a header row, then RFC 4180 records), the
// first that exists in that order. A row's ind is its `ind` column (`index` in
// pinterest_data). Column order is kept.
//
// CSV values arrive as text; they are typed as the database sent them: `ind`, `index`,
// `downloaded` and `age` as integers, `latitude` and `longitude` as numbers, everything else
// (follower_count included) as strings; an empty numeric field is null. An unnamed first
// column (the index pandas writes) is dropped.
//
// Immutable after Open(); Rows() is thread-safe.
class TableSource final : public PostSource {
 public:
  static constexpr const char* kPinTable = "pinterest_data";
  static constexpr const char* kGeoTable = "geolocation_data";
  static constexpr const char* kUserTable = "user_data";

  // Loads all three tables. InvalidArgument when one is missing, Corruption (naming the file
  // and line) when a file cannot be parsed or a row has no integer ind.
  static Result<std::unique_ptr<TableSource>> Open(const std::string& dir);

  // The rows whose ind is `ind`; a table without one leaves that row nullopt.
  PostRows Rows(int64_t ind) const override;

  size_t pin_rows() const { return pin_.size(); }
  size_t geo_rows() const { return geo_.size(); }
  size_t user_rows() const { return user_.size(); }

 private:
  using Table = std::unordered_map<int64_t, JsonRow>;
  TableSource() = default;

  Table pin_, geo_, user_;
};

}  // namespace pinstream
