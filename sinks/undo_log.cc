#include "sinks/undo_log.h"

#include "common/coding.h"

namespace pinstream {

void AppendUndo(std::string* log, std::string_view key, const std::optional<std::string>& before) {
  PutLengthPrefixed(log, key);
  log->push_back(before ? 1 : 0);
  if (before) PutLengthPrefixed(log, *before);
}

Status ForEachUndo(std::string_view log,
                   const std::function<Status(std::string_view key,
                                              std::optional<std::string_view> before)>& restore) {
  Decoder in(log);
  while (!in.empty()) {
    std::string_view key, value;
    uint8_t existed = 0;
    if (!in.GetLengthPrefixed(&key) || !in.GetByte(&existed) ||
        (existed && !in.GetLengthPrefixed(&value))) {
      return Status::Corruption("malformed undo log");
    }
    RETURN_IF_ERROR(restore(key, existed ? std::optional<std::string_view>(value) : std::nullopt));
  }
  return Status::OK();
}

}  // namespace pinstream
