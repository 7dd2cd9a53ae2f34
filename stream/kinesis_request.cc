#include "stream/kinesis_request.h"

#include <cmath>
#include <string>

#include "common/base64.h"
#include "common/time_format.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

// 9999-12-31T23:59:59Z, the last instant an ISO-8601 timestamp can write.
constexpr double kMaxTimestampSeconds = 253402300799.0;

}  // namespace

Result<std::string_view> RequiredString(const json& req, const char* field) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) {
    return Status::InvalidArgument(std::string(field) + " is required");
  }
  if (!it->is_string()) return Status::InvalidArgument(std::string(field) + " must be a string");
  return std::string_view(it->get_ref<const std::string&>());
}

Result<std::optional<std::string_view>> OptionalString(const json& req, const char* field) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) return std::optional<std::string_view>();
  if (!it->is_string()) return Status::InvalidArgument(std::string(field) + " must be a string");
  return std::optional<std::string_view>(it->get_ref<const std::string&>());
}

Result<int64_t> OptionalInt(const json& req, const char* field, int64_t fallback) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) return fallback;
  if (!it->is_number()) return Status::InvalidArgument(std::string(field) + " must be an integer");
  // AWS's parser truncates a fraction (ShardCount 2.5 is 2), as ValidateKinesisRequest does.
  if (it->is_number_float()) {
    const double d = std::floor(it->get<double>());
    if (!std::isfinite(d) || std::abs(d) > 9.0e18) {
      return Status::InvalidArgument(std::string(field) + " " + it->dump() + " is out of range");
    }
    return static_cast<int64_t>(d);
  }
  return it->get<int64_t>();
}

Result<std::string_view> StreamNameOf(const json& req) {
  if (auto it = req.find("StreamARN");
      it != req.end() && it->is_string() && !req.contains("StreamName")) {
    std::string_view arn = it->get_ref<const std::string&>();
    auto slash = arn.rfind(":stream/");
    if (slash == std::string_view::npos) return Status::InvalidArgument("invalid StreamARN");
    return arn.substr(slash + 8);
  }
  return RequiredString(req, "StreamName");
}

Result<std::optional<int64_t>> OptionalTimestampMillis(const json& req, const char* field) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number()) {
    // Past year 9999 (or not a number at all) would overflow the milliseconds.
    const double seconds = it->get<double>();
    if (!std::isfinite(seconds) || std::abs(seconds) > kMaxTimestampSeconds) {
      return Status::InvalidArgument(std::string(field) + " " + it->dump() + " is out of range");
    }
    return std::optional<int64_t>(std::llround(seconds * 1000.0));
  }
  if (it->is_string()) {
    ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMillis(it->get<std::string>()));
    return std::optional<int64_t>(ms);
  }
  return Status::InvalidArgument(std::string(field) + " must be a number or a string");
}

std::string EncodeNextToken(const json& position) { return Base64Encode(position.dump()); }

Result<json> DecodeNextToken(std::string_view token, std::string_view what) {
  auto invalid = [&] {
    return Status::InvalidArgument("Invalid NextToken for " + std::string(what) + ".");
  };
  auto bytes = Base64Decode(token);
  if (!bytes.ok()) return invalid();
  json position = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (position.is_discarded() || !position.is_object()) return invalid();
  return position;
}

}  // namespace pinstream
