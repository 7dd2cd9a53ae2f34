#include "archive/archive_layout.h"

#include <gtest/gtest.h>

#include "archive/directory_store.h"

namespace pinstream {
namespace {

TEST(ArchiveLayoutTest, KeysAreTheConnectorsLayout) {
  ArchiveObject obj{"streaming-demo-pin", 3, 42, "", false};
  EXPECT_EQ(obj.Key(),
            "topics/streaming-demo-pin/partition=3/streaming-demo-pin+3+0000000042.json");
  obj.headers = true;
  EXPECT_EQ(obj.Key(),
            "topics/streaming-demo-pin/partition=3/streaming-demo-pin+3+0000000042.headers.json");
  ArchiveObject day{"t.geo", 0, 1, "2026-12-06", false};
  EXPECT_EQ(day.Key(), "topics/t.geo/dt=2026-12-06/t.geo+0+0000000001.json");
  EXPECT_EQ(TopicPrefix("t.geo"), "topics/t.geo/");
}

TEST(ArchiveLayoutTest, KeysRoundTrip) {
  for (const ArchiveObject& obj : {
           ArchiveObject{"a", 0, 0, "", false},
           ArchiveObject{"a", 0, 0, "", true},
           ArchiveObject{"x-y_z.1", 1023, 9'999'999'999, "", false},
           ArchiveObject{"x-y_z.1", 7, 12'345'678'901, "", true},  // past 10 digits
           ArchiveObject{"pin", 2, 1000, "2020-02-29", false},
           ArchiveObject{"pin", 2, 1000, "2020-02-29", true},
       }) {
    const std::string key = obj.Key();
    std::optional<ArchiveObject> parsed = ParseArchiveKey(key);
    ASSERT_TRUE(parsed.has_value()) << key;
    EXPECT_EQ(parsed->topic, obj.topic) << key;
    EXPECT_EQ(parsed->partition, obj.partition) << key;
    EXPECT_EQ(parsed->start_offset, obj.start_offset) << key;
    EXPECT_EQ(parsed->day, obj.day) << key;
    EXPECT_EQ(parsed->headers, obj.headers) << key;
    EXPECT_EQ(parsed->Key(), key);
  }
}

TEST(ArchiveLayoutTest, OtherKeysAreNotArchiveObjects) {
  for (const char* key : {
           "",
           "topics/",
           "topics/a/",
           "topics/a/partition=0/",
           "topics/a/partition=0/a+0+0000000001.txt",
           "topics/a/partition=0/b+0+0000000001.json",   // another topic's name
           "topics/a/partition=1/a+0+0000000001.json",   // folder and name disagree
           "topics/a/partition=01/a+1+0000000001.json",  // not the canonical spelling
           "topics/a/partition=0/a+0+01.json",           // offset not zero-padded
           "topics/a/partition=0/a+0+00000000001.json",  // 11 digits below 10^10
           "topics/a/partition=x/a+0+0000000001.json",
           "topics/a/dt=2020-1-01/a+0+0000000001.json",
           "topics/a/other/a+0+0000000001.json",
           "topics/a/partition=0/sub/a+0+0000000001.json",
           "other/a/partition=0/a+0+0000000001.json",
           "topics/a/partition=0/a+0+-000000001.json",
       }) {
    EXPECT_FALSE(ParseArchiveKey(key).has_value()) << key;
  }
}

TEST(ArchiveLayoutTest, DirectoryStoreTemporaryNamesAreNotArchiveKeys) {
  const std::string key = ArchiveObject{"a", 0, 1, "", false}.Key();
  const std::string dir = key.substr(0, key.rfind('/') + 1);
  const std::string name = key.substr(key.rfind('/') + 1);
  const std::string temp = dir + ".tmp-" + name + "-1234-0";
  EXPECT_TRUE(DirectoryStore::IsTemporaryName(".tmp-" + name + "-1234-0"));
  EXPECT_FALSE(ParseArchiveKey(temp).has_value());
}

}  // namespace
}  // namespace pinstream
