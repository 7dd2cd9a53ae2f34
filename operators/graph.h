#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "operators/commit_store.h"
#include "operators/operator.h"
#include "operators/topology.h"

namespace pinstream {

// A topology's operators, built and wired: for each source, the pipelines that read it, each
// pipeline's operators, and the tables it writes (with schemas derived from the pipelines).
// Owns the operators; shares the immutable topology. Not thread-safe: one processor thread
// runs records through it.
class Graph {
 public:
  // Builds every pipeline, checking column names and types, table schemas and keys, and that
  // the pipelines form a DAG. Problems go to `errors` (JSON pointers into the file); null then.
  static std::unique_ptr<Graph> Build(std::shared_ptr<const Topology> topology,
                                      BuildErrors* errors);

  const Topology& topology() const { return *topology_; }
  const std::vector<TableDef>& tables() const { return tables_; }

  // Binds every stateful operator to its state namespace ("pipeline/step") in `store`.
  void BindState(CommitStore* store);

  // Where rows go: `table` indexes tables(). A failure of the sink refuses that row only.
  using Emit = std::function<Status(size_t table, const Row& row)>;
  // Where failures go: the operator ("pipeline/step:op", or "table:name") and why.
  using Fail = std::function<Status(const std::string& op, const Status& why)>;

  // Runs one source record (a row of SourceSchema()) through every pipeline downstream of
  // source `source`. A failing step sends the record to `fail` and stops that pipeline only.
  // Returns non-OK only when emit/fail themselves fail (the batch cannot be committed).
  Status Process(size_t source, Row row, const Emit& emit, const Fail& fail);

  ~Graph();

 private:
  struct Pipeline;
  Graph() = default;
  Status RunPipeline(size_t index, Row row, const Emit& emit, const Fail& fail);

  std::shared_ptr<const Topology> topology_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<std::vector<size_t>> source_pipelines_;  // by source index
  std::vector<TableDef> tables_;
};

}  // namespace pinstream
