// The window operator alone, in process (Google Benchmark): a count by 10,000 keys on 1-second
// tumbling event-time windows, over a real ProcessorStore. Event time advances 1 ms every 1,000
// records (a 1,000,000 records/s stream), so every window holds 100 records per key and 10,000
// windows close per second of event time.
//   BM_WindowedCount/B        records/s of Process, with Flush + Commit every B records
//   BM_WindowedCountProcess/B records/s of Process alone (Flush + Commit untimed)
//   BM_StateCommit/B          the time of one micro-batch's Flush + ProcessorStore::Commit
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bench/bench_store.h"
#include "operators/stream_operator.h"
#include "sinks/processor_store.h"

namespace pinstream {
namespace {

constexpr int kKeys = 10'000;
constexpr int64_t kRecordsPerMs = 1'000;

using bench::BenchStore;

// Counts the rows a window emits (closed windows) without keeping them.
class CountingOutput final : public Output {
 public:
  Status Emit(Row) override {
    ++rows;
    return Status::OK();
  }
  Status EmitSide(size_t, Row) override {
    ++late;
    return Status::OK();
  }
  int64_t rows = 0;
  int64_t late = 0;
};

// The window operator over (ts, key) rows, bound to `store`.
std::unique_ptr<Operator> MakeWindow(ProcessorStore* store) {
  const nlohmann::ordered_json config = {{"op", "window"},
                                         {"time", "ts"},
                                         {"tumbling", "1s"},
                                         {"group_by", {"key"}},
                                         {"aggregates", {{"n", "count"}}}};
  const Schema input(
      {{"ts", Type::kTimestamp, Type::kNull, true}, {"key", Type::kString, Type::kNull, true}});
  Schema output;
  BuildErrors errors;
  std::vector<SideOutput> sides;
  auto op = (*OperatorRegistry::Default().Find("window"))(
      OperatorArgs{config, "/bench", input, &output, &errors, &sides});
  if (op) op->Bind(store->State("bench/0"));
  return op;
}

// Record i: its event time and key (keys in a scrambled but fixed order).
struct Records {
  std::vector<std::string> keys;
  Records() {
    for (int k = 0; k < kKeys; ++k) keys.push_back("key-" + std::to_string(k));
  }
  Row Make(int64_t i) const {
    const auto k = static_cast<size_t>((static_cast<uint64_t>(i) * 2654435761u) % kKeys);
    return Row{Value::TimestampMs(i / kRecordsPerMs), Value::String(keys[k])};
  }
};

Status Commit(ProcessorStore* store, int64_t batch) {
  Checkpoint checkpoint;
  checkpoint.offsets["bench"]["shardId-000000000000"] = std::to_string(batch);
  return store->Commit("window-bench", checkpoint).status();
}

void RunWindowedCount(benchmark::State& state, bool time_commits) {
  BenchStore b("window-bench");
  if (!b.store) return state.SkipWithError("cannot open the store");
  auto op = MakeWindow(b.store.get());
  if (!op) return state.SkipWithError("cannot build the window");
  StreamOperator* window = op->stream();
  const Records records;
  CountingOutput out;
  const RecordContext ctx{Channel{0, 0}, 0};
  const int64_t batch = state.range(0);
  int64_t i = 0, batches = 0;
  for (auto _ : state) {
    if (!window->Process(ctx, records.Make(i), out).ok()) {
      return state.SkipWithError("process failed");
    }
    if (++i % batch == 0) {
      if (!time_commits) state.PauseTiming();
      if (!window->Flush(BatchContext{0}, out).ok() || !Commit(b.store.get(), ++batches).ok()) {
        return state.SkipWithError("flush or commit failed");
      }
      if (!time_commits) state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(i);
  state.counters["windows_closed"] = static_cast<double>(out.rows);
  state.counters["state_keys"] = static_cast<double>(window->state_stats().keys);
}

void BM_WindowedCount(benchmark::State& state) { RunWindowedCount(state, true); }
void BM_WindowedCountProcess(benchmark::State& state) { RunWindowedCount(state, false); }

// One iteration = one micro-batch's Flush + Commit; the batch's records are fed untimed.
void BM_StateCommit(benchmark::State& state) {
  BenchStore b("window-bench");
  if (!b.store) return state.SkipWithError("cannot open the store");
  auto op = MakeWindow(b.store.get());
  if (!op) return state.SkipWithError("cannot build the window");
  StreamOperator* window = op->stream();
  const Records records;
  CountingOutput out;
  const RecordContext ctx{Channel{0, 0}, 0};
  const int64_t batch = state.range(0);
  int64_t i = 0, batches = 0;
  double flush_us = 0, commit_us = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t k = 0; k < batch; ++k) {
      if (!window->Process(ctx, records.Make(i++), out).ok()) {
        return state.SkipWithError("process failed");
      }
    }
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    if (!window->Flush(BatchContext{0}, out).ok()) return state.SkipWithError("flush failed");
    const auto t1 = std::chrono::steady_clock::now();
    if (!Commit(b.store.get(), ++batches).ok()) return state.SkipWithError("commit failed");
    flush_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
    commit_us +=
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count();
  }
  // The two halves: the operator staging its changed state, the store writing the batch.
  state.counters["flush_us"] = flush_us / static_cast<double>(batches);
  state.counters["commit_us"] = commit_us / static_cast<double>(batches);
  state.counters["records_per_batch"] = static_cast<double>(batch);
  state.counters["windows_closed"] = static_cast<double>(out.rows);
}

BENCHMARK(BM_WindowedCount)->Arg(10'000)->Arg(100'000)->MinTime(3);
BENCHMARK(BM_WindowedCountProcess)->Arg(10'000)->MinTime(3);
BENCHMARK(BM_StateCommit)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->MinTime(3);

}  // namespace
}  // namespace pinstream

BENCHMARK_MAIN();
