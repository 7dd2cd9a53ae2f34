#pragma once

#include <cstdint>

#include "common/result.h"
#include "common/value.h"
#include "operators/operator.h"

namespace pinstream {

// An input channel of the graph: one shard of one source. Watermarks are tracked per channel,
// because records are ordered within a shard only.
struct Channel {
  uint32_t source = 0;  // index into Topology::sources
  uint32_t shard = 0;   // the shard's index (shardId-000000000003 is 3)

  uint64_t id() const { return (uint64_t{source} << 32) | shard; }
  bool operator==(const Channel&) const = default;
};

// Where the record now running through the graph came from.
struct RecordContext {
  Channel channel;
  int64_t arrival_ms = 0;  // its ApproximateArrivalTimestamp
  uint32_t input = 0;      // which of the pipeline's inputs ("from") the row comes from
};

// The end of a micro-batch, just before it commits.
struct BatchContext {
  int64_t now_ms = 0;  // processing time (wall clock; tests pass their own)
};

// The size of an operator's state: what it holds in the StateStore (committed plus staged) and
// what it caches in memory. Keys and bytes in the store are key + value sizes as written.
struct StateStats {
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t cached_groups = 0;
  uint64_t cached_bytes = 0;  // an estimate

  StateStats& operator+=(const StateStats& o) {
    keys += o.keys;
    bytes += o.bytes;
    cached_groups += o.cached_groups;
    cached_bytes += o.cached_bytes;
    return *this;
  }
};

// Where a StreamOperator sends rows. Emit() runs the row through the rest of the pipeline (the
// later steps, then the pipeline's tables and downstream pipelines) before it returns; a row
// that a later step or a table refuses goes to the dead letters there. EmitSide() writes a row
// straight to the table of one of the step's side outputs (OperatorArgs::side_outputs), by the
// index the factory declared it at. A non-OK Status means the batch cannot commit: return it.
class Output {
 public:
  virtual ~Output() = default;
  virtual Status Emit(Row row) = 0;
  virtual Status EmitSide(size_t side, Row row) = 0;
};

// An operator that is not one row in, at most one row out: it may emit any number of rows per
// input row (a sliding window updates several windows), and rows at the end of a micro-batch
// (updated aggregates, windows that the watermark closed). Graph calls Process() per row,
// AddChannel() for every channel before the first row, and Flush() at the end of every batch,
// before the batch commits, in pipeline order (an upstream step's flushed rows reach the
// downstream steps before those flush). Everything Flush() stages into the StateStore commits
// with the batch.
//
// Like Operator: configuration fixed at build, CPU work only (state reads go through the
// StateStore and its cache), not thread-safe. Apply() is not used for stream operators.
class StreamOperator : public Operator {
 public:
  StreamOperator* stream() override { return this; }
  Status Apply(Row&, bool*) final {
    return Status::Internal("a stream operator runs through Process(), not Apply()");
  }

  // A channel whose rows may reach this operator; the operator's watermark waits for every
  // declared channel (until it is idle). Channels first seen in Process() are added then.
  virtual void AddChannel(const Channel& /*channel*/) {}

  // Consumes `row` (a row of the input schema). A non-OK Status sends the record to the dead
  // letters, with nothing of it applied to the state; an error from `out` must be returned.
  virtual Status Process(const RecordContext& ctx, Row&& row, Output& out) = 0;

  virtual Status Flush(const BatchContext& ctx, Output& out) = 0;

  // True when the rows are updates of earlier rows (same key): the tables the pipeline writes
  // must then have a key, so that they upsert.
  virtual bool emits_updates() const { return false; }

  // True for an operator that may start a pipeline with several inputs (a join).
  virtual bool reads_several_inputs() const { return false; }

  // True for an operator that emits rows only from Process(), at once, on the channel of the
  // row it got (a dedup with "within"): the stream operators after it then read the source's
  // channels too, and Graph::AddChannel declares those channels to them as well.
  virtual bool emits_in_process() const { return false; }

  virtual StateStats state_stats() const { return {}; }

  // Drops everything cached in memory: the next row reads the committed state again. For a
  // batch that was aborted instead of committed.
  virtual void DiscardCache() {}
};

}  // namespace pinstream
