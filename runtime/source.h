#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "operators/commit_store.h"
#include "stream/stream_types.h"

namespace pinstream {

// Records a topology had not read and can no longer read: between the position it had checkpointed
// and the first one still available. One gap is one row of the `data_loss` table.
struct DataGap {
  std::string stream;
  std::string shard_id;
  std::string reason;           // what happened, e.g. "trimmed by retention before it was read"
  std::string last_checkpoint;  // the last position processed (a sequence number)
  std::string first_available;  // the first record still there; empty when unknown
  std::optional<int64_t> records_lost;  // where the broker can tell
};

// One read of a shard: its next records in order, and a gap when records were lost before them.
struct ShardBatch {
  std::vector<RecordView> records;     // views into `buffer`
  std::shared_ptr<const void> buffer;  // owns what the views point into
  // The records' positions as their service wrote them, one per record, when they are not
  // pinstream's SequenceNumbers: a Kinesis endpoint's are opaque decimal text (up to 128
  // digits). Offsets and dead letters use these; empty: each RecordView::sequence_number.
  std::vector<std::string> sequence_numbers;
  int64_t millis_behind = 0;           // how far the read is behind the shard's newest record
  std::optional<DataGap> gap;          // records between the last read and these are gone
  // A reshard closed the shard and these are its last records: its children come next
  // (Source::OpenChildren), and the shard's offset becomes kShardEndOffset.
  bool shard_end = false;

  // The position of records[i], as the checkpoint holds it.
  std::string SequenceNumberOf(size_t i) const {
    return sequence_numbers.empty() ? records[i].sequence_number.ToString() : sequence_numbers[i];
  }
};

// One shard of a source, read in order from where the source opened it.
class ShardInput {
 public:
  virtual ~ShardInput() = default;
  virtual const std::string& stream() const = 0;
  virtual const std::string& shard_id() const = 0;
  virtual uint32_t shard_index() const = 0;
  // At most this many records a read (a share of a batch); before the first Read.
  virtual void set_read_limit(int records) = 0;
  // The next records; none when the reader is caught up.
  virtual Result<ShardBatch> Read() = 0;
};

// A topology source: one stream, its shards opened at the topology's checkpoint.
class Source {
 public:
  struct Opened {
    std::vector<std::unique_ptr<ShardInput>> shards;
    // The stream's incarnation, checkpointed with the offsets (Checkpoint::incarnations).
    std::string incarnation;
    // Found at open: the stream was created again since the checkpoint, a checkpointed shard
    // is gone. The shards are then opened where reading can go on (a new incarnation at the
    // source's start position); whether it may is the caller's policy.
    std::vector<DataGap> gaps;
    // The checkpoint's offsets of this stream are an earlier incarnation's: its shard ends no
    // longer hold either.
    bool recreated = false;
  };
  virtual ~Source() = default;
  virtual const std::string& stream() const = 0;
  // Opens the shards to read first: every shard not read to its end whose parents (after a
  // reshard) have been, as the KCL reads a lineage, so that each key's records stay in order.
  virtual Result<Opened> Open(const Checkpoint& checkpoint) = 0;
  // After a shard ended (its offset kShardEndOffset in `checkpoint`): the shards that became
  // readable, not opened before. A child of ended shards starts at its trim horizon.
  virtual Result<std::vector<std::unique_ptr<ShardInput>>> OpenChildren(
      const Checkpoint& checkpoint) = 0;
};

}  // namespace pinstream
