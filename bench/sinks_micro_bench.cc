// The sink side of a micro-batch (Google Benchmark): staging rows into tables and operator
// state, then committing them in one RocksDB write. Items are rows; commits every Arg rows.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "bench/bench_store.h"
#include "sinks/processor_store.h"

namespace pinstream {
namespace {

using bench::BenchStore;

// A cleaned pin row: 11 columns, about 600 bytes.
TableDef PinDef() {
  Schema s;
  const char* names[] = {"ind",           "unique_id",         "title",
                         "description",   "follower_count",    "poster_name",
                         "tag_list",      "is_image_or_video", "image_src",
                         "save_location", "category"};
  for (int i = 0; i < 11; ++i) {
    Column c;
    c.name = names[i];
    c.type = i == 0 || i == 4 ? Type::kInt : Type::kString;
    s.Add(c);
  }
  return {"pin", s, {}};
}

Row PinRow() {
  Row row;
  for (int i = 0; i < 11; ++i) {
    row.push_back(i == 0 || i == 4 ? Value::Int(i) : Value::String(std::string(55, 'a' + i)));
  }
  return row;
}

Offsets SomeOffsets(int64_t i) {
  return {{"demo-pin", {{"shardId-000000000000", std::to_string(i)}}}};
}

// Appends rows, committing every state.range(0) rows; with `dedup`, each row first checks and
// sets a state key (a random ind, as the dedup operator does).
void RunAppend(benchmark::State& state, bool dedup) {
  BenchStore b("sinks-bench");
  if (!b.store) return state.SkipWithError("cannot open the store");
  auto writer = b.store->OpenTable(PinDef());
  if (!writer.ok()) return state.SkipWithError("cannot open the table");
  StateStore* seen = b.store->State("pin/dedup");
  Row row = PinRow();
  std::mt19937_64 rng(42);
  const int64_t batch = state.range(0);
  int64_t n = 0;
  char key[8];
  for (auto _ : state) {
    row[0] = Value::Int(n);
    if (dedup) {
      EncodeFixed64BE(key, rng());
      auto hit = seen->Get(std::string_view(key, 8));
      if (!hit.ok() || !seen->Put(std::string_view(key, 8), "").ok()) {
        return state.SkipWithError("state failed");
      }
    }
    if (!(*writer)->Write(row).ok()) return state.SkipWithError("write failed");
    if (++n % batch == 0 && !b.store->Commit("bench", {SomeOffsets(n), {}, {}}).ok()) {
      return state.SkipWithError("commit failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AppendRows(benchmark::State& state) { RunAppend(state, false); }
BENCHMARK(BM_AppendRows)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_AppendRowsWithDedupState(benchmark::State& state) { RunAppend(state, true); }
BENCHMARK(BM_AppendRowsWithDedupState)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Upserts into an aggregate table of state.range(1) keys, committing every state.range(0) rows.
void BM_UpsertRows(benchmark::State& state) {
  BenchStore b("sinks-bench");
  if (!b.store) return state.SkipWithError("cannot open the store");
  Schema s;
  for (const char* name : {"country", "category", "category_count"}) {
    Column c;
    c.name = name;
    c.type = std::string_view(name) == "category_count" ? Type::kInt : Type::kString;
    s.Add(c);
  }
  auto writer = b.store->OpenTable({"q", s, {"country"}});
  if (!writer.ok()) return state.SkipWithError("cannot open the table");
  const int64_t batch = state.range(0), keys = state.range(1);
  std::vector<std::string> countries;
  for (int64_t i = 0; i < keys; ++i)
    countries.push_back("country-" + std::to_string(i * 7919 % keys));
  Row row = {Value::String(""), Value::String("travel"), Value::Int(0)};
  int64_t n = 0;
  for (auto _ : state) {
    row[0].as_string() = countries[n % keys];
    row[2] = Value::Int(n);
    if (!(*writer)->Write(row).ok()) return state.SkipWithError("write failed");
    if (++n % batch == 0 && !b.store->Commit("bench", {SomeOffsets(n), {}, {}}).ok()) {
      return state.SkipWithError("commit failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UpsertRows)->Args({10000, 200})->Args({10000, 100000})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pinstream

BENCHMARK_MAIN();
