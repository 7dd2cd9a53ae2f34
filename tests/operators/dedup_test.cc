// dedup over a real ProcessorStore state namespace: first row of a key wins, later ones are
// dropped, and the keys seen survive Commit and a reopen (and vanish with an Abort).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/test_util.h"

namespace pinstream {
namespace {

using testing::ApplyOperator;
using testing::BuildOperator;
using testing::Col;
using testing::Int;
using testing::Null;
using testing::ojson;
using testing::Str;
using testing::TempDir;

const Schema kSchema({Col("ind", Type::kInt), Col("name", Type::kString),
                      Col("other", Type::kString)});

class DedupTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = ProcessorStore::Open(dir_.Sub("store"), /*read_only=*/false);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }

  // A dedup on `key`, bound to the state namespace `op_id`.
  std::unique_ptr<Operator> MakeDedup(ojson key, const std::string& op_id = "pin/7") {
    auto built = BuildOperator({{"op", "dedup"}, {"key", std::move(key)}}, kSchema);
    EXPECT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
    if (!built.ok()) return nullptr;
    EXPECT_EQ(built.output, kSchema);
    EXPECT_TRUE(built.op->stateful());
    built.op->Bind(store_->State(op_id));
    return std::move(built.op);
  }

  // True when `op` keeps `row` (unchanged), false when it drops it.
  static bool Keeps(Operator& op, const Row& row) {
    auto out = ApplyOperator(op, row);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return false;
    if (out->has_value()) {
      EXPECT_EQ(**out, row);
    }
    return out->has_value();
  }

  void Commit() {
    Offsets offsets;
    offsets["s"]["shardId-000000000000"] = std::to_string(++commits_);
    auto batch = store_->Commit("dedup-test", {offsets, {}});
    ASSERT_OK(batch.status());
  }

  TempDir dir_;
  std::unique_ptr<ProcessorStore> store_;
  int commits_ = 0;
};

TEST_F(DedupTest, FirstWinsWithinAndAcrossBatches) {
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("first"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("a"), Null()}));
  // The same batch sees its own keys (read-your-writes), whatever the other columns hold.
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("second"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("first"), Null()}));
  Commit();
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("third"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(2), Str("b"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("c"), Null()}));
  Commit();
}

TEST_F(DedupTest, StateSurvivesReopen) {
  {
    auto dedup = MakeDedup({"ind"});
    ASSERT_NE(dedup, nullptr);
    EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("x"), Null()}));
    EXPECT_TRUE(Keeps(*dedup, {Int(-5), Str("x"), Null()}));
    Commit();
  }
  Reopen();
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("again"), Null()}));
  EXPECT_FALSE(Keeps(*dedup, {Int(-5), Str("again"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("new"), Null()}));
}

TEST_F(DedupTest, UncommittedKeysAreForgottenByAbortAndByACrash) {
  {
    auto dedup = MakeDedup({"ind"});
    ASSERT_NE(dedup, nullptr);
    EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("x"), Null()}));
    Commit();
    EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("x"), Null()}));
    store_->Abort();
    // The aborted batch's key is new again; the committed one is not.
    EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("y"), Null()}));
    EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("y"), Null()}));
    // Staged, never committed: closing the store loses it, as a kill -9 would.
    EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("x"), Null()}));
  }
  Reopen();
  auto dedup = MakeDedup({"ind"});
  ASSERT_NE(dedup, nullptr);
  EXPECT_FALSE(Keeps(*dedup, {Int(1), Str("z"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("z"), Null()}));
  EXPECT_TRUE(Keeps(*dedup, {Int(3), Str("z"), Null()}));
}

TEST_F(DedupTest, NamespacesAreIsolated) {
  auto pin = MakeDedup({"ind"}, "pin/7");
  auto geo = MakeDedup({"ind"}, "geo/5");
  // An operator id that extends another's must not share its keys either.
  auto pin70 = MakeDedup({"ind"}, "pin/70");
  ASSERT_TRUE(pin && geo && pin70);
  EXPECT_TRUE(Keeps(*pin, {Int(1), Null(), Null()}));
  EXPECT_TRUE(Keeps(*geo, {Int(1), Null(), Null()}));
  EXPECT_TRUE(Keeps(*pin70, {Int(1), Null(), Null()}));
  Commit();
  EXPECT_FALSE(Keeps(*pin, {Int(1), Null(), Null()}));
  EXPECT_FALSE(Keeps(*geo, {Int(1), Null(), Null()}));
  EXPECT_FALSE(Keeps(*pin70, {Int(1), Null(), Null()}));
}

TEST_F(DedupTest, CompositeKeysAndNulls) {
  auto dedup = MakeDedup({"name", "other"});
  ASSERT_NE(dedup, nullptr);
  // Key parts are delimited: ("ab", "c") and ("a", "bc") are different keys.
  EXPECT_TRUE(Keeps(*dedup, {Int(1), Str("ab"), Str("c")}));
  EXPECT_TRUE(Keeps(*dedup, {Int(2), Str("a"), Str("bc")}));
  EXPECT_FALSE(Keeps(*dedup, {Int(3), Str("ab"), Str("c")}));
  // Null is a key value like any other (Spark's dropDuplicates), and differs from "".
  EXPECT_TRUE(Keeps(*dedup, {Int(4), Null(), Str("c")}));
  EXPECT_FALSE(Keeps(*dedup, {Int(5), Null(), Str("c")}));
  EXPECT_TRUE(Keeps(*dedup, {Int(6), Str(""), Str("c")}));
  // Unicode and large keys.
  EXPECT_TRUE(Keeps(*dedup, {Int(7), Str("\xE2\x80\xA6\xC2\xA0"), Str(std::string(100000, 'k'))}));
  EXPECT_FALSE(Keeps(*dedup, {Int(8), Str("\xE2\x80\xA6\xC2\xA0"), Str(std::string(100000, 'k'))}));
  Commit();
  EXPECT_FALSE(Keeps(*dedup, {Int(9), Str("a"), Str("bc")}));
}

TEST_F(DedupTest, UnboundIsAnInternalError) {
  auto built = BuildOperator({{"op", "dedup"}, {"key", "ind"}}, kSchema);
  ASSERT_TRUE(built.ok()) << ::testing::PrintToString(built.errors);
  Row row{Int(1), Null(), Null()};
  bool keep = true;
  EXPECT_EQ(built.op->Apply(row, &keep).code(), Status::Code::kInternal);
}

TEST(DedupConfigTest, Errors) {
  using Errors = std::vector<std::string>;
  EXPECT_EQ(BuildOperator({{"op", "dedup"}}, kSchema).errors,
            Errors{"/step: missing option 'key'"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", {"ind", "nope"}}}, kSchema).errors,
            Errors{"/step/key/1: unknown column 'nope'"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", 5}}, kSchema).errors,
            Errors{"/step/key: must be a list of strings"});
  EXPECT_EQ(BuildOperator({{"op", "dedup"}, {"key", "ind"}, {"ttl", "1h"}}, kSchema).errors,
            Errors{"/step/ttl: unknown option 'ttl'"});
}

}  // namespace
}  // namespace pinstream
