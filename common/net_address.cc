#include "common/net_address.h"

namespace pinstream {

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

bool IsLocalZmqEndpoint(std::string_view endpoint) {
  if (endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://")) return true;
  constexpr std::string_view kTcp = "tcp://";
  if (!endpoint.starts_with(kTcp)) return false;
  std::string_view rest = endpoint.substr(kTcp.size());
  // tcp://SOURCE;HOST:PORT binds nothing locally different; the address bound is what counts.
  if (auto semi = rest.find(';'); semi != std::string_view::npos) rest = rest.substr(semi + 1);
  const size_t colon = rest.rfind(':');
  return IsLoopbackHost(colon == std::string_view::npos ? rest : rest.substr(0, colon));
}

}  // namespace pinstream
