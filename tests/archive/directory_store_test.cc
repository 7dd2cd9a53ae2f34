#include "archive/directory_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "archive/object_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::TempDir;

TEST(DirectoryStoreTest, PutGetListInKeyOrder) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenObjectStore(dir.Sub("root/nested")));
  EXPECT_EQ(store->location(), dir.Sub("root/nested"));
  ASSERT_OK(store->Put("topics/b/partition=0/x.json", "bb"));
  ASSERT_OK(store->Put("topics/a/partition=1/y.json", "a1"));
  ASSERT_OK(store->Put("topics/a/partition=0/z.json", "a0"));
  ASSERT_OK(store->Put("topics/a+/q.json", "plus"));
  ASSERT_OK(store->Put("top.json", "top"));
  ASSERT_OK_AND_ASSIGN(auto all, store->List(""));
  std::vector<std::string> keys;
  for (const auto& o : all) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "top.json", "topics/a+/q.json", "topics/a/partition=0/z.json",
                      "topics/a/partition=1/y.json", "topics/b/partition=0/x.json"}));
  ASSERT_OK_AND_ASSIGN(auto a, store->List("topics/a/"));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].key, "topics/a/partition=0/z.json");
  EXPECT_EQ(a[0].size, 2);
  ASSERT_OK_AND_ASSIGN(auto partial, store->List("topics/a/partition=1"));
  ASSERT_EQ(partial.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto none, store->List("nothing/here/"));
  EXPECT_TRUE(none.empty());

  ASSERT_OK(store->Put("topics/b/partition=0/x.json", "replaced"));
  EXPECT_EQ(store->Get("topics/b/partition=0/x.json").value(), "replaced");
  ASSERT_OK(store->Put("empty.json", ""));
  EXPECT_EQ(store->Get("empty.json").value(), "");
  Result<std::string> missing = store->Get("topics/none.json");
  EXPECT_EQ(missing.status().code(), Status::Code::kResourceNotFound);
}

TEST(DirectoryStoreTest, RefusesKeysThatLeaveTheRootOrLookTemporary) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, DirectoryStore::Open(dir.path()));
  for (const char* key : {"", "/abs", "a/../b", "a//b", "./a", "a/", "a/.tmp-x"}) {
    EXPECT_EQ(store->Put(key, "x").code(), Status::Code::kInvalidArgument) << key;
  }
}

TEST(DirectoryStoreTest, ListSkipsTemporaryFiles) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, DirectoryStore::Open(dir.path()));
  ASSERT_OK(store->Put("d/a.json", "a"));
  // What a writer killed before its rename leaves.
  std::FILE* f = std::fopen(dir.Sub("d/.tmp-b.json-99-0").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("half", f);
  std::fclose(f);
  ASSERT_OK_AND_ASSIGN(auto all, store->List(""));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, "d/a.json");
}

// An object whose body says how long it is and what it holds, so a torn one shows.
std::string Body(uint32_t n, char fill) {
  std::string body = std::to_string(n) + ":" + fill + ":";
  body.append(n, fill);
  body += "$";
  return body;
}

bool Whole(const std::string& body) {
  const size_t colon = body.find(':');
  if (colon == std::string::npos || body.size() < colon + 4 || body.back() != '$') return false;
  const uint32_t n = static_cast<uint32_t>(std::stoul(body.substr(0, colon)));
  const char fill = body[colon + 1];
  if (body.size() != colon + 3 + n + 1) return false;
  return body.find_first_not_of(fill, colon + 3) == body.size() - 1;
}

// A writer killed with SIGKILL at random instants, over and over: every object a listing shows
// is whole (the old or the new one), never a prefix.
TEST(DirectoryStoreTest, AnObjectIsWholeOrAbsentAfterKill9) {
  TempDir dir;
  const uint64_t seed = std::getenv("PINSTREAM_TEST_SEED") != nullptr
                            ? std::stoull(std::getenv("PINSTREAM_TEST_SEED"))
                            : 20261206;
  std::mt19937_64 rng(seed);
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    const uint64_t child_seed = rng();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = DirectoryStore::Open(dir.path());
      if (!store.ok()) _exit(2);
      std::mt19937 r(static_cast<uint32_t>(child_seed));
      for (int i = 0;; ++i) {
        const std::string key = "topics/t/partition=" + std::to_string(r() % 3) + "/o" +
                                std::to_string(r() % 5) + ".json";
        if (!(*store)->Put(key, Body(r() % (4 << 20), static_cast<char>('a' + i % 26))).ok()) {
          _exit(3);
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 200));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer failed on its own: " << status;
    ++kills;
    ASSERT_OK_AND_ASSIGN(auto store, DirectoryStore::Open(dir.path()));
    ASSERT_OK_AND_ASSIGN(auto objects, store->List(""));
    for (const ObjectInfo& o : objects) {
      ASSERT_OK_AND_ASSIGN(std::string body, store->Get(o.key));
      ASSERT_TRUE(Whole(body)) << o.key << " is torn after kill " << kills << " (seed " << seed
                               << "), " << body.size() << " bytes";
    }
  }
  EXPECT_EQ(kills, 12);
}

}  // namespace
}  // namespace pinstream
