#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Where the processor keeps the records bound for streams until they are sent (the outbox of
// runtime/outbox.h): staged into the same atomic write as a CommitStore's batch, so that a
// record is in the outbox exactly when its batch committed. The sinks library implements it
// beside CommitStore, over the same RocksDB.
//
// Threads: StageOutbox, ScanOutbox and NextBatchId belong to the processor's thread, as the
// CommitStore does; DeleteOutbox may be called from one other thread (the sender) meanwhile.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Stages an entry into the current batch of the CommitStore: written by its next Commit, or
  // dropped by its Abort.
  virtual Status StageOutbox(std::string_view key, std::string_view value) = 0;

  // The committed entries whose keys start with `prefix`, in key order, until `visit` returns
  // false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status ScanOutbox(std::string_view prefix, const Visitor& visit) = 0;

  // Deletes committed entries (sent ones), in a write of their own.
  virtual Status DeleteOutbox(std::span<const std::string> keys) = 0;

  // The id the next Commit of `topology` gives its batch.
  virtual Result<int64_t> NextBatchId(std::string_view topology) = 0;
};

}  // namespace pinstream
