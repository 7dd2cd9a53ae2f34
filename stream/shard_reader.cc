#include "stream/shard_reader.h"

#include <algorithm>

namespace pinstream {

ShardReader::ShardReader(StreamClient* client, std::string iterator, const Options& options)
    : client_(client), options_(options), iterator_(iterator), send_base_(std::move(iterator)) {}

Status ShardReader::Fill() {
  while (in_flight_.size() < static_cast<size_t>(std::max(1, options_.prefetch))) {
    ASSIGN_OR_RETURN(uint64_t id, client_->SendGetRecords(send_base_, options_.limit, send_skip_));
    in_flight_.push_back(
        Request{id, send_base_counter_ ? *send_base_counter_ + send_skip_ : kUnknown});
    // Where an iterator reads from is known only once a reply has said it: until then one
    // request goes alone.
    if (!send_base_counter_) break;
    send_skip_ += static_cast<uint64_t>(options_.limit);
  }
  return Status::OK();
}

void ShardReader::Resync() {
  DropInFlight();
  send_base_ = iterator_;
  send_base_counter_ = iterator_counter_;
  send_skip_ = 0;
}

void ShardReader::DropInFlight() {
  // Replies still to come for dropped requests are told apart by id and discarded later.
  in_flight_.clear();
  early_.clear();
}

Result<GetRecordsReply> ShardReader::Next() {
  if (ended_) {
    // A closed shard read to its end stays there: nothing more to ask the broker.
    GetRecordsReply end;
    end.meta.shard_index = shard_index_;
    return end;
  }
  RETURN_IF_ERROR(Fill());
  const Request want = in_flight_.front();
  StreamClient::Reply reply;
  if (auto early = early_.find(want.id); early != early_.end()) {
    reply = std::move(early->second);
    early_.erase(early);
  } else {
    while (true) {
      ASSIGN_OR_RETURN(auto received, client_->Receive(std::chrono::milliseconds(10'000)));
      if (!received) {
        Resync();
        return Status::Unavailable("no GetRecords reply from broker " + client_->endpoint());
      }
      if (received->request_id == want.id) {
        reply = std::move(*received);
        break;
      }
      bool pending = std::any_of(in_flight_.begin(), in_flight_.end(),
                                 [&](const Request& r) { return r.id == received->request_id; });
      if (pending) early_.emplace(received->request_id, std::move(*received));
    }
  }
  in_flight_.pop_front();
  auto batch = StreamClient::DecodeGetRecordsReply(std::move(reply));
  if (!batch.ok()) {
    Resync();
    return batch.status();
  }
  iterator_ = batch->meta.next_iterator;
  iterator_counter_ = batch->meta.next_counter;
  if (batch->meta.shard_end()) {
    // The requests sent past the end would only be answered with the end again.
    DropInFlight();
    ended_ = true;
    shard_index_ = batch->meta.shard_index;
    return std::move(batch).value();
  }
  const uint64_t next = batch->meta.next_counter;
  const uint64_t send_start = send_base_counter_ ? *send_base_counter_ + send_skip_ : kUnknown;
  const uint64_t predicted = in_flight_.empty() ? send_start : in_flight_.front().start_counter;
  if (predicted == kUnknown || predicted != next) {
    // The next request was sent from a guess that this reply proved wrong (or from none).
    Resync();
  } else {
    // Later requests name the fresh iterator, so that a long prefetching run never names one
    // that has expired.
    send_base_ = iterator_;
    send_base_counter_ = next;
    send_skip_ = send_start - next;
  }
  return std::move(batch).value();
}

}  // namespace pinstream
