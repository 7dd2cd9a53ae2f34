#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "operators/commit_store.h"
#include "operators/operator.h"
#include "operators/stream_operator.h"
#include "operators/topology.h"

namespace pinstream {

// A topology's operators, built and wired: for each source, the pipelines that read it, each
// pipeline's operators, and the tables it writes (with schemas derived from the pipelines).
// Owns the operators; shares the immutable topology. Not thread-safe: one processor thread
// runs records through it.
//
// Steps are either row operators (Operator::Apply: one row in, at most one out) or stream
// operators (StreamOperator: Process per row, Flush per batch, any number of rows out, side
// outputs straight to a table). Rows a stream operator emits continue through the later steps
// of its pipeline, then to the pipeline's tables and downstream pipelines.
class Graph {
 public:
  // Builds every pipeline, checking column names and types, table schemas and keys, and that
  // the pipelines form a DAG. Problems go to `errors` (JSON pointers into the file); null then.
  static std::unique_ptr<Graph> Build(std::shared_ptr<const Topology> topology,
                                      BuildErrors* errors);

  const Topology& topology() const { return *topology_; }
  const std::vector<TableDef>& tables() const { return tables_; }

  // A stream output as its writers build it: the schema of the rows every writer gives it
  // (all agree) and the column of the records' partition key.
  struct StreamOutputDef {
    const Topology::StreamOutput* spec;  // into topology()
    Schema schema;
    int partition_key = -1;  // a column of `schema`
  };
  // In Topology::streams order.
  const std::vector<StreamOutputDef>& stream_outputs() const { return streams_; }

  // Binds every stateful operator to its state namespace ("pipeline/step") in `store`.
  void BindState(CommitStore* store);

  // Declares an input channel (a shard of a source) before the first record: the watermarks of
  // the stream operators that read its records (the first on each path from the source) wait
  // for it until it turns idle. Rows a stream operator emits at a batch's end reach the steps
  // after it on a channel of their own (source 0xffffffff, shard = pipeline index).
  void AddChannel(const Channel& channel);

  // Where rows go: `sink` indexes tables(), or from tables().size() on, stream_outputs() (stream
  // output sink - tables().size()). An InvalidArgument of the sink refuses that row only (it goes
  // to `fail`); another failure stops the batch.
  using Emit = std::function<Status(size_t sink, const Row& row)>;
  // Where failures go: the operator ("pipeline/step:op", or "table:name") and why.
  using Fail = std::function<Status(const std::string& op, const Status& why)>;

  // Runs one source record (a row of SourceSchema()) from ctx.channel.source through every
  // pipeline downstream of that source. A failing step sends the record to `fail` and stops that
  // pipeline only. Returns non-OK only when emit/fail themselves fail (the batch cannot be
  // committed).
  Status Process(const RecordContext& ctx, Row row, const Emit& emit, const Fail& fail);

  // The end of a micro-batch, before it commits: flushes every stream operator, upstream
  // pipelines first, so that the rows they emit (updated aggregates, closed windows) reach the
  // tables in this batch. A row that fails a later step or a table goes to `fail` with the row
  // in the message (no source record is at hand). Non-OK: the batch cannot be committed.
  Status Flush(const BatchContext& ctx, const Emit& emit, const Fail& fail);

  // The state held by the stream operators (for progress reports).
  StateStats state_stats() const;

  // Rows through each step since the graph was built, in pipeline and step order (for metrics):
  // a stream operator's rows_out counts what it emitted, from records and from flushes; a
  // record that fails a step counts in its `failed` and goes no further.
  struct OperatorCounts {
    std::string name;  // "pipeline/step:op", as dead letters name it
    uint64_t rows_in = 0;
    uint64_t rows_out = 0;
    uint64_t failed = 0;
  };
  std::vector<OperatorCounts> operator_counts() const;

  // After an aborted batch: the stream operators forget their caches and read their state
  // from the store again.
  void DiscardCaches();

  ~Graph();

 private:
  struct Step;
  struct Pipeline;
  struct Run;
  class StepOutput;
  class Builder;  // Build's passes
  // A pipeline reading a source or another pipeline, as its input number `input`.
  struct Edge {
    size_t pipeline;
    uint32_t input;
  };
  Graph() = default;
  Status Enter(const Edge& edge, Row row, const Run& run);
  Status RunFrom(size_t pipeline, size_t step, Row row, const Run& run);
  Status Deliver(size_t pipeline, Row row, const Run& run);
  // `sink` as Emit has it.
  Status WriteTable(size_t sink, const Row& row, const Run& run);
  Status Failed(const Run& run, const std::string& op, const Status& why, const Row& row);

  std::shared_ptr<const Topology> topology_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<size_t> order_;                        // pipelines, upstream first
  std::vector<std::vector<Edge>> source_pipelines_;  // by source index
  std::vector<TableDef> tables_;
  std::vector<StreamOutputDef> streams_;
};

}  // namespace pinstream
