#include "stream/kinesis_arn.h"

#include <charconv>

namespace pinstream {

namespace {

constexpr std::string_view kConsumerInfix = "/consumer/";

std::string ArnPrefix() {
  return "arn:aws:kinesis:" + std::string(kRegion) + ":" + std::string(kAccountId) + ":stream/";
}

}  // namespace

std::string StreamArn(std::string_view stream) { return ArnPrefix() + std::string(stream); }

std::string ConsumerArn(std::string_view stream, std::string_view consumer, int64_t created_ms) {
  return StreamArn(stream) + std::string(kConsumerInfix) + std::string(consumer) + ":" +
         std::to_string(created_ms / 1000);
}

Result<ResourceArn> ParseResourceArn(std::string_view arn) {
  const std::string prefix = ArnPrefix();
  auto invalid = [&] {
    return Status::InvalidArgument("Invalid ARN: " + std::string(arn) +
                                   " is not the ARN of a stream or a consumer of account " +
                                   std::string(kAccountId) + " in " + std::string(kRegion) + ".");
  };
  if (!arn.starts_with(prefix)) return invalid();
  std::string_view rest = arn.substr(prefix.size());
  ResourceArn out;
  const size_t infix = rest.find(kConsumerInfix);
  if (infix == std::string_view::npos) {
    if (rest.empty() || rest.find('/') != std::string_view::npos) return invalid();
    out.stream = rest;
    return out;
  }
  out.stream = rest.substr(0, infix);
  std::string_view consumer = rest.substr(infix + kConsumerInfix.size());
  const size_t colon = consumer.rfind(':');
  if (out.stream.empty() || colon == std::string_view::npos || colon == 0) return invalid();
  std::string_view epoch = consumer.substr(colon + 1);
  auto [end, ec] =
      std::from_chars(epoch.data(), epoch.data() + epoch.size(), out.consumer_created_s);
  if (ec != std::errc() || end != epoch.data() + epoch.size() || epoch.empty()) return invalid();
  out.consumer = std::string(consumer.substr(0, colon));
  return out;
}

}  // namespace pinstream
