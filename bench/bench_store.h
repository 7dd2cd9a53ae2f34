#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "sinks/processor_store.h"

namespace pinstream::bench {

// A writable ProcessorStore in a fresh directory named after `name` and the process, removed
// afterwards. `store` is null when it cannot be opened.
struct BenchStore {
  explicit BenchStore(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("pinstream-" + name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(dir);
    auto s = ProcessorStore::Open(dir.string(), /*read_only=*/false);
    if (s.ok()) store = std::move(s).value();
  }
  ~BenchStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }

  std::filesystem::path dir;
  std::unique_ptr<ProcessorStore> store;
};

}  // namespace pinstream::bench
