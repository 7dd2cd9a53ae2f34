#include "stream/producer.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "stream/wire_protocol.h"

namespace pinstream {

namespace {

bool Retryable(const Status& s) {
  using C = Status::Code;
  return s.code() == C::kProvisionedThroughputExceeded || s.code() == C::kInternal ||
         s.code() == C::kUnavailable || s.code() == C::kIOError;
}

}  // namespace

Producer::Producer(StreamClient* client, std::string stream, const Options& options,
                   Callback on_done)
    : client_(client),
      stream_(std::move(stream)),
      options_(options),
      on_done_(std::move(on_done)) {}

Status Producer::Put(std::string partition_key, std::string data) {
  queued_bytes_ += partition_key.size() + data.size();
  queue_.push_back(Pending{std::move(partition_key), std::move(data), 0});
  if (queue_.size() >= options_.max_batch_records || queued_bytes_ >= options_.max_batch_bytes) {
    RETURN_IF_ERROR(Drain(options_.max_in_flight - 1));
    RETURN_IF_ERROR(SendBatch());
  }
  return Status::OK();
}

Status Producer::Flush() {
  while (!queue_.empty() || !in_flight_.empty()) {
    if (!queue_.empty()) {
      RETURN_IF_ERROR(Drain(options_.max_in_flight - 1));
      RETURN_IF_ERROR(SendBatch());
    } else {
      RETURN_IF_ERROR(Drain(0));
    }
  }
  return Status::OK();
}

Status Producer::SendBatch() {
  InFlight batch;
  size_t bytes = 0;
  while (
      !queue_.empty() && batch.entries.size() < options_.max_batch_records &&
      (batch.entries.empty() || bytes + queue_.front().data.size() <= options_.max_batch_bytes)) {
    bytes += queue_.front().partition_key.size() + queue_.front().data.size();
    batch.entries.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_bytes_ -= std::min(queued_bytes_, bytes);
  if (batch.entries.empty()) return Status::OK();
  std::vector<PutEntry> entries;
  entries.reserve(batch.entries.size());
  for (auto& p : batch.entries) {
    ++p.attempts;
    entries.push_back(PutEntry{p.partition_key, p.data, std::nullopt});
  }
  auto id = client_->SendPutRecords(stream_, entries);
  if (!id.ok()) {
    for (auto& p : batch.entries) queue_.push_front(std::move(p));
    return id.status();
  }
  ++stats_.requests;
  batch.sent = std::chrono::steady_clock::now();
  in_flight_.emplace(*id, std::move(batch));
  return Status::OK();
}

Status Producer::Drain(size_t max_in_flight) {
  const auto timeout = client_->timeout();
  while (in_flight_.size() > max_in_flight) {
    ASSIGN_OR_RETURN(auto reply, client_->Receive(std::chrono::milliseconds(100)));
    if (!reply) {
      // Requests unanswered for too long are presumed lost: send their entries again.
      auto now = std::chrono::steady_clock::now();
      for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        if (now - it->second.sent < timeout) {
          ++it;
          continue;
        }
        spdlog::warn("PutRecords request timed out stream={} records={}", stream_,
                     it->second.entries.size());
        for (auto& p : it->second.entries)
          Requeue(std::move(p), Status::Unavailable("request timed out"));
        it = in_flight_.erase(it);
      }
      continue;
    }
    auto it = in_flight_.find(reply->request_id);
    if (it == in_flight_.end()) continue;  // a reply to a request already given up on
    InFlight batch = std::move(it->second);
    in_flight_.erase(it);
    std::vector<PutResult> results;
    Status s = reply->status;
    if (s.ok()) {
      s = reply->frames.size() == 1
              ? DecodePutRecordsReply(reply->frames[0].to_string_view(), &results)
              : Status::Corruption("malformed PutRecords reply");
    }
    if (s.ok() && results.size() != batch.entries.size())
      s = Status::Corruption("PutRecords reply size mismatch");
    if (!s.ok()) {
      // The whole request was refused: retry it if the cause may pass, else fail its entries.
      for (auto& p : batch.entries) {
        if (Retryable(s)) {
          Requeue(std::move(p), s);
        } else {
          Finish(p, s, {});
        }
      }
      continue;
    }
    bool backoff = false;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].status.ok()) {
        Finish(batch.entries[i], results[i].status, results[i].sequence_number);
      } else if (Retryable(results[i].status)) {
        Requeue(std::move(batch.entries[i]), results[i].status);
        backoff = true;
      } else {
        Finish(batch.entries[i], results[i].status, {});
      }
    }
    if (backoff) std::this_thread::sleep_for(options_.retry_backoff);
  }
  return Status::OK();
}

void Producer::Requeue(Pending&& p, const Status& why) {
  if (p.attempts >= options_.max_attempts) {
    Finish(p, why.WithContext("out of attempts"), {});
    return;
  }
  ++stats_.retried;
  queued_bytes_ += p.partition_key.size() + p.data.size();
  queue_.push_back(std::move(p));
}

void Producer::Finish(const Pending& p, const Status& status, const SequenceNumber& seq) {
  if (status.ok()) {
    ++stats_.acked;
  } else {
    ++stats_.failed;
  }
  if (on_done_) on_done_(p.partition_key, p.data, status, seq);
}

}  // namespace pinstream
