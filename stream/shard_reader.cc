#include "stream/shard_reader.h"

#include "stream/shard_iterator.h"

namespace pinstream {

namespace {

// The counter an iterator reads from; UINT64_MAX when it cannot be decoded.
uint64_t StartCounter(std::string_view iterator) {
  auto it = ShardIterator::Decode(iterator);
  return it.ok() ? it->next_counter : UINT64_MAX;
}

}  // namespace

ShardReader::ShardReader(StreamClient* client, std::string iterator, const Options& options)
    : client_(client), options_(options), iterator_(iterator), next_to_send_(std::move(iterator)) {}

Status ShardReader::Fill() {
  while (in_flight_.size() < static_cast<size_t>(std::max(1, options_.prefetch))) {
    ASSIGN_OR_RETURN(uint64_t id, client_->SendGetRecords(next_to_send_, options_.limit));
    auto it = ShardIterator::Decode(next_to_send_);
    in_flight_.push_back(Request{id, it.ok() ? it->next_counter : UINT64_MAX});
    // An undecodable iterator cannot be predicted from: send it alone and let the broker's
    // reply say what is wrong with it.
    if (!it.ok()) break;
    it->next_counter += static_cast<uint64_t>(options_.limit);
    next_to_send_ = it->Encode();
  }
  return Status::OK();
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
        DropInFlight();
        next_to_send_ = iterator_;
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
    DropInFlight();
    next_to_send_ = iterator_;
    return batch.status();
  }
  iterator_ = batch->meta.next_iterator;
  const uint64_t next = StartCounter(iterator_);
  if (in_flight_.empty() ? next_to_send_ != iterator_ && StartCounter(next_to_send_) != next
                         : in_flight_.front().start_counter != next) {
    // The next request was sent from a guess that this reply proved wrong.
    DropInFlight();
    next_to_send_ = iterator_;
  }
  return std::move(batch).value();
}

}  // namespace pinstream
