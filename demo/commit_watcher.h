#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>

#include "operators/commit_store.h"

namespace pinstream {

// The processor's CommitStore in the demo: forwards everything to the real store and publishes
// the offsets of each committed batch, so that another thread can tell how far the processor has
// durably got without touching the processor's own state. Borrows `store`, which must outlive
// the watcher. The CommitStore methods are called from the processor's thread; committed() from
// any thread.
class CommitWatcher final : public CommitStore {
 public:
  explicit CommitWatcher(CommitStore* store) : store_(store) {}

  Result<TableWriter*> OpenTable(const TableDef& def) override { return store_->OpenTable(def); }
  StateStore* State(std::string_view op_id) override { return store_->State(op_id); }
  Result<Checkpoint> LoadCheckpoint(std::string_view topology) override {
    return store_->LoadCheckpoint(topology);
  }
  Status WriteDeadLetter(const DeadLetter& letter) override {
    return store_->WriteDeadLetter(letter);
  }
  Status SetRetention(std::string_view topology, const RetentionPolicy& policy) override {
    return store_->SetRetention(topology, policy);
  }
  Result<int64_t> Commit(std::string_view topology, const Checkpoint& checkpoint) override;
  Status AwaitCommits() override { return store_->AwaitCommits(); }
  void Abort() override { store_->Abort(); }

  // The offsets of the newest committed batch; empty before the first.
  Offsets committed() const;

 private:
  CommitStore* store_;
  mutable std::mutex mu_;
  Offsets committed_;  // GUARDED_BY(mu_)
};

}  // namespace pinstream
