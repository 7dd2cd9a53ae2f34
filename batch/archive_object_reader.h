#pragma once

#include <memory>
#include <string>
#include <vector>

#include "archive/archive_layout.h"
#include "archive/object_store.h"
#include "common/result.h"
#include "stream/stream_types.h"

namespace pinstream {

// One archived data object read whole, with what its ".headers.json" companion says of each
// record. The records' views point into the object's own buffers, so it is shared, immutable,
// by the batches that hold its records (ShardBatch::buffer).
struct LoadedObject {
  std::string data;
  // The records' partition keys, unescaped. Reserved at the companion's size (a key is never
  // longer than its JSON), so that appending never moves the keys already viewed. (The
  // companion itself is dropped once parsed.)
  std::string keys;
  // The data of records the archive wrote as JSON strings (text that is not JSON, or bytes as
  // base64: "data_format" in their headers line), decoded back; reserved as `keys` is.
  std::string decoded;
  std::vector<RecordView> records;
  bool has_headers = false;  // false: the object had no companion (another archiver wrote it)
};

// Reads `object` and its companion from `store` and parses them: each record carries its line
// of the companion (partition key, sequence number, arrival time), or without a companion the
// partition and offset as the sequence number, an empty partition key and arrival time 0. A
// store error, or a companion that does not match the object, is the error.
Result<std::shared_ptr<const LoadedObject>> ReadArchiveObject(ObjectStore* store,
                                                              const ArchiveObject& object);

}  // namespace pinstream
