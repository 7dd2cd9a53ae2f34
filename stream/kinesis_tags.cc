// KinesisApi's tagging actions: AddTagsToStream, RemoveTagsFromStream and ListTagsForStream by
// stream, TagResource, UntagResource and ListTagsForResource by a stream's or a consumer's ARN.
// Tags are kept in the stream's settings (a consumer's with the consumer), at most 50 each.
#include <algorithm>

#include "stream/aws_errors.h"
#include "stream/kinesis_api.h"
#include "stream/kinesis_api_internal.h"
#include "stream/kinesis_arn.h"
#include "stream/kinesis_request.h"

namespace pinstream {

namespace {

using json = nlohmann::json;
using TagMap = std::map<std::string, std::string>;

// ListTagsForStream's page when the request names no Limit: every tag a stream can have.
constexpr int64_t kListTagsDefaultLimit = 50;

// Whether `c`, a code point, is one of the characters AWS allows in tags: letters and digits
// (Latin, and the ranges U+00C0-U+1FFF and U+2C00-U+D7FF), white space and _ . / = + - % @ :.
bool AllowedTagChar(uint32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (std::string_view("_./=+-%@: ").find(static_cast<char>(c)) != std::string_view::npos &&
      c < 0x80) {
    return true;
  }
  return (c >= 0xC0 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0xD7FF);
}

// Decodes UTF-8 leniently: a malformed byte is a code point AllowedTagChar refuses.
bool AllAllowed(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    uint32_t c = len == 1 ? b : b & (0xFF >> (len + 1));
    for (int k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (!AllowedTagChar(c)) return false;
    i += len;
  }
  return true;
}

// AWS's two refusals of tag characters, in its order: characters outside the set, then '%'
// (which the first message lists, but the second refuses). `what` is e.g. "add tags to stream
// NAME".
Status CheckTagText(const std::vector<std::string_view>& texts, std::string_view what) {
  for (auto t : texts) {
    if (!AllAllowed(t)) {
      return Status::InvalidArgument(
          "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
          "white space, _ . / = + - % @ :.");
    }
  }
  for (auto t : texts) {
    if (t.find('%') != std::string_view::npos) {
      return Status::InvalidArgument(
          "Failed to " + std::string(what) + " under account " + std::string(kAccountId) +
          " because some tags contained illegal characters. The allowed characters are Unicode "
          "letters, white-spaces, '_',',','/','=','+','-','@',':'.");
    }
  }
  return Status::OK();
}

// The request's Tags map ({"key": "value"}), checked.
Result<TagMap> TagsOf(const json& req, std::string_view what) {
  auto it = req.find("Tags");
  if (it == req.end() || it->is_null()) return Status::InvalidArgument("Tags is required");
  if (!it->is_object()) return Status::InvalidArgument("Tags must be a map");
  TagMap tags;
  std::vector<std::string_view> texts;
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return Status::InvalidArgument("tag values must be strings");
    tags[key] = value.get<std::string>();
  }
  for (const auto& [key, value] : tags) {
    texts.push_back(key);
    texts.push_back(value);
  }
  RETURN_IF_ERROR(CheckTagText(texts, what));
  return tags;
}

Result<std::vector<std::string>> TagKeysOf(const json& req, std::string_view what) {
  auto it = req.find("TagKeys");
  if (it == req.end() || it->is_null()) return Status::InvalidArgument("TagKeys is required");
  if (!it->is_array()) return Status::InvalidArgument("TagKeys must be a list");
  std::vector<std::string> keys;
  for (const auto& k : *it) {
    if (!k.is_string()) return Status::InvalidArgument("TagKeys must hold strings");
    keys.push_back(k.get<std::string>());
  }
  RETURN_IF_ERROR(CheckTagText({keys.begin(), keys.end()}, what));
  return keys;
}

// Merges `add` into `tags` unless that takes them past AWS's 50.
Status AddTags(const TagMap& add, std::string_view what, TagMap* tags) {
  TagMap merged = *tags;
  for (const auto& [key, value] : add) merged[key] = value;
  if (merged.size() > kMaxTagsPerStream) {
    return Status::InvalidArgument(
        "Failed to " + std::string(what) + " under account " + std::string(kAccountId) +
        " because a given " +
        (what.find("consumer") != std::string_view::npos ? "consumer" : "stream") +
        " cannot have more than " + std::to_string(kMaxTagsPerStream) +
        " tags associated with it.");
  }
  *tags = std::move(merged);
  return Status::OK();
}

// The tags of the resource `arn` names within `settings`: the stream's, or a consumer's.
Result<TagMap*> TagsAt(const ResourceArn& arn, StreamSettings* settings) {
  if (!arn.consumer) return &settings->tags;
  for (auto& c : settings->consumers) {
    if (c.name == *arn.consumer && c.created_ms / 1000 == arn.consumer_created_s) return &c.tags;
  }
  return ConsumerNotFound(*arn.consumer, arn.stream);
}

std::string WhatOf(std::string_view verb, const ResourceArn& arn) {
  return std::string(verb) +
         (arn.consumer ? " consumer " + *arn.consumer : " stream " + arn.stream);
}

}  // namespace

Result<TagMap> RequestTags(const json& req, std::string_view what) {
  ASSIGN_OR_RETURN(TagMap tags, TagsOf(req, what));
  TagMap checked;
  RETURN_IF_ERROR(AddTags(tags, what, &checked));
  return checked;
}

Result<StreamSettings> KinesisApi::NewStreamSettings(const json& req) const {
  StreamSettings settings;
  if (auto it = req.find("StreamModeDetails"); it != req.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(std::string_view mode_name, RequiredString(*it, "StreamMode"));
    auto mode = ParseStreamMode(mode_name);
    if (!mode) return Status::InvalidArgument("Unknown StreamMode " + std::string(mode_name));
    settings.mode = *mode;
  }
  if (req.contains("Tags") && !req["Tags"].is_null()) {
    ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
    const std::string what = "add tags to stream " + std::string(name);
    ASSIGN_OR_RETURN(settings.tags, RequestTags(req, what));
  }
  // Counted before the stream exists: two racing creations may both pass (one machine).
  if (settings.mode == StreamMode::kOnDemand) RETURN_IF_ERROR(CheckOnDemandRoom(*store_));
  return settings;
}

Result<json> KinesisApi::AddTagsToStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  const std::string what = "add tags to stream " + std::string(name);
  ASSIGN_OR_RETURN(TagMap tags, TagsOf(req, what));
  RETURN_IF_ERROR(store_->UpdateStreamSettings(
      name, [&](StreamSettings* s) { return AddTags(tags, what, &s->tags); }));
  return json::object();
}

Result<json> KinesisApi::RemoveTagsFromStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(auto keys, TagKeysOf(req, "remove tags from stream " + std::string(name)));
  RETURN_IF_ERROR(store_->UpdateStreamSettings(name, [&](StreamSettings* s) {
    for (const auto& k : keys) s->tags.erase(k);  // a key the stream lacks is no error
    return Status::OK();
  }));
  return json::object();
}

Result<json> KinesisApi::ListTagsForStream(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view name, StreamNameOf(req));
  ASSIGN_OR_RETURN(int64_t limit, OptionalInt(req, "Limit", kListTagsDefaultLimit));
  if (limit < 1 || limit > kListTagsDefaultLimit) {
    return Status::InvalidArgument("Limit must be between 1 and 50");
  }
  ASSIGN_OR_RETURN(auto start, OptionalString(req, "ExclusiveStartTagKey"));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(name));
  const TagMap& tags = d.settings.tags;
  auto it = start ? tags.upper_bound(std::string(*start)) : tags.begin();
  json out = json::array();
  for (; it != tags.end() && static_cast<int64_t>(out.size()) < limit; ++it) {
    out.push_back({{"Key", it->first}, {"Value", it->second}});
  }
  return json{{"Tags", std::move(out)}, {"HasMoreTags", it != tags.end()}};
}

Result<json> KinesisApi::TagResource(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view arn_text, RequiredString(req, "ResourceARN"));
  ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(arn_text));
  const std::string what = WhatOf("add tags to", arn);
  ASSIGN_OR_RETURN(TagMap tags, TagsOf(req, what));
  RETURN_IF_ERROR(store_->UpdateStreamSettings(arn.stream, [&](StreamSettings* s) -> Status {
    ASSIGN_OR_RETURN(TagMap * target, TagsAt(arn, s));
    return AddTags(tags, what, target);
  }));
  return json::object();
}

Result<json> KinesisApi::UntagResource(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view arn_text, RequiredString(req, "ResourceARN"));
  ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(arn_text));
  ASSIGN_OR_RETURN(auto keys, TagKeysOf(req, WhatOf("remove tags from", arn)));
  RETURN_IF_ERROR(store_->UpdateStreamSettings(arn.stream, [&](StreamSettings* s) -> Status {
    ASSIGN_OR_RETURN(TagMap * target, TagsAt(arn, s));
    for (const auto& k : keys) target->erase(k);
    return Status::OK();
  }));
  return json::object();
}

Result<json> KinesisApi::ListTagsForResource(const json& req) const {
  ASSIGN_OR_RETURN(std::string_view arn_text, RequiredString(req, "ResourceARN"));
  ASSIGN_OR_RETURN(ResourceArn arn, ParseResourceArn(arn_text));
  ASSIGN_OR_RETURN(StreamDescription d, store_->DescribeStream(arn.stream));
  ASSIGN_OR_RETURN(TagMap * tags, TagsAt(arn, &d.settings));
  return json{{"Tags", TagListJson(*tags)}};
}

}  // namespace pinstream
