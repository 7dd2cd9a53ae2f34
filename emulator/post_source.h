#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace pinstream {

// A row as the original database sent it: columns in table order.
using JsonRow = nlohmann::ordered_json;

// The three rows of one post, sharing its ind (`index` in pin). A row the source does not have
// (a dump missing that ind) is nullopt.
struct PostRows {
  std::optional<JsonRow> pin;
  std::optional<JsonRow> geo;
  std::optional<JsonRow> user;
};

// Where the emulator takes the rows of the posts it draws: generated (PostGenerator) or
// replayed from a database dump (TableSource). Rows() is a pure function of ind, const and
// safe to call from several threads.
class PostSource {
 public:
  virtual ~PostSource() = default;
  virtual PostRows Rows(int64_t ind) const = 0;
};

}  // namespace pinstream
