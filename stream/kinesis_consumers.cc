// KinesisApi's enhanced fan-out consumer actions: Register-, Describe-, List- and
// DeregisterStreamConsumer. Consumers are kept in their stream's settings. SubscribeToShard, the
// one action that would use them, is not served (an HTTP/2 event stream; GetRecords reads the
// same records), so a consumer is a registration with an ARN, ACTIVE at once.
#include <algorithm>
#include <tuple>

#include "stream/aws_errors.h"
#include "stream/kinesis_api.h"
#include "stream/kinesis_api_internal.h"
#include "stream/kinesis_arn.h"
#include "stream/kinesis_request.h"

namespace pinstream {

namespace {

using json = nlohmann::json;

constexpr int64_t kListConsumersDefaultLimit = 100;
constexpr int64_t kMaxListConsumersLimit = 10000;

json ConsumerJson(std::string_view stream, const StreamConsumer& c) {
  return {{"ConsumerName", c.name},
          {"ConsumerARN", ConsumerArn(stream, c.name, c.created_ms)},
          {"ConsumerStatus", "ACTIVE"},
          {"ConsumerCreationTimestamp", EpochSeconds(c.created_ms)}};
}

// The stream a StreamARN names; InvalidArgument for a consumer's ARN.
Result<std::string> StreamOfArn(const json& req) {
  ASSIGN_OR_RETURN(std::string_view arn_text, RequiredString(req, "StreamARN"));
  ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(arn_text));
  if (arn.consumer) return Status::InvalidArgument("StreamARN must be a stream's ARN");
  return arn.stream;
}

// The consumer a Describe- or DeregisterStreamConsumer names: by ConsumerARN, or by StreamARN
// and ConsumerName. created_s is set only for an ARN (which names one registration).
struct ConsumerRef {
  std::string stream;
  std::string name;
  std::optional<int64_t> created_s;
};

Result<ConsumerRef> ConsumerRefOf(const json& req) {
  ASSIGN_OR_RETURN(auto consumer_arn, OptionalString(req, "ConsumerARN"));
  if (consumer_arn) {
    ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(*consumer_arn));
    if (!arn.consumer) return Status::InvalidArgument("ConsumerARN must be a consumer's ARN");
    return ConsumerRef{arn.stream, *arn.consumer, arn.consumer_created_s};
  }
  ASSIGN_OR_RETURN(auto name, OptionalString(req, "ConsumerName"));
  if (!name || !req.contains("StreamARN")) {
    return Status::InvalidArgument(
        "Either ConsumerARN, or both StreamARN and ConsumerName, must be provided.");
  }
  ASSIGN_OR_RETURN(std::string stream, StreamOfArn(req));
  return ConsumerRef{stream, std::string(*name), std::nullopt};
}

std::vector<StreamConsumer>::iterator FindConsumer(std::vector<StreamConsumer>& consumers,
                                                   const ConsumerRef& ref) {
  return std::find_if(consumers.begin(), consumers.end(), [&](const StreamConsumer& c) {
    return c.name == ref.name && (!ref.created_s || c.created_ms / 1000 == *ref.created_s);
  });
}

}  // namespace

Result<json> KinesisApi::RegisterStreamConsumer(const json& req) const {
  ASSIGN_OR_RETURN(std::string stream, StreamOfArn(req));
  ASSIGN_OR_RETURN(std::string_view name, RequiredString(req, "ConsumerName"));
  std::map<std::string, std::string> tags;
  if (req.contains("Tags") && !req["Tags"].is_null()) {
    ASSIGN_OR_RETURN(tags, RequestTags(req, "add tags to consumer " + std::string(name)));
  }
  StreamConsumer added{std::string(name), store_->options().clock->NowMillis(), std::move(tags)};
  RETURN_IF_ERROR(store_->UpdateStreamSettings(stream, [&](StreamSettings* s) {
    for (const auto& c : s->consumers) {
      if (c.name == name) {
        return ConsumerInUse(c.name, stream);
      }
    }
    if (s->consumers.size() >= kMaxConsumersPerStream) {
      return ConsumerLimitExceeded(stream, s->consumers.size());
    }
    s->consumers.push_back(added);
    return Status::OK();
  }));
  return json{{"Consumer", ConsumerJson(stream, added)}};
}

Result<json> KinesisApi::DescribeStreamConsumer(const json& req) const {
  ASSIGN_OR_RETURN(ConsumerRef ref, ConsumerRefOf(req));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(ref.stream));
  auto it = FindConsumer(d.settings.consumers, ref);
  if (it == d.settings.consumers.end()) return ConsumerNotFound(ref.name, ref.stream);
  json desc = ConsumerJson(ref.stream, *it);
  desc["StreamARN"] = StreamArn(ref.stream);
  return json{{"ConsumerDescription", std::move(desc)}};
}

Result<json> KinesisApi::ListStreamConsumers(const json& req) const {
  ASSIGN_OR_RETURN(std::string stream, StreamOfArn(req));
  ASSIGN_OR_RETURN(int64_t limit, OptionalInt(req, "MaxResults", kListConsumersDefaultLimit));
  if (limit < 1 || limit > kMaxListConsumersLimit) {
    return Status::InvalidArgument("MaxResults must be between 1 and 10000");
  }
  ASSIGN_OR_RETURN(auto created, OptionalTimestampMillis(req, "StreamCreationTimestamp"));
  ASSIGN_OR_RETURN(auto token, OptionalString(req, "NextToken"));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(stream));
  if (created && *created / 1000 != d.created_ms / 1000) {
    return StreamIncarnationNotFound(stream);
  }
  // Pages in registration order; a token holds the last consumer listed, so that one
  // deregistered between pages shifts nothing.
  auto order = [](const StreamConsumer& c) { return std::tie(c.created_ms, c.name); };
  std::vector<StreamConsumer> consumers = d.settings.consumers;
  std::sort(consumers.begin(), consumers.end(),
            [&](const auto& a, const auto& b) { return order(a) < order(b); });
  auto it = consumers.begin();
  if (token) {
    ASSIGN_OR_RETURN(json position, DecodeNextToken(*token, "ListStreamConsumers"));
    auto c = position.find("CreatedMs");
    auto n = position.find("Name");
    auto s = position.find("StreamCreationTimestamp");
    if (c == position.end() || !c->is_number_integer() || n == position.end() || !n->is_string() ||
        s == position.end() || !s->is_number_integer()) {
      return Status::InvalidArgument("Invalid NextToken for ListStreamConsumers.");
    }
    if (s->get<int64_t>() != d.created_ms) {
      return Status::InvalidArgument("NextToken belongs to another stream.");
    }
    const StreamConsumer last{n->get<std::string>(), c->get<int64_t>(), {}};
    it = std::upper_bound(consumers.begin(), consumers.end(), last,
                          [&](const auto& a, const auto& b) { return order(a) < order(b); });
  }
  json out = json::array();
  for (; it != consumers.end() && static_cast<int64_t>(out.size()) < limit; ++it) {
    out.push_back(ConsumerJson(stream, *it));
  }
  json reply = {{"Consumers", std::move(out)}};
  if (it != consumers.end()) {
    const StreamConsumer& last = *std::prev(it);
    reply["NextToken"] = EncodeNextToken({{"StreamCreationTimestamp", d.created_ms},
                                          {"CreatedMs", last.created_ms},
                                          {"Name", last.name}});
  }
  return reply;
}

Result<json> KinesisApi::DeregisterStreamConsumer(const json& req) const {
  ASSIGN_OR_RETURN(ConsumerRef ref, ConsumerRefOf(req));
  RETURN_IF_ERROR(store_->UpdateStreamSettings(ref.stream, [&](StreamSettings* s) {
    auto it = FindConsumer(s->consumers, ref);
    if (it == s->consumers.end()) return ConsumerNotFound(ref.name, ref.stream);
    s->consumers.erase(it);
    return Status::OK();
  }));
  return json::object();
}

}  // namespace pinstream
