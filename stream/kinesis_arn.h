#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "stream/aws_errors.h"  // kAccountId, kRegion

namespace pinstream {

// "arn:aws:kinesis:us-east-1:000000000000:stream/NAME".
std::string StreamArn(std::string_view stream);
// AWS's consumer ARN: the stream's ARN, "/consumer/NAME:" and the creation time in epoch
// seconds, so that a consumer registered again under its name has another ARN.
std::string ConsumerArn(std::string_view stream, std::string_view consumer, int64_t created_ms);

// What a stream or consumer ARN names (TagResource and the consumer actions take either).
struct ResourceArn {
  std::string stream;
  std::optional<std::string> consumer;  // set for a consumer ARN
  int64_t consumer_created_s = 0;       // the consumer ARN's creation epoch seconds
};
// InvalidArgument for what is neither a stream's nor a consumer's ARN of this account.
Result<ResourceArn> ParseResourceArn(std::string_view arn);

}  // namespace pinstream
