#include "monitor/status_fetch.h"

#include <vector>

#include "common/json_limits.h"
#include "monitor/http_get.h"

namespace pinstream {

std::string NormalizeBaseUrl(std::string_view url) {
  std::string out(url);
  if (out.find("://") == std::string::npos) out = "http://" + out;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

Result<nlohmann::json> FetchMonitorStatus(std::string_view base_url, std::string_view kind,
                                          const std::string& api_key,
                                          std::chrono::milliseconds timeout) {
  const std::string url = NormalizeBaseUrl(base_url) + "/monitor/status";
  std::vector<std::string> headers = {"Accept: application/json"};
  if (!api_key.empty()) headers.push_back("x-api-key: " + api_key);
  ASSIGN_OR_RETURN(HttpGetReply reply, HttpGet(url, headers, timeout));
  if (reply.status == 403) return Status::AccessDenied(url + ": HTTP 403 (wrong or no API key)");
  if (reply.status != 200) {
    return Status::IOError(url + ": HTTP " + std::to_string(reply.status) + " " +
                           reply.body.substr(0, 200));
  }
  RETURN_IF_ERROR(CheckJsonDepth(reply.body));
  nlohmann::json status = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) return Status::Serialization(url + ": not a JSON object");
  const auto found = status.find("kind");
  if (found == status.end() || !found->is_string() || found->get<std::string>() != kind) {
    return Status::Serialization(url + ": not a " + std::string(kind) + "'s status");
  }
  return status;
}

}  // namespace pinstream
