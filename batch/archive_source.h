#pragma once

#include <memory>
#include <string>
#include <vector>

#include "archive/archive_layout.h"
#include "batch/object_prefetcher.h"
#include "runtime/source.h"

namespace pinstream {

// A topic of an archive as a bounded topology source (a batch job's): the data objects a run
// chose, read partition by partition in offset order, one ShardInput per partition (the shard
// it was archived from). Each record carries what its line of the object's ".headers.json"
// companion says (partition key, sequence number, arrival time), so that operators keyed on
// arrival time (joins, dedup) see what they saw streaming. Objects without a companion (written
// by another archiver) read with the partition and offset as the sequence number, an empty
// partition key and arrival time 0.
//
// Reading is bounded: once every chosen object is read, every shard is caught up. There is no
// lineage to follow (each partition's objects are read in offset order) and no data loss to
// find: the run's objects are what it reads. A store error or a malformed object fails Read,
// so that the run fails whole and nothing of it is committed.
//
// Each shard has its next objects read and parsed ahead by the prefetcher, from Open on.
// Borrows the prefetcher, which must outlive the source and its shards; not thread-safe.
class ArchiveSource final : public Source {
 public:
  ArchiveSource(ObjectPrefetcher* prefetcher, std::string topic,
                std::vector<ArchiveObject> objects);

  const std::string& stream() const override { return topic_; }
  Result<Opened> Open(const Checkpoint& checkpoint) override;
  Result<std::vector<std::unique_ptr<ShardInput>>> OpenChildren(
      const Checkpoint& checkpoint) override;

  // The incarnation a run's checkpoint records for every archive source.
  static constexpr char kIncarnation[] = "archive";

 private:
  ObjectPrefetcher* prefetcher_;
  std::string topic_;
  std::vector<ArchiveObject> objects_;
};

}  // namespace pinstream
