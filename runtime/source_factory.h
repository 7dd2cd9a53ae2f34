#pragma once

#include <memory>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "operators/topology.h"
#include "runtime/shard_assignment.h"
#include "runtime/source.h"
#include "stream/stream_client.h"

namespace pinstream {

// The Source of every source of `topology`, in its order, of the kind each names: a
// BrokerSource for "broker" (ZeroMQ, with `client`'s API key), a KinesisSource for "kinesis"
// (its endpoint, region and credentials resolved by ResolveAwsConfig: the topology's endpoint
// and region first, then the standard AWS variables, files and profile). Fails when a Kinesis
// source's AWS settings cannot be resolved. Borrows the context and the clock, which must
// outlive the sources. Each source opens only the shards `split` gives this instance.
Result<std::vector<std::unique_ptr<Source>>> MakeSources(const Topology& topology,
                                                         zmq::context_t* ctx,
                                                         const StreamClient::Options& client,
                                                         Clock* clock = Clock::Real(),
                                                         const InstanceSplit& split = {});

}  // namespace pinstream
