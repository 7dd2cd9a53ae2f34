#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/result.h"
#include "stream/request_handler.h"
#include "stream/stream_store.h"

namespace pinstream {

// The stream service on ZeroMQ. A router thread owns the ROUTER bound to `listen` and hands
// each request to a worker thread (a DEALER on an inproc ROUTER) chosen by the client's
// connection, so one connection's requests run one at a time, in the order sent: a client
// that pipelines PutRecords sees them applied in order, as with a single Kinesis shard
// writer. Connections spread over the workers. A maintenance thread trims expired records.
// Clients connect DEALER sockets (StreamClient).
//
// Borrows the store, which must outlive the broker. Start() returns once the socket is bound;
// Stop() (or the destructor) joins every thread. Not copyable; Stop() is idempotent.
class Broker {
 public:
  struct Options {
    std::string listen = "tcp://127.0.0.1:7400";  // "tcp://127.0.0.1:*" picks a free port
    int workers = 4;
    int64_t trim_interval_ms = 0;  // 0: a tenth of the retention period, at most a minute
  };

  static Result<std::unique_ptr<Broker>> Start(StreamStore* store, const Options& options);
  ~Broker();

  // The bound endpoint, with the port resolved when the listen address had "*".
  const std::string& endpoint() const { return endpoint_; }

  void Stop();

 private:
  Broker(StreamStore* store, const Options& options);
  Status Bind();
  Status AwaitWorkers();
  void RouterLoop();
  void WorkerLoop(int index, const std::string& backend);
  void MaintenanceLoop(std::stop_token stop);

  StreamStore* store_;
  Options options_;
  RequestHandler handler_;
  zmq::context_t ctx_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  std::string endpoint_;
  std::vector<std::jthread> threads_;
  std::jthread maintenance_;
  bool stopped_ = false;
};

}  // namespace pinstream
