#include "emulator/kinesis_sink.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "stream/kinesis_backoff.h"

namespace pinstream {

namespace {

// PutRecords's limits (SPEC section 10): 500 records and 5 MiB a call.
constexpr size_t kMaxEntries = 500;
constexpr size_t kMaxBytes = size_t{5} << 20;

bool RetryableEntry(const Status& s) {
  return s.code() == Status::Code::kProvisionedThroughputExceeded ||
         s.code() == Status::Code::kInternal || s.code() == Status::Code::kUnavailable;
}

}  // namespace

Result<std::unique_ptr<KinesisSink>> KinesisSink::Connect(AwsConfig config,
                                                          const Options& options) {
  ASSIGN_OR_RETURN(auto client, KinesisHttpClient::Open(std::move(config)));
  return std::unique_ptr<KinesisSink>(new KinesisSink(std::move(client), options));
}

Status KinesisSink::EnsureStream(const std::string& stream, uint32_t shards) {
  counts_[stream];
  return client_->EnsureStream(stream, static_cast<int>(shards));
}

Status KinesisSink::Put(const std::string& stream, std::string partition_key, std::string data) {
  Pending& p = pending_[stream];
  const size_t size = partition_key.size() + data.size();
  if (!p.entries.empty() && (p.entries.size() >= kMaxEntries || p.bytes + size > kMaxBytes)) {
    RETURN_IF_ERROR(Send(stream));
  }
  p.bytes += size;
  p.entries.push_back({std::move(partition_key), std::move(data)});
  return Status::OK();
}

Status KinesisSink::Flush() {
  for (auto& [stream, p] : pending_) {
    if (!p.entries.empty()) RETURN_IF_ERROR(Send(stream));
  }
  return Status::OK();
}

Status KinesisSink::Send(const std::string& stream) {
  Pending& p = pending_[stream];
  std::vector<KinesisHttpClient::PutEntry> entries = std::move(p.entries);
  p = Pending{};
  Counts& counts = counts_[stream];
  KinesisBackoff backoff(/*base_ms=*/50, /*cap_ms=*/2000);
  for (int attempt = 1; !entries.empty(); ++attempt) {
    Result<std::vector<KinesisPutResult>> results = client_->PutRecords(stream, entries);
    std::vector<KinesisHttpClient::PutEntry> again;
    if (!results.ok()) {
      if (!IsRetryableKinesisError(results.status()) || attempt >= options_.max_attempts) {
        return results.status().WithContext("PutRecords to " + stream);
      }
      again = std::move(entries);
    } else {
      for (size_t i = 0; i < entries.size(); ++i) {
        const Status& s = (*results)[i].status;
        if (s.ok()) {
          ++counts.acked;
        } else if (RetryableEntry(s) && attempt < options_.max_attempts) {
          again.push_back(std::move(entries[i]));
        } else {
          ++counts.failed;
          if (first_failure_.ok()) first_failure_ = s;
        }
      }
    }
    entries = std::move(again);
    if (!entries.empty()) {
      const int64_t delay = backoff.NextDelayMs();
      spdlog::debug("emulate: resending stream={} records={} attempt={} delay_ms={}", stream,
                    entries.size(), attempt, delay);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
  }
  return Status::OK();
}

RecordSink::Counts KinesisSink::counts(const std::string& stream) const {
  auto it = counts_.find(stream);
  return it == counts_.end() ? Counts{} : it->second;
}

}  // namespace pinstream
