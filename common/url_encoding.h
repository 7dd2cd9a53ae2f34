#pragma once

#include <string>
#include <string_view>

namespace pinstream {

// Percent-encoding of URL parts (RFC 3986), shared by the gateway's router and SigV4's canonical
// request. Plain functions, thread-safe.

// %XX escapes (either case of hex) decoded; a malformed or truncated escape is kept as it is,
// and '+' stays '+' (it is a space only in HTML form bodies, which nothing here reads).
std::string PercentDecode(std::string_view s);

// The value of parameter `name` in a query string ("a=1&key=x"), percent-decoded; empty when it
// is absent or has no value (the first occurrence counts).
std::string QueryParameter(std::string_view query, std::string_view name);

// Unreserved characters (A-Z a-z 0-9 - _ . ~) stay, every other byte is %XX in upper-case hex;
// '/' stays too when `keep_slash`. This is the encoding SigV4 signs.
std::string UriEncode(std::string_view s, bool keep_slash);

}  // namespace pinstream
