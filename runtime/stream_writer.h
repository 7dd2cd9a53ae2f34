#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/result.h"
#include "operators/topology.h"
#include "stream/stream_client.h"

namespace pinstream {

// Writes records to one stream output's stream, on pinstream's broker (ZeroMQ) or any Kinesis
// endpoint (AWS's JSON protocol over libcurl), the two behind one narrow interface so that the
// outbox's sender knows neither. No retries here: the sender's (runtime/outbox.h).
//
// Not thread-safe: a writer belongs to one thread (the sender's), which may differ from the
// thread that made it: a broker writer connects its socket on first use, on the thread using it.
class StreamWriter {
 public:
  struct Entry {
    std::string_view partition_key;
    std::string_view data;  // raw bytes (the Kinesis client base64-encodes them on the wire)
  };

  virtual ~StreamWriter() = default;
  // Creates the stream with `shards` shards when it is missing, and waits until it can be
  // written.
  virtual Status EnsureStream(int shards) = 0;
  // One PutRecords call (at most 500 entries, 5 MiB): a Status per entry in order, or the error
  // that refused the whole call.
  virtual Result<std::vector<Status>> PutRecords(std::span<const Entry> entries) = 0;
  // "stream S on ENDPOINT", for logs.
  virtual std::string destination() const = 0;
};

// A writer for `output`: on its broker, through `ctx` with `client`'s API key; or on its
// Kinesis endpoint, its AWS settings resolved by ResolveAwsConfig (as a source's are). Borrows
// the context, which must outlive the writer.
Result<std::unique_ptr<StreamWriter>> MakeStreamWriter(const Topology::StreamOutput& output,
                                                       zmq::context_t* ctx,
                                                       const StreamClient::Options& client);

// One writer per stream output of `topology`, in its order.
Result<std::vector<std::unique_ptr<StreamWriter>>> MakeStreamWriters(
    const Topology& topology, zmq::context_t* ctx, const StreamClient::Options& client);

}  // namespace pinstream
