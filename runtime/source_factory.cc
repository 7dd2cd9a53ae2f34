#include "runtime/source_factory.h"

#include "common/aws_config.h"
#include "runtime/broker_source.h"
#include "runtime/kinesis_source.h"

namespace pinstream {

Result<std::vector<std::unique_ptr<Source>>> MakeSources(const Topology& topology,
                                                         zmq::context_t* ctx,
                                                         const StreamClient::Options& client,
                                                         Clock* clock, const InstanceSplit& split) {
  std::vector<std::unique_ptr<Source>> sources;
  for (const auto& src : topology.sources) {
    switch (src.kind) {
      case Topology::SourceKind::kBroker:
        sources.push_back(std::make_unique<BrokerSource>(
            ctx, BrokerSource::Options{src.broker, src.stream, src.start, client, split}));
        break;
      case Topology::SourceKind::kKinesis: {
        auto aws = ResolveAwsConfig(
            AwsConfigRequest{"kinesis", src.kinesis.endpoint, src.kinesis.region, ""});
        if (!aws.ok()) return aws.status().WithContext("source '" + src.name + "'");
        sources.push_back(std::make_unique<KinesisSource>(
            KinesisSource::Options{std::move(*aws), src.stream, src.start, clock, split}));
        break;
      }
    }
  }
  return sources;
}

}  // namespace pinstream
