#include "stream/shard_reader.h"

#include "stream/shard_iterator.h"

namespace pinstream {

namespace {

// The counter an iterator reads from; UINT64_MAX when it cannot be decoded.
uint64_t StartCounter(std::string_view iterator) {
  auto it = ShardIterator::Peek(iterator);
  return it.ok() ? it->next_counter : UINT64_MAX;
}

}  // namespace

ShardReader::ShardReader(StreamClient* client, std::string iterator, const Options& options)
    : client_(client), options_(options), iterator_(iterator), send_base_(std::move(iterator)) {}

Status ShardReader::Fill() {
  while (in_flight_.size() < static_cast<size_t>(std::max(1, options_.prefetch))) {
    ASSIGN_OR_RETURN(uint64_t id, client_->SendGetRecords(send_base_, options_.limit, send_skip_));
    const uint64_t base = StartCounter(send_base_);
    in_flight_.push_back(Request{id, base == UINT64_MAX ? UINT64_MAX : base + send_skip_});
    // An undecodable iterator cannot be predicted from: send it alone and let the broker's
    // reply say what is wrong with it.
    if (base == UINT64_MAX) break;
    send_skip_ += static_cast<uint64_t>(options_.limit);
  }
  return Status::OK();
}

void ShardReader::Resync() {
  DropInFlight();
  send_base_ = iterator_;
  send_skip_ = 0;
}

void ShardReader::DropInFlight() {
  // Replies still to come for dropped requests are told apart by id and discarded later.
  in_flight_.clear();
  early_.clear();
}

Result<GetRecordsReply> ShardReader::Next() {
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
  const uint64_t next = StartCounter(iterator_);
  const uint64_t predicted =
      in_flight_.empty() ? StartCounter(send_base_) + send_skip_ : in_flight_.front().start_counter;
  if (next == UINT64_MAX || predicted != next) {
    // The next request was sent from a guess that this reply proved wrong.
    Resync();
  } else {
    // Later requests name the fresh iterator, so that a long prefetching run never names one
    // that has expired.
    const uint64_t send_start = StartCounter(send_base_) + send_skip_;
    send_base_ = iterator_;
    send_skip_ = send_start - next;
  }
  return std::move(batch).value();
}

}  // namespace pinstream
