#pragma once

#include <map>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "common/result.h"
#include "emulator/record_sink.h"
#include "stream/producer.h"
#include "stream/stream_client.h"

namespace pinstream {

// Sends records to a broker over ZeroMQ: one connection and one Producer (batching, several
// requests in flight, retries) per stream, since a Producer consumes every reply on its
// connection. Owns its ZeroMQ context, connections and producers. Not thread-safe.
class BrokerSink final : public RecordSink {
 public:
  // Checks the endpoint; each stream's connection opens in EnsureStream(). ZeroMQ connects in
  // the background, so an absent broker shows as Unavailable from the first request.
  // `options` apply to every connection (the API key among them).
  static Result<std::unique_ptr<BrokerSink>> Connect(const std::string& endpoint,
                                                     const StreamClient::Options& options);
  static Result<std::unique_ptr<BrokerSink>> Connect(const std::string& endpoint) {
    return Connect(endpoint, StreamClient::Options{});
  }
  ~BrokerSink() override;

  Status EnsureStream(const std::string& stream, uint32_t shards) override;
  Status Put(const std::string& stream, std::string partition_key, std::string data) override;
  Status Flush() override;
  Counts counts(const std::string& stream) const override;
  Status first_failure() const override { return first_failure_; }
  std::string destination() const override { return endpoint_; }

 private:
  struct Lane {
    std::unique_ptr<StreamClient> client;
    std::unique_ptr<Producer> producer;
  };

  BrokerSink(std::string endpoint, const StreamClient::Options& options)
      : endpoint_(std::move(endpoint)), options_(options) {}

  std::string endpoint_;
  StreamClient::Options options_;
  zmq::context_t ctx_{1};
  std::map<std::string, Lane> lanes_;  // by stream name; destroyed before ctx_
  Status first_failure_;
};

}  // namespace pinstream
