#include "archive/s3_store.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "archive/s3_xml.h"
#include "common/curl_util.h"
#include "common/url_encoding.h"

namespace pinstream {

namespace {

constexpr int kAttempts = 4;
constexpr long kConnectTimeoutSeconds = 10;
// A transfer slower than 1 KB/s for this long is abandoned (and retried) rather than hanging.
constexpr long kLowSpeedSeconds = 60;

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Status::Code CodeForS3Error(std::string_view code, long http_status) {
  if (code == "NoSuchBucket" || code == "NoSuchKey" || http_status == 404) {
    return Status::Code::kResourceNotFound;
  }
  if (code == "InvalidAccessKeyId") return Status::Code::kUnrecognizedClient;
  if (code == "SignatureDoesNotMatch") return Status::Code::kInvalidSignature;
  if (code == "AccessDenied" || http_status == 403) return Status::Code::kAccessDenied;
  if (http_status >= 500) return Status::Code::kUnavailable;
  return Status::Code::kIOError;
}

}  // namespace

Result<std::unique_ptr<S3Store>> S3Store::Open(std::string_view location, S3Config config) {
  if (!location.starts_with("s3://")) {
    return Status::InvalidArgument("not an S3 location: '" + std::string(location) + "'");
  }
  std::string_view rest = location.substr(5);
  const size_t slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? "" : rest.substr(slash + 1));
  if (bucket.empty()) {
    return Status::InvalidArgument("no bucket in '" + std::string(location) + "'");
  }
  while (prefix.starts_with('/')) prefix.erase(0, 1);
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  CurlGlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  return std::unique_ptr<S3Store>(
      new S3Store(std::move(bucket), std::move(prefix), std::move(config), curl));
}

S3Store::S3Store(std::string bucket, std::string prefix, S3Config config, void* curl)
    : bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      config_(std::move(config)),
      curl_(curl) {}

S3Store::~S3Store() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string S3Store::location() const {
  std::string loc = "s3://" + bucket_;
  if (!prefix_.empty()) loc += "/" + prefix_.substr(0, prefix_.size() - 1);
  return loc;
}

std::string S3Store::ObjectPath(std::string_view key) const {
  return "/" + UriEncode(prefix_ + std::string(key), /*keep_slash=*/true);
}

Result<S3Store::Answer> S3Store::PerformOnce(std::string_view method, const std::string& url,
                                             std::string_view body) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Answer answer;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kLowSpeedSeconds);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CurlAppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_slist* headers = nullptr;
  // S3 wants the payload's hash as a header; libcurl signs the headers it is given.
  headers = curl_slist_append(headers, ("x-amz-content-sha256: " + Sha256Hex(body)).c_str());
  if (!config_.session_token.empty()) {
    headers =
        curl_slist_append(headers, ("x-amz-security-token: " + config_.session_token).c_str());
  }
  if (method == "PUT") {
    // The body as POSTFIELDS, so that libcurl has it whole to sign; PUT as the verb.
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    // No "Expect:" to turn 100-continue off: libcurl 7.88 signs an emptied header wrongly.
    headers = curl_slist_append(headers, "Content-Type: application/json");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  std::string sigv4;
  if (!config_.access_key_id.empty()) {
    sigv4 = "aws:amz:" + config_.region + ":s3";
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.secret_access_key.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return Status::Unavailable(std::string(method) + " " + url + ": " +
                               (error[0] != 0 ? error : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.http_status);
  return answer;
}

Result<S3Store::Answer> S3Store::Perform(std::string_view method, const std::string& path_and_query,
                                         std::string_view body) {
  const std::string url = config_.endpoint_url + "/" + UriEncode(bucket_, false) + path_and_query;
  auto backoff = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    Result<Answer> answer = PerformOnce(method, url, body);
    const bool retry = !answer.ok() || answer->http_status >= 500;
    if (!retry || attempt == kAttempts) return answer;
    spdlog::warn(
        "s3 retrying method={} url={} attempt={} error={}", method, url, attempt,
        answer.ok() ? "HTTP " + std::to_string(answer->http_status) : answer.status().ToString());
    std::this_thread::sleep_for(backoff);
    backoff *= 4;
  }
}

Status S3Store::ErrorStatus(const Answer& answer, std::string_view what) const {
  S3Error err = ParseS3Error(answer.body);
  if (err.code.empty()) err.code = "HTTP " + std::to_string(answer.http_status);
  std::string msg = err.code + ": " + (err.message.empty() ? "(no message)" : err.message) + " (" +
                    std::string(what) + ")";
  return Status(CodeForS3Error(err.code, answer.http_status), std::move(msg));
}

Status S3Store::Put(std::string_view key, std::string_view body) {
  ASSIGN_OR_RETURN(Answer answer, Perform("PUT", ObjectPath(key), body));
  if (answer.http_status / 100 != 2) {
    return ErrorStatus(answer, "PutObject s3://" + bucket_ + "/" + prefix_ + std::string(key));
  }
  return Status::OK();
}

Result<std::string> S3Store::Get(std::string_view key) {
  ASSIGN_OR_RETURN(Answer answer, Perform("GET", ObjectPath(key), ""));
  if (answer.http_status / 100 != 2) {
    return ErrorStatus(answer, "GetObject s3://" + bucket_ + "/" + prefix_ + std::string(key));
  }
  return std::move(answer.body);
}

Result<std::vector<ObjectInfo>> S3Store::List(std::string_view prefix) {
  std::vector<ObjectInfo> out;
  const std::string full_prefix = prefix_ + std::string(prefix);
  std::string token;
  while (true) {
    // The query in the canonical order SigV4 signs (parameters sorted by name).
    std::string query = "/?";
    if (!token.empty()) query += "continuation-token=" + UriEncode(token, false) + "&";
    query += "list-type=2&prefix=" + UriEncode(full_prefix, false);
    ASSIGN_OR_RETURN(Answer answer, Perform("GET", query, ""));
    if (answer.http_status / 100 != 2) {
      return ErrorStatus(answer, "ListObjectsV2 s3://" + bucket_ + "/" + full_prefix);
    }
    ASSIGN_OR_RETURN(ListObjectsPage page, ParseListObjectsV2(answer.body));
    for (ObjectInfo& obj : page.objects) {
      if (!obj.key.starts_with(full_prefix)) {
        return Status::Corruption("ListObjectsV2 returned '" + obj.key + "' outside prefix '" +
                                  full_prefix + "'");
      }
      obj.key.erase(0, prefix_.size());
      out.push_back(std::move(obj));
    }
    if (!page.is_truncated) break;
    token = std::move(page.next_continuation_token);
  }
  return out;
}

}  // namespace pinstream
