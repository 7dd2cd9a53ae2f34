#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/result.h"
#include "stream/request_handler.h"
#include "stream/stream_store.h"
#include "stream/zap_handler.h"

namespace pinstream {

// The stream service on ZeroMQ. A router thread owns the ROUTER bound to `listen` and hands
// each request to a worker thread (a DEALER on an inproc ROUTER) chosen by the client's
// connection, so one connection's requests run one at a time, in the order sent: a client
// that pipelines PutRecords sees them applied in order, as with a single Kinesis shard
// writer. Connections spread over the workers. A maintenance thread trims expired records.
// Clients connect DEALER sockets (StreamClient).
//
// With an API key, the frontend is a CURVE server whose keys derive from the key
// (curve_keys.h), and a ZapHandler thread admits only clients whose CURVE keys derive from it
// too: a client without the key fails its handshake and never reaches a worker. Without one,
// anyone who can reach `listen` may do anything (a warning is logged when that is beyond
// loopback). Frames above `max_message_bytes` are refused by libzmq before they are allocated.
//
// Borrows the store, which must outlive the broker. Start() returns once the socket is bound;
// Stop() (or the destructor) joins every thread. Not copyable; Stop() is idempotent.
class Broker {
 public:
  struct Options {
    std::string listen = "tcp://127.0.0.1:7400";  // "tcp://127.0.0.1:*" picks a free port
    int workers = 4;
    int64_t trim_interval_ms = 0;  // 0: a tenth of the retention period, at most a minute
    std::string api_key;           // empty: no auth (ZeroMQ's NULL mechanism)
    // A 5 MiB PutRecords and its framing fit; a frame claiming more is dropped with its peer.
    int64_t max_message_bytes = int64_t{16} << 20;
    RequestMetrics* metrics = nullptr;  // borrowed: where requests are counted; null: nowhere
  };

  static Result<std::unique_ptr<Broker>> Start(StreamStore* store, const Options& options);
  ~Broker();

  // The bound endpoint, with the port resolved when the listen address had "*".
  const std::string& endpoint() const { return endpoint_; }

  void Stop();

 private:
  Broker(StreamStore* store, const Options& options);
  Status Bind();
  Status SetUpCurve();
  Status AwaitWorkers();
  void RouterLoop();
  // Logs refused handshakes (no key, a wrong key) at most once per kRefusalLogIntervalMs.
  void LogRefusedHandshakes();
  void WorkerLoop(int index, const std::string& backend);
  void MaintenanceLoop(std::stop_token stop);

  StreamStore* store_;
  Options options_;
  RequestHandler handler_;
  zmq::context_t ctx_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  zmq::socket_t monitor_;            // the frontend's handshake failures; used by the router thread
  std::unique_ptr<ZapHandler> zap_;  // with an API key
  uint64_t refused_handshakes_ = 0;  // since the last log line; router thread
  int64_t last_refusal_log_ms_ = 0;  // router thread
  std::string endpoint_;
  std::vector<std::jthread> threads_;
  std::jthread maintenance_;
  bool stopped_ = false;
};

}  // namespace pinstream
