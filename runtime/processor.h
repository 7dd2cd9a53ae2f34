#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "operators/commit_store.h"
#include "operators/graph.h"
#include "operators/outbox_store.h"
#include "runtime/processor_monitor.h"
#include "runtime/source.h"
#include "runtime/stream_writer.h"

namespace pinstream {

class Outbox;

// The long-running processor: reads every shard of every source of a topology, runs each
// record through the operator graph, and commits micro-batches (rows, dead letters, operator
// state and offsets in one atomic write) every commit_interval_ms or max_batch_records.
// Restarted after a crash, it resumes after the last committed offsets, so every record lands
// in every table exactly once.
//
// Records it has not read and can no longer read (a stream created again, a shard gone,
// records trimmed before they were read) stop it with a DataLossException, or, for a source
// whose topology says "on_data_loss": "continue", are recorded in the `data_loss` table (one
// row per gap, committed with the batch) while it goes on from the earliest record available.
//
// Rows for the topology's stream outputs go through an outbox (runtime/outbox.h): staged with
// the batch, sent after its commit is written, at least once, each record with a deterministic
// id.
//
// Borrows the store and the clock (as RocksDB borrows its Env), which must outlive the
// processor. Run() is called from one thread.
class Processor {
 public:
  struct Stats;
  struct Options {
    bool once = false;  // stop when every shard is caught up (Spark's availableNow)
    // With `once`: everything read goes into one commit, one version of every table (a batch
    // job's run), whatever the topology's commit interval and batch limits.
    bool single_batch = false;
    CommitInfo commit_info;  // how the commits name themselves in the tables' history
    // Called before each commit, after the batch's last rows: what it writes to the store (a
    // run's history row) joins the commit.
    std::function<Status(const Stats&)> before_commit;
    int64_t progress_interval_ms = 5000;
    // Every this often, also asks the sources for shards that became readable while none of
    // this instance's shards ended (another instance's shard closed; its child is read here,
    // runtime/shard_assignment.h). 0: only when a shard ends.
    int64_t discover_shards_ms = 0;
    Clock* clock = Clock::Real();
    // Borrowed; where the processor publishes its status after every batch. Null: nowhere.
    ProcessorMonitor* monitor = nullptr;
  };

  struct Stats {
    uint64_t records_in = 0;
    uint64_t rows_out = 0;
    uint64_t dead_letters = 0;
    uint64_t data_loss_gaps = 0;
    uint64_t batches = 0;
    int64_t millis_behind = 0;  // the largest lag of any shard at the last read
  };

  // Where the records of the topology's stream outputs go: one writer per output (in
  // Graph::stream_outputs() order) and the outbox's store (borrowed; a ProcessorStore is the
  // CommitStore's own). Needed when the topology has stream outputs.
  struct StreamOutputs {
    std::vector<std::unique_ptr<StreamWriter>> writers;
    OutboxStore* store = nullptr;
    std::string instance;  // Outbox::Options::instance: empty for a lone instance
  };

  // `sources` are the topology's, in its order (Topology::sources).
  Processor(std::unique_ptr<Graph> graph, std::vector<std::unique_ptr<Source>> sources,
            CommitStore* store, const Options& options, StreamOutputs outputs);
  Processor(std::unique_ptr<Graph> graph, std::vector<std::unique_ptr<Source>> sources,
            CommitStore* store, const Options& options)
      : Processor(std::move(graph), std::move(sources), store, options, StreamOutputs{}) {}
  ~Processor();

  // Runs until `stop` is requested (then finishes and commits the current batch) or, with
  // `once`, until caught up. Returns the first error that stops processing.
  Status Run(std::stop_token stop);

  const Stats& stats() const { return stats_; }
  // The size of the stream operators' state (aggregates, windows, joins).
  StateStats state_stats() const;

 private:
  struct Input;
  Status Open();
  Status ReadInto(Input& input, bool* got_records);
  // Reads `shards` of `source` from now on, and shares a batch's records among every input.
  void AddInputs(size_t source, std::vector<std::unique_ptr<ShardInput>> shards);
  Status ReplaceEndedShards(bool every_source);
  // Fails with a DataLossException, or records the gap, as `source`'s policy says.
  Status OnDataLoss(size_t source, const DataGap& gap);
  Status WriteRow(size_t table, const Row& row);
  Status FlushGraph();
  Status CommitBatch();
  void LogProgress(bool final);
  void PublishStatus();
  std::string StreamLag() const;

  std::unique_ptr<Graph> graph_;
  std::vector<std::unique_ptr<Source>> sources_;
  StreamOutputs outputs_;           // until Open gives them to the outbox
  std::unique_ptr<Outbox> outbox_;  // when the topology has stream outputs
  CommitStore* store_;
  Options options_;
  Checkpoint checkpoint_;
  std::vector<TableWriter*> writers_;
  TableWriter* data_loss_ = nullptr;  // when a source may go on past data loss
  std::vector<std::unique_ptr<Input>> inputs_;
  size_t next_input_ = 0;  // where the next read round starts
  Stats stats_;
  uint64_t batch_records_ = 0;
  uint64_t batch_bytes_ = 0;  // of the records' data
  uint64_t batch_dead_letters_ = 0;
  uint64_t batch_gaps_ = 0;
  uint64_t batch_shard_ends_ = 0;
  int64_t started_ms_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
  struct LastBatch {
    uint64_t records = 0;
    double seconds = 0;
    double commit_seconds = 0;
  };
  LastBatch last_batch_;
  int64_t last_progress_ms_ = 0;
  Stats last_progress_stats_;
};

}  // namespace pinstream
