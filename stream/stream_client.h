#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/result.h"
#include "stream/stream_types.h"

namespace pinstream {

// The records of one GetRecords call. The views point into `buffer`, which this object owns.
struct GetRecordsReply {
  GetRecordsResult meta;
  std::vector<RecordView> records;
  zmq::message_t buffer;
};

// A connection to a broker (one DEALER socket). Control actions speak Kinesis's JSON; the
// data plane (PutRecords, GetRecords) uses the binary wire format. Requests may be pipelined
// with Send*/Receive; the blocking calls are built on them.
//
// With an API key the connection uses CURVE keys derived from it (curve_keys.h), as a keyed
// broker requires. A handshake the broker refuses (no key, a wrong one, or a key the broker does
// not want) fails the next Receive (and so every blocking call) with AccessDenied at once,
// rather than as a timeout: a monitor socket reports the handshake's failure.
//
// Not thread-safe: a client belongs to one thread, like its sockets. Borrows the context, which
// must outlive the client.
class StreamClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{10'000};  // a request unanswered this long is Unavailable
    std::string api_key;                        // empty: no auth (ZeroMQ's NULL mechanism)
  };

  // One reply of a pipelined request; `frames` are the payload after the header.
  struct Reply {
    uint64_t request_id = 0;
    Status status;
    std::vector<zmq::message_t> frames;
  };

  static Result<std::unique_ptr<StreamClient>> Connect(zmq::context_t* ctx,
                                                       const std::string& endpoint,
                                                       const Options& options);
  static Result<std::unique_ptr<StreamClient>> Connect(zmq::context_t* ctx,
                                                       const std::string& endpoint) {
    return Connect(ctx, endpoint, Options{});
  }

  // Any Kinesis action by name, e.g. Call("DescribeStream", {{"StreamName", "x"}}).
  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& request);

  Status CreateStream(std::string_view name, uint32_t shard_count);
  Status DeleteStream(std::string_view name);
  Result<std::vector<std::string>> ListStreams();
  Result<std::vector<std::string>> ListShardIds(std::string_view stream);
  // Every shard with its hash range and lineage (ParentShardId, AdjacentParentShardId) and,
  // once closed, its ending counter; the counters of the shard's records are not filled.
  Result<std::vector<ShardDescription>> ListShards(std::string_view stream);
  // The stream's StreamCreationTimestamp in ms: it tells the stream's incarnations apart (a
  // stream deleted and created again under its name has a new one).
  Result<int64_t> StreamCreationTime(std::string_view stream);
  Result<std::string> GetShardIterator(std::string_view stream, std::string_view shard_id,
                                       const IteratorPosition& position);

  // Blocking PutRecords: one result per entry, or the error that refused the whole request.
  Status PutRecords(std::string_view stream, std::span<const PutEntry> entries,
                    std::vector<PutResult>* results);
  Result<GetRecordsReply> GetRecords(std::string_view iterator, int limit);

  // Pipelining: Send* returns the request id that the matching Reply carries.
  Result<uint64_t> SendPutRecords(std::string_view stream, std::span<const PutEntry> entries);
  // `skip` reads from that many records past the iterator (see StreamStore::GetRecords).
  Result<uint64_t> SendGetRecords(std::string_view iterator, int limit, uint64_t skip = 0);
  static Result<GetRecordsReply> DecodeGetRecordsReply(Reply&& reply);
  // The next reply, or nullopt if none arrived within `timeout`.
  Result<std::optional<Reply>> Receive(std::chrono::milliseconds timeout);

  const std::string& endpoint() const { return endpoint_; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }

 private:
  StreamClient(zmq::socket_t socket, zmq::socket_t monitor, std::string endpoint,
               const Options& options);
  // Reads the monitor's events: AccessDenied once they show the broker refusing this client.
  Status CheckHandshake();
  Result<uint64_t> Send(uint8_t op, std::string_view target, std::string&& body);
  // Waits for the reply to `request_id`, discarding stale replies of abandoned requests.
  Result<Reply> Await(uint64_t request_id);

  zmq::socket_t socket_;
  zmq::socket_t monitor_;        // socket_'s handshakes
  int broken_handshakes_ = 0;    // in a row, without a reason given
  bool handshake_seen_ = false;  // a handshake with the broker succeeded once
  Status handshake_error_;       // the refusal, once seen: every later Receive fails with it
  std::string endpoint_;
  Options options_;
  uint64_t next_request_id_ = 1;
};

}  // namespace pinstream
