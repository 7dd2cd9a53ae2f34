#include "demo/commit_watcher.h"

namespace pinstream {

Result<int64_t> CommitWatcher::Commit(std::string_view topology, const Checkpoint& checkpoint) {
  ASSIGN_OR_RETURN(int64_t batch_id, store_->Commit(topology, checkpoint));
  std::lock_guard lock(mu_);
  committed_ = checkpoint.offsets;
  return batch_id;
}

Offsets CommitWatcher::committed() const {
  std::lock_guard lock(mu_);
  return committed_;
}

}  // namespace pinstream
