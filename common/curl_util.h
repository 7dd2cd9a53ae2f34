#pragma once

#include <cstddef>

namespace pinstream {

// libcurl's process-wide setup, once, before the first easy handle: curl_global_init is not
// thread-safe, so every client of libcurl in the binary goes through this.
void CurlGlobalInit();

// A CURLOPT_WRITEFUNCTION that appends the body to the std::string at CURLOPT_WRITEDATA.
size_t CurlAppendToString(char* data, size_t size, size_t n, void* out);

}  // namespace pinstream
