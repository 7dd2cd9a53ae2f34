#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "archive/object_store.h"

namespace pinstream {

// Where an archive of `topic` resumes, from the objects alone (no state of its own, as the S3
// sink connector recovers from its object names): per partition, the newest data object's
// start offset plus its line count, i.e. the offset of the first record not archived yet.
// Partitions without a data object are absent. A headers companion without its data object
// (a writer killed between the two) is ignored: the data object is the commit point, and the
// next write of that object replaces the companion.
Result<std::map<uint32_t, uint64_t>> ResumeOffsets(ObjectStore* store, std::string_view topic);

}  // namespace pinstream
