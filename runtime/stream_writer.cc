#include "runtime/stream_writer.h"

#include <spdlog/spdlog.h>

#include "common/aws_config.h"
#include "stream/kinesis_http_client.h"

namespace pinstream {

namespace {

class BrokerStreamWriter final : public StreamWriter {
 public:
  BrokerStreamWriter(zmq::context_t* ctx, std::string endpoint, std::string stream,
                     StreamClient::Options options)
      : ctx_(ctx),
        endpoint_(std::move(endpoint)),
        stream_(std::move(stream)),
        options_(std::move(options)) {}

  Status EnsureStream(int shards) override {
    RETURN_IF_ERROR(Connect());
    Status created = client_->CreateStream(stream_, static_cast<uint32_t>(shards));
    if (created.ok()) spdlog::info("outbox: created stream={} shards={}", stream_, shards);
    if (created.code() == Status::Code::kResourceInUse) return Status::OK();
    return created.WithContext("creating stream '" + stream_ + "'");
  }

  Result<std::vector<Status>> PutRecords(std::span<const Entry> entries) override {
    RETURN_IF_ERROR(Connect());
    puts_.clear();
    for (const Entry& e : entries) puts_.push_back(PutEntry{e.partition_key, e.data, {}});
    std::vector<PutResult> results;
    Status s = client_->PutRecords(stream_, puts_, &results);
    if (!s.ok()) {
      // A request without an answer may still be answered later: a new socket drops it.
      if (s.code() == Status::Code::kUnavailable) client_.reset();
      return s;
    }
    std::vector<Status> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(r.status));
    return out;
  }

  std::string destination() const override { return "stream " + stream_ + " on " + endpoint_; }

 private:
  Status Connect() {
    if (client_) return Status::OK();
    ASSIGN_OR_RETURN(client_, StreamClient::Connect(ctx_, endpoint_, options_));
    return Status::OK();
  }

  zmq::context_t* ctx_;
  std::string endpoint_;
  std::string stream_;
  StreamClient::Options options_;
  std::unique_ptr<StreamClient> client_;  // connected on first use, on the sender's thread
  std::vector<PutEntry> puts_;            // reused
};

class KinesisStreamWriter final : public StreamWriter {
 public:
  KinesisStreamWriter(std::unique_ptr<KinesisHttpClient> client, std::string stream)
      : client_(std::move(client)), stream_(std::move(stream)) {}

  Status EnsureStream(int shards) override { return client_->EnsureStream(stream_, shards); }

  Result<std::vector<Status>> PutRecords(std::span<const Entry> entries) override {
    std::vector<KinesisHttpClient::PutEntry> puts;
    puts.reserve(entries.size());
    for (const Entry& e : entries) {
      puts.push_back({std::string(e.partition_key), std::string(e.data)});
    }
    ASSIGN_OR_RETURN(auto results, client_->PutRecords(stream_, puts));
    std::vector<Status> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(r.status));
    return out;
  }

  std::string destination() const override {
    return "stream " + stream_ + " on " + client_->config().endpoint_url;
  }

 private:
  std::unique_ptr<KinesisHttpClient> client_;
  std::string stream_;
};

}  // namespace

Result<std::unique_ptr<StreamWriter>> MakeStreamWriter(const Topology::StreamOutput& output,
                                                       zmq::context_t* ctx,
                                                       const StreamClient::Options& client) {
  if (output.kind == Topology::SourceKind::kBroker) {
    return std::unique_ptr<StreamWriter>(
        new BrokerStreamWriter(ctx, output.broker, output.stream, client));
  }
  ASSIGN_OR_RETURN(AwsConfig aws,
                   ResolveAwsConfig(AwsConfigRequest{"kinesis", output.kinesis.endpoint,
                                                     output.kinesis.region, ""}));
  ASSIGN_OR_RETURN(auto http, KinesisHttpClient::Open(std::move(aws)));
  return std::unique_ptr<StreamWriter>(new KinesisStreamWriter(std::move(http), output.stream));
}

Result<std::vector<std::unique_ptr<StreamWriter>>> MakeStreamWriters(
    const Topology& topology, zmq::context_t* ctx, const StreamClient::Options& client) {
  std::vector<std::unique_ptr<StreamWriter>> writers;
  for (const auto& output : topology.streams) {
    auto writer = MakeStreamWriter(output, ctx, client);
    if (!writer.ok()) return writer.status().WithContext("stream output '" + output.name + "'");
    writers.push_back(std::move(*writer));
  }
  return writers;
}

}  // namespace pinstream
