#pragma once

// Helpers of the stream operator tests (window, aggregate): an operator built through the
// registry and bound to a state namespace of a real ProcessorStore, fed rows with a channel
// and flushed and committed batch by batch, its emitted rows collected.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/stream_operator.h"
#include "sinks/processor_store.h"
#include "tests/operators/operator_test_util.h"
#include "tests/test_util.h"

namespace pinstream::testing {

// Collects what a stream operator emits.
class CollectingOutput final : public Output {
 public:
  Status Emit(Row row) override {
    rows.push_back(std::move(row));
    return Status::OK();
  }
  Status EmitSide(size_t side, Row row) override {
    EXPECT_EQ(side, 0u);
    side_rows.push_back(std::move(row));
    return Status::OK();
  }
  std::vector<Row> rows;
  std::vector<Row> side_rows;
};

inline constexpr int64_t kSecond = 1000;
inline Value Ts(int64_t ms) { return Value::TimestampMs(ms); }

// One stream operator over a store in a temporary directory.
class StreamHarness {
 public:
  explicit StreamHarness(TempDir* dir, std::string op_id = "p/0")
      : path_(dir->Sub("store")), op_id_(std::move(op_id)) {
    Reopen();
  }

  // Builds `config` over `input`; false (with the errors in a failure) when it does not build.
  // `inputs`: for a step reading several inputs (a join); `input` is then the first's schema.
  bool Build(const ojson& config, const Schema& input,
             std::optional<std::vector<NamedInput>> inputs = std::nullopt) {
    config_ = config;
    input_ = input;
    inputs_ = std::move(inputs);
    built_ = BuildOperator(config, input, inputs_ ? &*inputs_ : nullptr);
    EXPECT_TRUE(built_.ok()) << ::testing::PrintToString(built_.errors);
    if (!built_.ok()) return false;
    stream_ = built_.op->stream();
    EXPECT_NE(stream_, nullptr);
    if (!stream_) return false;
    built_.op->Bind(store_->State(op_id_));
    return true;
  }

  // Closes the store without committing what is staged (as a kill -9 would), opens it again
  // and rebuilds the operator with an empty cache.
  void Crash() {
    built_ = BuiltOperator();
    stream_ = nullptr;
    Reopen();
    if (!config_.is_null()) Build(config_, input_, inputs_);
  }

  Status Feed(Row row, int64_t arrival_ms = 0, Channel channel = Channel{0, 0},
              uint32_t input = 0) {
    return stream_->Process(RecordContext{channel, arrival_ms, input}, std::move(row), out);
  }
  Status Flush(int64_t now_ms = 0) { return stream_->Flush(BatchContext{now_ms}, out); }
  // Flush, then commit the batch.
  void FlushAndCommit(int64_t now_ms = 0) {
    ASSERT_OK(Flush(now_ms));
    Offsets offsets;
    offsets["s"]["shardId-000000000000"] = std::to_string(++commits_);
    Checkpoint checkpoint;
    checkpoint.offsets = offsets;
    auto batch = store_->Commit("stream-test", checkpoint);
    ASSERT_OK(batch.status());
  }

  // The keys of the operator's state namespace (committed and staged).
  std::vector<std::string> StateKeys() {
    std::vector<std::string> keys;
    Status s = store_->State(op_id_)->Scan("", "", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    EXPECT_OK(s);
    return keys;
  }

  // The rows emitted so far, then forgets them.
  std::vector<Row> Take() {
    std::vector<Row> rows = std::move(out.rows);
    out.rows.clear();
    return rows;
  }

  StreamOperator* op() { return stream_; }
  const BuiltOperator& built() const { return built_; }
  ProcessorStore* store() { return store_.get(); }

  CollectingOutput out;

 private:
  void Reopen() {
    store_.reset();
    auto store = ProcessorStore::Open(path_, /*read_only=*/false);
    ASSERT_OK(store.status());
    store_ = std::move(store).value();
  }

  std::string path_;
  std::string op_id_;
  std::unique_ptr<ProcessorStore> store_;
  BuiltOperator built_;
  StreamOperator* stream_ = nullptr;
  ojson config_;
  Schema input_;
  std::optional<std::vector<NamedInput>> inputs_;
  int commits_ = 0;
};

}  // namespace pinstream::testing
