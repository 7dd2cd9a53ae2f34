#pragma once

#include <map>
#include <string>
#include <vector>

#include "emulator/record_sink.h"

namespace pinstream::testing {

// A RecordSink that keeps every record in memory, in the order put, acknowledging all of them.
class FakeSink final : public RecordSink {
 public:
  struct Record {
    std::string partition_key;
    std::string data;
  };

  Status EnsureStream(const std::string& stream, uint32_t shards) override {
    shards_.emplace(stream, shards);
    records_[stream];
    return Status::OK();
  }
  Status Put(const std::string& stream, std::string partition_key, std::string data) override {
    auto it = records_.find(stream);
    if (it == records_.end()) return Status::InvalidArgument("stream not set up: " + stream);
    it->second.push_back({std::move(partition_key), std::move(data)});
    return Status::OK();
  }
  Status Flush() override {
    ++flushes_;
    return Status::OK();
  }
  Counts counts(const std::string& stream) const override {
    auto it = records_.find(stream);
    return it == records_.end() ? Counts{} : Counts{it->second.size(), 0};
  }
  Status first_failure() const override { return Status::OK(); }
  std::string destination() const override { return "fake"; }

  const std::vector<Record>& records(const std::string& stream) { return records_[stream]; }
  const std::map<std::string, uint32_t>& shards() const { return shards_; }
  int flushes() const { return flushes_; }

 private:
  std::map<std::string, std::vector<Record>> records_;
  std::map<std::string, uint32_t> shards_;
  int flushes_ = 0;
};

}  // namespace pinstream::testing
