// In-process costs of the stream service's hot paths (Google Benchmark): routing, the wire
// codec, and the store's append and scan without any transport.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "common/base64.h"
#include "common/hash_key.h"
#include "stream/stream_store.h"
#include "stream/wire_protocol.h"

namespace pinstream {
namespace {

constexpr size_t kRecordBytes = 700;

std::vector<std::string> MakeKeys(size_t n) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back(std::to_string(i * 7919 % 11000));
  return keys;
}

void BM_PartitionKeyHash(benchmark::State& state) {
  auto keys = MakeKeys(1024);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(PartitionKeyHash(keys[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PartitionKeyHash);

void BM_Base64Decode(benchmark::State& state) {
  std::string data(kRecordBytes, 'x');
  std::string text = Base64Encode(data);
  for (auto _ : state) benchmark::DoNotOptimize(Base64Decode(text));
  state.SetBytesProcessed(state.iterations() * kRecordBytes);
}
BENCHMARK(BM_Base64Decode);

void BM_EncodePutRecords(benchmark::State& state) {
  auto keys = MakeKeys(500);
  std::string data(kRecordBytes, 'x');
  std::vector<PutEntry> entries;
  for (const auto& k : keys) entries.push_back(PutEntry{k, data, std::nullopt});
  for (auto _ : state) {
    std::string out;
    EncodePutRecordsRequest(entries, &out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * entries.size());
}
BENCHMARK(BM_EncodePutRecords);

void BM_DecodeRecords(benchmark::State& state) {
  std::string data(kRecordBytes, 'x');
  std::string buf;
  for (uint64_t i = 0; i < 10000; ++i)
    AppendRecord(RecordView{{0, i + 1}, 1700000000000, "1234", data}, &buf);
  std::vector<RecordView> records;
  for (auto _ : state) {
    records.clear();
    benchmark::DoNotOptimize(DecodeRecords(buf, 0, &records));
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_DecodeRecords);

// A store in a scratch directory, with one 4-shard stream.
class StoreFixture : public benchmark::Fixture {
 public:
  void SetUp(benchmark::State&) override {
    dir_ = std::filesystem::temp_directory_path() / ("pinstream-micro-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    StreamStore::Options options;
    options.path = dir_.string();
    store_ = std::move(StreamStore::Open(options).value());
    (void)store_->CreateStream("s", 4);
  }
  void TearDown(benchmark::State&) override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

 protected:
  std::filesystem::path dir_;
  std::unique_ptr<StreamStore> store_;
};

BENCHMARK_DEFINE_F(StoreFixture, PutRecords500)(benchmark::State& state) {
  auto keys = MakeKeys(500);
  std::string data(kRecordBytes, 'x');
  std::vector<PutEntry> entries;
  for (const auto& k : keys) entries.push_back(PutEntry{k, data, std::nullopt});
  std::vector<PutResult> results;
  for (auto _ : state) {
    if (!store_->PutRecords("s", entries, &results).ok()) state.SkipWithError("put failed");
  }
  state.SetItemsProcessed(state.iterations() * entries.size());
  state.SetBytesProcessed(state.iterations() * entries.size() * kRecordBytes);
}
BENCHMARK_REGISTER_F(StoreFixture, PutRecords500)->UseRealTime();

BENCHMARK_DEFINE_F(StoreFixture, ScanShard)(benchmark::State& state) {
  std::string data(kRecordBytes, 'x');
  std::vector<PutEntry> entries(500, PutEntry{"k", data, std::nullopt});
  std::vector<PutResult> results;
  for (int i = 0; i < 400; ++i) (void)store_->PutRecords("s", entries, &results);  // 200k records
  const std::string shard = ShardIdFromIndex(results[0].sequence_number.shard_index);
  for (auto _ : state) {
    auto it = store_->GetShardIterator("s", shard, IteratorPosition{});
    std::string iterator = *it;
    size_t n = 0;
    while (true) {
      std::string buf;
      auto meta = store_->GetRecords(iterator, kMaxGetRecordsLimit, [&](const RecordView& r) {
        AppendRecord(r, &buf);
        ++n;
      });
      if (!meta.ok() || buf.empty()) break;
      iterator = meta->next_iterator;
    }
    state.SetItemsProcessed(state.items_processed() + n);
  }
}
BENCHMARK_REGISTER_F(StoreFixture, ScanShard)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pinstream

BENCHMARK_MAIN();
