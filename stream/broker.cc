#include "stream/broker.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <zmq_addon.hpp>

#include "common/net_address.h"
#include "stream/curve_keys.h"

namespace pinstream {

namespace {
std::atomic<int> broker_instances{0};
constexpr int64_t kRefusalLogIntervalMs = 60'000;

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Broker::Broker(StreamStore* store, const Options& options)
    : store_(store), options_(options), handler_(store, options.metrics), ctx_(2) {}

Broker::~Broker() { Stop(); }

Result<std::unique_ptr<Broker>> Broker::Start(StreamStore* store, const Options& options) {
  if (options.workers < 1) return Status::InvalidArgument("a broker needs at least one worker");
  std::unique_ptr<Broker> broker(new Broker(store, options));
  RETURN_IF_ERROR(broker->Bind());
  const std::string backend = "inproc://workers-" + std::to_string(broker_instances++);
  try {
    broker->backend_ = zmq::socket_t(broker->ctx_, zmq::socket_type::router);
    broker->backend_.set(zmq::sockopt::linger, 0);
    broker->backend_.bind(backend);
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("binding the worker queue: ") + e.what());
  }
  Broker* b = broker.get();
  for (int i = 0; i < options.workers; ++i) {
    b->threads_.emplace_back([b, i, backend] { b->WorkerLoop(i, backend); });
  }
  RETURN_IF_ERROR(b->AwaitWorkers());
  if (b->zap_) b->threads_.emplace_back([b] { b->zap_->Run(); });
  b->threads_.emplace_back([b] { b->RouterLoop(); });
  b->maintenance_ = std::jthread([b](std::stop_token st) { b->MaintenanceLoop(st); });
  spdlog::info("broker listening endpoint={} workers={} auth={}", b->endpoint_, options.workers,
               options.api_key.empty() ? "none" : "curve");
  if (options.api_key.empty() && !IsLocalZmqEndpoint(b->endpoint_)) {
    spdlog::warn(
        "broker listens beyond loopback without an API key: anyone who reaches endpoint={} may "
        "create, read and delete streams; set PINSTREAM_API_KEY or --api-key-file",
        b->endpoint_);
  }
  return broker;
}

// A ROUTER silently drops what it sends to a peer it has not yet registered, and a worker's
// connect registers asynchronously: requests routed before then would go unanswered. Each
// worker therefore says hello once connected, and requests flow only after every hello.
Status Broker::AwaitWorkers() {
  try {
    backend_.set(zmq::sockopt::rcvtimeo, 10'000);
    for (int i = 0; i < options_.workers; ++i) {
      std::vector<zmq::message_t> hello;
      if (!zmq::recv_multipart(backend_, std::back_inserter(hello))) {
        return Status::Unavailable("the broker's workers did not start within 10 s");
      }
    }
    backend_.set(zmq::sockopt::rcvtimeo, -1);
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("starting the broker's workers: ") + e.what());
  }
  return Status::OK();
}

// Keys and the ZAP handler are in place before the frontend binds, so that no connection is
// ever served without them.
Status Broker::SetUpCurve() {
  ASSIGN_OR_RETURN(CurveKeys keys, DeriveCurveKeys(options_.api_key));
  ASSIGN_OR_RETURN(std::string client_public, DecodeCurveKey(keys.client_public));
  ASSIGN_OR_RETURN(zap_, ZapHandler::Bind(&ctx_, std::move(client_public)));
  try {
    frontend_.set(zmq::sockopt::curve_server, true);
    frontend_.set(zmq::sockopt::curve_secretkey, keys.server_secret);
    frontend_.set(zmq::sockopt::zap_domain, "pinstream");
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("setting up CURVE: ") + e.what());
  }
  return Status::OK();
}

Status Broker::Bind() {
  try {
    frontend_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    frontend_.set(zmq::sockopt::linger, 0);
    frontend_.set(zmq::sockopt::sndhwm, 10000);
    frontend_.set(zmq::sockopt::rcvhwm, 10000);
    frontend_.set(zmq::sockopt::maxmsgsize, options_.max_message_bytes);
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("creating the broker's socket: ") + e.what());
  }
  if (!options_.api_key.empty()) RETURN_IF_ERROR(SetUpCurve());
  try {
    const std::string monitor = "inproc://broker-monitor";  // inproc names are per context
    if (zmq_socket_monitor(frontend_.handle(), monitor.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
      throw zmq::error_t();
    }
    monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor);
    frontend_.bind(options_.listen);
    endpoint_ = frontend_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::IOError("binding " + options_.listen + ": " + e.what());
  }
  return Status::OK();
}

namespace {

std::string WorkerId(int index) { return "w" + std::to_string(index); }

// FNV-1a over the connection's routing id: a stable worker per connection.
size_t WorkerFor(const zmq::message_t& routing_id, int workers) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < routing_id.size(); ++i) {
    h = (h ^ routing_id.data<uint8_t>()[i]) * 16777619u;
  }
  return h % static_cast<uint32_t>(workers);
}

}  // namespace

void Broker::RouterLoop() {
  // Requests arrive as [client, empty, header, target, body] and go to the backend as
  // [worker, client, ...]; replies come back as [worker, client, empty, ...] and go out
  // without the worker frame.
  try {
    std::vector<zmq::message_t> frames;
    zmq::pollitem_t items[] = {{frontend_.handle(), 0, ZMQ_POLLIN, 0},
                               {backend_.handle(), 0, ZMQ_POLLIN, 0},
                               {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    while (true) {
      zmq::poll(items, 3, std::chrono::milliseconds(-1));
      if (items[2].revents & ZMQ_POLLIN) LogRefusedHandshakes();
      if (items[0].revents & ZMQ_POLLIN) {
        frames.clear();
        if (zmq::recv_multipart(frontend_, std::back_inserter(frames), zmq::recv_flags::dontwait) &&
            !frames.empty()) {
          std::string worker = WorkerId(static_cast<int>(WorkerFor(frames[0], options_.workers)));
          backend_.send(zmq::buffer(worker), zmq::send_flags::sndmore);
          zmq::send_multipart(backend_, frames);
        }
      }
      if (items[1].revents & ZMQ_POLLIN) {
        frames.clear();
        if (zmq::recv_multipart(backend_, std::back_inserter(frames), zmq::recv_flags::dontwait) &&
            frames.size() > 1) {
          zmq::send_multipart(frontend_, std::span(frames).subspan(1));
        }
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) spdlog::error("broker router stopped error={}", e.what());
  }
  // The sockets were last used by this thread; close them here so the context can terminate.
  frontend_.close();
  backend_.close();
  monitor_.close();
}

void Broker::LogRefusedHandshakes() {
  // A monitor event is [uint16 event, uint32 value] then the endpoint. The endpoint is the bound
  // one, not the peer's: libzmq does not tell a listener who failed (ZapHandler logs peers).
  std::vector<zmq::message_t> event;
  while (zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) {
    uint16_t kind = 0;
    if (!event.empty() && event[0].size() >= sizeof(kind)) {
      std::memcpy(&kind, event[0].data(), sizeof(kind));
    }
    // Without a key, a handshake cut short (a client that hung up at once) is no refusal.
    if (kind != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || !options_.api_key.empty()) {
      ++refused_handshakes_;
    }
    event.clear();
  }
  const int64_t now = SteadyNowMs();
  if (refused_handshakes_ == 0 || now - last_refusal_log_ms_ < kRefusalLogIntervalMs) return;
  spdlog::warn(
      "broker refused zeromq handshakes endpoint={} count={} (clients without the broker's API "
      "key, or with another)",
      endpoint_, refused_handshakes_);
  refused_handshakes_ = 0;
  last_refusal_log_ms_ = now;
}

void Broker::WorkerLoop(int index, const std::string& backend) {
  try {
    zmq::socket_t sock(ctx_, zmq::socket_type::dealer);
    sock.set(zmq::sockopt::linger, 0);
    sock.set(zmq::sockopt::routing_id, WorkerId(index));
    sock.connect(backend);
    sock.send(zmq::message_t(), zmq::send_flags::none);  // hello: see AwaitWorkers
    std::vector<zmq::message_t> request;
    while (true) {
      request.clear();
      if (!zmq::recv_multipart(sock, std::back_inserter(request))) continue;
      // [client, empty, header, target, body]: the handler sees what follows the envelope.
      if (request.size() < 2 || request[1].size() != 0) continue;
      std::vector<zmq::message_t> body(std::make_move_iterator(request.begin() + 2),
                                       std::make_move_iterator(request.end()));
      auto reply = handler_.Handle(body);
      sock.send(std::move(request[0]), zmq::send_flags::sndmore);
      sock.send(zmq::message_t(), zmq::send_flags::sndmore);
      zmq::send_multipart(sock, reply);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) spdlog::error("broker worker stopped error={}", e.what());
  }
}

void Broker::MaintenanceLoop(std::stop_token stop) {
  int64_t interval = options_.trim_interval_ms;
  if (interval <= 0)
    interval = std::clamp<int64_t>(store_->options().retention_ms / 10, 100, 60'000);
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
  threads_.clear();   // joins
  frontend_.close();  // no-ops when the proxy thread closed them
  backend_.close();
  monitor_.close();
  ctx_.close();
  spdlog::info("broker stopped endpoint={}", endpoint_);
}

}  // namespace pinstream
