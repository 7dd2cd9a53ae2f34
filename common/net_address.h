#pragma once

#include <string_view>

namespace pinstream {

// Whether a host name or address reaches only this machine: "localhost", 127.0.0.0/8, ::1.
// A wildcard ("*", "0.0.0.0", "::", "") or any other address is reachable from elsewhere.
bool IsLoopbackHost(std::string_view host);

// Whether a ZeroMQ endpoint is reachable only from this machine: tcp:// on a loopback host,
// ipc:// (guarded by file permissions) and inproc://.
bool IsLocalZmqEndpoint(std::string_view endpoint);

}  // namespace pinstream
