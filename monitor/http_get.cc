#include "monitor/http_get.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "common/curl_util.h"

namespace pinstream {

namespace {

constexpr size_t kMaxBodyBytes = size_t{64} << 20;

size_t AppendCappedBody(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  // Returning less than given makes libcurl fail the transfer (CURLE_WRITE_ERROR).
  if (body->size() + size * n > kMaxBodyBytes) return 0;
  body->append(data, size * n);
  return size * n;
}

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistCleanup {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

Result<HttpGetReply> HttpGet(const std::string& url, const std::vector<std::string>& headers,
                             std::chrono::milliseconds timeout) {
  CurlGlobalInit();
  std::unique_ptr<CURL, CurlCleanup> curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistCleanup> list;
  for (const std::string& h : headers) {
    curl_slist* appended = curl_slist_append(list.get(), h.c_str());
    if (appended == nullptr) return Status::Internal("curl_slist_append failed");
    list.release();
    list.reset(appended);
  }
  HttpGetReply reply;
  char error[CURL_ERROR_SIZE] = {0};
  const long ms = std::max<long>(1, static_cast<long>(timeout.count()));
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: the caller owns signals
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendCappedBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return Status::Unavailable("GET " + url + ": " +
                               (error[0] != 0 ? error : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace pinstream
