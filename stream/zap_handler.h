#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/result.h"

namespace pinstream {

// The ZeroMQ Authentication Protocol handler (ZAP, RFC 27) of a keyed broker: libzmq asks it
// about every CURVE handshake on the sockets of its context that have a ZAP domain, and it
// accepts exactly one client public key (the one derived from the API key, see curve_keys.h)
// and denies everything else, NULL and PLAIN included. A denial is logged once per peer address
// and at most once a minute for it, so that a client retrying in a loop cannot flood the log.
//
// Owns its REP socket, bound to inproc://zeromq.zap.01 in the borrowed context (one handler per
// context), which must outlive the handler. Run() serves on the calling thread until the context
// is shut down; everything else is safe from any thread.
class ZapHandler {
 public:
  static constexpr char kEndpoint[] = "inproc://zeromq.zap.01";

  // `client_public_key` is the 32-byte (binary) CURVE public key to accept.
  static Result<std::unique_ptr<ZapHandler>> Bind(zmq::context_t* ctx,
                                                  std::string client_public_key);

  void Run();

  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  uint64_t denied() const { return denied_.load(std::memory_order_relaxed); }

 private:
  ZapHandler(zmq::socket_t socket, std::string client_public_key)
      : socket_(std::move(socket)), client_public_key_(std::move(client_public_key)) {}

  // Whether the request's frames name the accepted key; if not, `why` says what they name.
  bool Allowed(const std::vector<zmq::message_t>& request, std::string* why) const;
  void LogDenial(const std::string& address, const std::string& why);

  zmq::socket_t socket_;
  const std::string client_public_key_;
  std::map<std::string, int64_t> last_logged_ms_;  // by peer address; used by Run()'s thread
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> denied_{0};
};

}  // namespace pinstream
