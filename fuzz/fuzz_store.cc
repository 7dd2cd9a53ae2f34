#include "fuzz/fuzz_store.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace pinstream::fuzz {

namespace {

std::string& StoreDir() {
  static auto* dir = new std::string();
  return *dir;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz store: %s\n", what.c_str());
  std::abort();
}

StreamStore* OpenStore() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pinstream-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
  StoreDir() = pattern;
  // The store lives until exit; libFuzzer leaves through exit(), which runs this.
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(StoreDir(), ec);
  });
  StreamStore::Options options;
  options.path = pattern + "/db";
  options.clock = FuzzClock();
  options.write_buffer_bytes = size_t{4} << 20;
  auto store = StreamStore::Open(options);
  if (!store.ok()) Die(store.status().ToString());
  Status s = (*store)->CreateStream(kFuzzStream, kFuzzShards);
  if (!s.ok()) Die(s.ToString());
  return store->release();
}

}  // namespace

ManualClock* FuzzClock() {
  static auto* clock = new ManualClock(kFuzzNowMs);
  return clock;
}

StreamStore* FuzzStore() {
  static StreamStore* store = OpenStore();
  return store;
}

}  // namespace pinstream::fuzz
