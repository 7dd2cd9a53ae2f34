#include "emulator/broker_sink.h"

#include <spdlog/spdlog.h>

namespace pinstream {

Result<std::unique_ptr<BrokerSink>> BrokerSink::Connect(const std::string& endpoint,
                                                        const StreamClient::Options& options) {
  std::unique_ptr<BrokerSink> sink(new BrokerSink(endpoint, options));
  // Fail early on a malformed endpoint, before any work is done.
  ASSIGN_OR_RETURN(auto probe, StreamClient::Connect(&sink->ctx_, endpoint, options));
  (void)probe;
  return sink;
}

BrokerSink::~BrokerSink() { lanes_.clear(); }

Status BrokerSink::EnsureStream(const std::string& stream, uint32_t shards) {
  if (lanes_.count(stream) > 0) return Status::OK();
  Lane lane;
  ASSIGN_OR_RETURN(lane.client, StreamClient::Connect(&ctx_, endpoint_, options_));
  Status created = lane.client->CreateStream(stream, shards);
  if (!created.ok() && created.code() != Status::Code::kResourceInUse) {
    return created.WithContext("creating stream '" + stream + "'");
  }
  if (created.ok()) spdlog::info("emulate: created stream={} shards={}", stream, shards);
  lane.producer = std::make_unique<Producer>(
      lane.client.get(), stream, Producer::Options{},
      [this, stream](std::string_view key, std::string_view, const Status& status,
                     const SequenceNumber&) {
        if (status.ok() || !first_failure_.ok()) return;
        first_failure_ = status.WithContext("stream " + stream + " key " + std::string(key));
        spdlog::warn("emulate: record failed stream={} key={} error={}", stream, key,
                     status.ToString());
      });
  lanes_.emplace(stream, std::move(lane));
  return Status::OK();
}

Status BrokerSink::Put(const std::string& stream, std::string partition_key, std::string data) {
  auto it = lanes_.find(stream);
  if (it == lanes_.end()) return Status::InvalidArgument("stream '" + stream + "' not set up");
  return it->second.producer->Put(std::move(partition_key), std::move(data));
}

Status BrokerSink::Flush() {
  for (auto& [name, lane] : lanes_) {
    RETURN_IF_ERROR(lane.producer->Flush().WithContext("stream " + name));
  }
  return Status::OK();
}

RecordSink::Counts BrokerSink::counts(const std::string& stream) const {
  auto it = lanes_.find(stream);
  if (it == lanes_.end()) return {};
  return {it->second.producer->stats().acked, it->second.producer->stats().failed};
}

}  // namespace pinstream
