#include "stream/zap_handler.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <vector>
#include <zmq_addon.hpp>

namespace pinstream {

namespace {

// [version, request id, domain, address, routing id, mechanism, credentials...]
enum Frame : size_t {
  kVersion,
  kRequestId,
  kDomain,
  kAddress,
  kRoutingId,
  kMechanism,
  kCredentials
};

constexpr int64_t kLogIntervalMs = 60'000;
constexpr size_t kMaxLoggedPeers = 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<ZapHandler>> ZapHandler::Bind(zmq::context_t* ctx,
                                                     std::string client_public_key) {
  if (client_public_key.size() != 32) {
    return Status::InvalidArgument("a CURVE public key has 32 bytes");
  }
  try {
    zmq::socket_t socket(*ctx, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kEndpoint);
    return std::unique_ptr<ZapHandler>(
        new ZapHandler(std::move(socket), std::move(client_public_key)));
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("binding the ZAP handler: ") + e.what());
  }
}

bool ZapHandler::Allowed(const std::vector<zmq::message_t>& request, std::string* why) const {
  if (request.size() < kCredentials || request[kVersion].to_string_view() != "1.0") {
    *why = "malformed ZAP request";
    return false;
  }
  const std::string_view mechanism = request[kMechanism].to_string_view();
  if (mechanism != "CURVE") {
    *why = "mechanism " + std::string(mechanism) + " (the broker wants CURVE with its API key)";
    return false;
  }
  if (request.size() != kCredentials + 1 || request[kCredentials].size() != 32 ||
      CRYPTO_memcmp(request[kCredentials].data(), client_public_key_.data(), 32) != 0) {
    *why = "CURVE client key not derived from the broker's API key";
    return false;
  }
  return true;
}

void ZapHandler::LogDenial(const std::string& address, const std::string& why) {
  const int64_t now = NowMs();
  if (last_logged_ms_.size() >= kMaxLoggedPeers) last_logged_ms_.clear();
  auto [it, fresh] = last_logged_ms_.try_emplace(address, now);
  if (!fresh && now - it->second < kLogIntervalMs) return;
  it->second = now;
  spdlog::warn("zeromq client denied peer={} reason={} denied_total={}", address, why, denied());
}

void ZapHandler::Run() {
  try {
    std::vector<zmq::message_t> request;
    while (true) {
      request.clear();
      if (!zmq::recv_multipart(socket_, std::back_inserter(request))) continue;
      std::string why;
      const bool ok = Allowed(request, &why);
      if (ok) {
        accepted_.fetch_add(1, std::memory_order_relaxed);
      } else {
        denied_.fetch_add(1, std::memory_order_relaxed);
        LogDenial(request.size() > kAddress ? request[kAddress].to_string() : "?", why);
      }
      // [version, request id, status code, status text, user id, metadata]
      std::array<zmq::message_t, 6> reply = {
          zmq::message_t(std::string_view("1.0")),
          request.size() > kRequestId
              ? zmq::message_t(request[kRequestId].data(), request[kRequestId].size())
              : zmq::message_t(),
          zmq::message_t(std::string_view(ok ? "200" : "400")),
          zmq::message_t(std::string_view(ok ? "OK" : "denied")),
          zmq::message_t(std::string_view(ok ? "client" : "")),
          zmq::message_t()};
      zmq::send_multipart(socket_, reply);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) spdlog::error("zap handler stopped error={}", e.what());
  }
  socket_.close();
}

}  // namespace pinstream
