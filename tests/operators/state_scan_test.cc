// StateStore::Scan over a real ProcessorStore: committed keys merged with the batch's staged
// puts and deletes, ranges, early stop, namespace isolation, and nothing staged surviving a
// reopen.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "sinks/processor_store.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::TempDir;

using KV = std::map<std::string, std::string>;

KV ScanAll(StateStore* s, std::string_view begin = "", std::string_view end = "") {
  KV out;
  std::string last;
  Status st = s->Scan(begin, end, [&](std::string_view k, std::string_view v) {
    EXPECT_TRUE(out.empty() || std::string(k) > last) << "keys out of order";
    last = std::string(k);
    out.emplace(k, v);
    return true;
  });
  EXPECT_OK(st);
  return out;
}

class StateScanTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto store = ProcessorStore::Open(dir_.Sub("store"), /*read_only=*/false);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }
  void Commit() {
    Checkpoint checkpoint;
    checkpoint.offsets["s"]["shardId-000000000000"] = std::to_string(++commits_);
    ASSERT_OK(store_->Commit("scan-test", checkpoint).status());
  }
  TempDir dir_;
  std::unique_ptr<ProcessorStore> store_;
  int commits_ = 0;
};

TEST_F(StateScanTest, MergesStagedWritesWithCommittedState) {
  StateStore* s = store_->State("op/1");
  ASSERT_OK(s->Put("a", "1"));
  ASSERT_OK(s->Put("c", "3"));
  ASSERT_OK(s->Put("e", "5"));
  EXPECT_EQ(ScanAll(s), (KV{{"a", "1"}, {"c", "3"}, {"e", "5"}}));  // staged only
  Commit();
  EXPECT_EQ(ScanAll(s), (KV{{"a", "1"}, {"c", "3"}, {"e", "5"}}));  // committed only
  ASSERT_OK(s->Put("b", "2"));                                      // new
  ASSERT_OK(s->Put("c", "33"));                                     // overwrites a committed key
  ASSERT_OK(s->Delete("e"));                                        // hides a committed key
  ASSERT_OK(s->Put("f", "6"));
  ASSERT_OK(s->Delete("f"));  // staged, then deleted
  EXPECT_EQ(ScanAll(s), (KV{{"a", "1"}, {"b", "2"}, {"c", "33"}}));
  // Ranges: [begin, end).
  EXPECT_EQ(ScanAll(s, "b", "c"), (KV{{"b", "2"}}));
  EXPECT_EQ(ScanAll(s, "b"), (KV{{"b", "2"}, {"c", "33"}}));
  EXPECT_EQ(ScanAll(s, "", "b"), (KV{{"a", "1"}}));
  // Early stop.
  int visits = 0;
  ASSERT_OK(s->Scan("", "", [&](std::string_view, std::string_view) { return ++visits < 2; }));
  EXPECT_EQ(visits, 2);
  Commit();
  EXPECT_EQ(ScanAll(s), (KV{{"a", "1"}, {"b", "2"}, {"c", "33"}}));
}

TEST_F(StateScanTest, NamespacesAreIsolated) {
  StateStore* a = store_->State("op/1");
  StateStore* b = store_->State("op/10");  // its id extends a's
  ASSERT_OK(a->Put("k", "a"));
  ASSERT_OK(b->Put("k", "b"));
  ASSERT_OK(b->Put("\xff\xff", "b2"));
  EXPECT_EQ(ScanAll(a), (KV{{"k", "a"}}));
  Commit();
  EXPECT_EQ(ScanAll(a), (KV{{"k", "a"}}));
  EXPECT_EQ(ScanAll(b), (KV{{"k", "b"}, {"\xff\xff", "b2"}}));
}

TEST_F(StateScanTest, StagedStateIsGoneAfterAbortAndReopen) {
  StateStore* s = store_->State("op/1");
  ASSERT_OK(s->Put("kept", "1"));
  Commit();
  ASSERT_OK(s->Put("aborted", "1"));
  ASSERT_OK(s->Delete("kept"));
  store_->Abort();
  EXPECT_EQ(ScanAll(s), (KV{{"kept", "1"}}));
  ASSERT_OK(s->Put("crashed", "1"));
  Reopen();
  EXPECT_EQ(ScanAll(store_->State("op/1")), (KV{{"kept", "1"}}));
}

// Random puts, deletes, commits and scans against a std::map.
TEST_F(StateScanTest, MatchesAModel) {
  StateStore* s = store_->State("model");
  StateStore* other = store_->State("other");
  KV model;
  std::mt19937 rng(1);
  for (int step = 0; step < 3000; ++step) {
    const std::string k = "k" + std::to_string(rng() % 200);
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        const std::string v = std::to_string(step);
        ASSERT_OK(s->Put(k, v));
        model[k] = v;
        break;
      }
      case 4:
      case 5:
        ASSERT_OK(s->Delete(k));
        model.erase(k);
        break;
      case 6:
        ASSERT_OK(other->Put(k, "noise"));
        break;
      case 7:
        Commit();
        break;
      default: {
        std::string lo = "k" + std::to_string(rng() % 200), hi = "k" + std::to_string(rng() % 200);
        if (hi < lo) std::swap(lo, hi);
        KV expected(model.lower_bound(lo), model.lower_bound(hi));
        ASSERT_EQ(ScanAll(s, lo, hi), expected) << "step " << step;
      }
    }
  }
  EXPECT_EQ(ScanAll(s), model);
}

}  // namespace
}  // namespace pinstream
