#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "common/value.h"
#include "operators/commit_store.h"
#include "runtime/source.h"

namespace pinstream {

inline constexpr char kDataLossTable[] = "data_loss";

// The `data_loss` table (append), where a topology with "on_data_loss": "continue" records each
// gap: topology, stream, shard_id, last_checkpoint, first_available, records_lost (null when
// the broker cannot tell), reason, detected (timestamp).
TableDef DataLossTableDef();
Row DataLossRow(std::string_view topology, const DataGap& gap, int64_t detected_ms);

// The DataLossException a topology stops with under "on_data_loss": "fail": which stream and
// shard, the checkpoint, what is still available, and how to go on.
Status DataLossError(std::string_view topology, const DataGap& gap);

}  // namespace pinstream
