#include "stream/stream_settings_codec.h"

#include <nlohmann/json.hpp>

namespace pinstream {

namespace {

using json = nlohmann::json;

}  // namespace

std::string EncodeStreamSettings(const StreamSettings& s) {
  json consumers = json::array();
  for (const auto& c : s.consumers) {
    consumers.push_back({{"name", c.name}, {"created_ms", c.created_ms}, {"tags", c.tags}});
  }
  json j = {{"retention_ms", s.retention_ms},
            {"mode", StreamModeName(s.mode)},
            {"tags", s.tags},
            {"encryption_type", s.encryption_type},
            {"key_id", s.key_id},
            {"metrics", s.shard_level_metrics},
            {"consumers", std::move(consumers)}};
  return j.dump();
}

Result<StreamSettings> DecodeStreamSettings(std::string_view text) {
  StreamSettings s;
  try {
    const json j = json::parse(text);
    s.retention_ms = j.value("retention_ms", int64_t{0});
    s.mode = ParseStreamMode(j.value("mode", std::string())).value_or(StreamMode::kProvisioned);
    s.tags = j.value("tags", std::map<std::string, std::string>{});
    s.encryption_type = j.value("encryption_type", std::string("NONE"));
    s.key_id = j.value("key_id", std::string());
    s.shard_level_metrics = j.value("metrics", std::set<std::string>{});
    for (const auto& c : j.value("consumers", json::array())) {
      s.consumers.push_back({c.at("name").get<std::string>(), c.at("created_ms").get<int64_t>(),
                             c.value("tags", std::map<std::string, std::string>{})});
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("stream settings: ") + e.what());
  }
  if (s.retention_ms < 0) return Status::Corruption("stream settings: negative retention");
  return s;
}

}  // namespace pinstream
