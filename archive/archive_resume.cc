#include "archive/archive_resume.h"

#include <algorithm>

#include "archive/archive_layout.h"

namespace pinstream {

Result<std::map<uint32_t, uint64_t>> ResumeOffsets(ObjectStore* store, std::string_view topic) {
  ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(TopicPrefix(topic)));
  std::map<uint32_t, ArchiveObject> newest;
  for (const ObjectInfo& info : objects) {
    std::optional<ArchiveObject> obj = ParseArchiveKey(info.key);
    if (!obj || obj->headers || obj->topic != topic) continue;
    auto [it, inserted] = newest.try_emplace(obj->partition, *obj);
    if (!inserted && obj->start_offset > it->second.start_offset) it->second = std::move(*obj);
  }
  std::map<uint32_t, uint64_t> out;
  for (const auto& [partition, obj] : newest) {
    ASSIGN_OR_RETURN(std::string body, store->Get(obj.Key()));
    if (body.empty() || body.back() != '\n') {
      return Status::Corruption("archive object " + obj.Key() + " does not end a line");
    }
    out[partition] = obj.start_offset + std::count(body.begin(), body.end(), '\n');
  }
  return out;
}

}  // namespace pinstream
