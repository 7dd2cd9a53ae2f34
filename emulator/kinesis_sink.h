#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/aws_config.h"
#include "common/result.h"
#include "emulator/record_sink.h"
#include "stream/kinesis_http_client.h"

namespace pinstream {

// Sends records to any Kinesis endpoint (AWS, LocalStack, kinesalite, pinstream's gateway)
// through AWS's protocol: PutRecords of up to 500 records and 5 MiB per stream, through
// KinesisHttpClient (signed with libcurl's SigV4). Streams missing are created (CreateStream,
// then waited for until ACTIVE).
//
// Entries a PutRecords refuses with ProvisionedThroughputExceeded or InternalFailure are sent
// again with backoff, up to `max_attempts` rounds; other refusals count as failed. A call that
// fails as a whole for a reason that may pass (throttling, 5xx, no answer) is retried likewise,
// then stops the run. Owns its client. Not thread-safe.
class KinesisSink final : public RecordSink {
 public:
  struct Options {
    int max_attempts = 10;
  };

  static Result<std::unique_ptr<KinesisSink>> Connect(AwsConfig config, const Options& options);
  static Result<std::unique_ptr<KinesisSink>> Connect(AwsConfig config) {
    return Connect(std::move(config), Options{});
  }

  Status EnsureStream(const std::string& stream, uint32_t shards) override;
  Status Put(const std::string& stream, std::string partition_key, std::string data) override;
  Status Flush() override;
  Counts counts(const std::string& stream) const override;
  Status first_failure() const override { return first_failure_; }
  std::string destination() const override { return client_->config().endpoint_url; }

 private:
  struct Pending {
    std::vector<KinesisHttpClient::PutEntry> entries;
    size_t bytes = 0;
  };

  KinesisSink(std::unique_ptr<KinesisHttpClient> client, const Options& options)
      : client_(std::move(client)), options_(options) {}
  // Sends the stream's pending entries, retrying the ones refused for a reason that may pass.
  Status Send(const std::string& stream);

  std::unique_ptr<KinesisHttpClient> client_;
  Options options_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Counts> counts_;
  Status first_failure_;
};

}  // namespace pinstream
