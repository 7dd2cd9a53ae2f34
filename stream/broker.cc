#include "stream/broker.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <zmq_addon.hpp>

namespace pinstream {

namespace {
std::atomic<int> broker_instances{0};
}  // namespace

Broker::Broker(StreamStore* store, const Options& options)
    : store_(store), options_(options), handler_(store), ctx_(2) {}

Broker::~Broker() { Stop(); }

Result<std::unique_ptr<Broker>> Broker::Start(StreamStore* store, const Options& options) {
  if (options.workers < 1) return Status::InvalidArgument("a broker needs at least one worker");
  std::unique_ptr<Broker> broker(new Broker(store, options));
  RETURN_IF_ERROR(broker->Bind());
  const std::string backend = "inproc://workers-" + std::to_string(broker_instances++);
  try {
    broker->backend_ = zmq::socket_t(broker->ctx_, zmq::socket_type::dealer);
    broker->backend_.bind(backend);
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("binding the worker queue: ") + e.what());
  }
  Broker* b = broker.get();
  for (int i = 0; i < options.workers; ++i) {
    b->threads_.emplace_back([b, backend] { b->WorkerLoop(backend); });
  }
  b->threads_.emplace_back([b] {
    try {
      zmq::proxy(b->frontend_, b->backend_);
    } catch (const zmq::error_t& e) {
      if (e.num() != ETERM) spdlog::error("broker proxy stopped error={}", e.what());
    }
    // Sockets belong to the thread that used them last; close them here, before ctx shutdown
    // completes, so that the context can terminate.
    b->frontend_.close();
    b->backend_.close();
  });
  b->maintenance_ = std::jthread([b](std::stop_token st) { b->MaintenanceLoop(st); });
  spdlog::info("broker listening endpoint={} workers={}", b->endpoint_, options.workers);
  return broker;
}

Status Broker::Bind() {
  try {
    frontend_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    frontend_.set(zmq::sockopt::linger, 0);
    frontend_.set(zmq::sockopt::sndhwm, 10000);
    frontend_.set(zmq::sockopt::rcvhwm, 10000);
    frontend_.bind(options_.listen);
    endpoint_ = frontend_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::IOError("binding " + options_.listen + ": " + e.what());
  }
  return Status::OK();
}

void Broker::WorkerLoop(const std::string& backend) {
  try {
    zmq::socket_t sock(ctx_, zmq::socket_type::rep);
    sock.set(zmq::sockopt::linger, 0);
    sock.connect(backend);
    std::vector<zmq::message_t> request;
    while (true) {
      request.clear();
      if (!zmq::recv_multipart(sock, std::back_inserter(request))) continue;
      auto reply = handler_.Handle(request);
      zmq::send_multipart(sock, reply);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) spdlog::error("broker worker stopped error={}", e.what());
  }
}

void Broker::MaintenanceLoop(std::stop_token stop) {
  int64_t interval = options_.trim_interval_ms;
  if (interval <= 0) interval = std::clamp<int64_t>(store_->options().retention_ms / 10, 100, 60'000);
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  while (!stop.stop_requested()) {
    cv.wait_for(lock, stop, std::chrono::milliseconds(interval), [] { return false; });
    if (stop.stop_requested()) break;
    Status s = store_->TrimExpired();
    if (!s.ok()) spdlog::error("trimming expired records failed error={}", s.ToString());
  }
}

void Broker::Stop() {
  if (stopped_) return;
  stopped_ = true;
  maintenance_.request_stop();
  if (maintenance_.joinable()) maintenance_.join();
  ctx_.shutdown();
  threads_.clear();  // joins
  frontend_.close();  // no-ops when the proxy thread closed them
  backend_.close();
  ctx_.close();
  spdlog::info("broker stopped endpoint={}", endpoint_);
}

}  // namespace pinstream
