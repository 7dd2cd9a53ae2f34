// The undo log's format: entries come back in order, with "had none" apart from "held the empty
// value", and a truncated log is Corruption, never a short read.
#include "sinks/undo_log.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/test_util.h"

namespace pinstream {
namespace {

using Entries = std::vector<std::pair<std::string, std::optional<std::string>>>;

Result<Entries> Read(std::string_view log) {
  Entries out;
  RETURN_IF_ERROR(ForEachUndo(log, [&](std::string_view key, std::optional<std::string_view> v) {
    out.emplace_back(std::string(key), v ? std::optional<std::string>(*v) : std::nullopt);
    return Status::OK();
  }));
  return out;
}

TEST(UndoLogTest, EntriesComeBackInOrder) {
  const Entries want = {
      {"a", "1"}, {"", std::nullopt}, {std::string("\0\xff", 2), ""}, {"k", std::string(300, 'v')}};
  std::string log;
  for (const auto& [key, before] : want) AppendUndo(&log, key, before);
  ASSERT_OK_AND_ASSIGN(Entries got, Read(log));
  EXPECT_EQ(got, want);
  ASSERT_OK_AND_ASSIGN(Entries none, Read(""));
  EXPECT_TRUE(none.empty());
}

TEST(UndoLogTest, ATruncatedLogIsCorruption) {
  std::string log;
  AppendUndo(&log, "key", std::string("value"));
  for (size_t n = 1; n < log.size(); ++n) {
    auto got = Read(std::string_view(log).substr(0, n));
    EXPECT_EQ(got.status().code(), Status::Code::kCorruption) << n;
  }
}

TEST(UndoLogTest, TheFirstErrorStops) {
  std::string log;
  AppendUndo(&log, "a", std::nullopt);
  AppendUndo(&log, "b", std::nullopt);
  int calls = 0;
  Status st = ForEachUndo(log, [&](std::string_view, std::optional<std::string_view>) {
    ++calls;
    return Status::IOError("disk");
  });
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace pinstream
