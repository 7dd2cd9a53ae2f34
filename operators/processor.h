#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "common/result.h"
#include "operators/commit_store.h"
#include "operators/graph.h"
#include "stream/stream_client.h"

namespace pinstream {

// The long-running processor: reads every shard of every source of a topology, runs each
// record through the operator graph, and commits micro-batches (rows, dead letters, operator
// state and offsets in one atomic write) every commit_interval_ms or max_batch_records.
// Restarted after a crash, it resumes after the last committed offsets, so every record lands
// in every table exactly once.
//
// Borrows the store and the ZeroMQ context its broker connections use (as RocksDB borrows its
// Env), which must outlive the processor. Run() is called from one thread.
class Processor {
 public:
  struct Options {
    bool once = false;  // stop when every shard is caught up (Spark's availableNow)
    int64_t progress_interval_ms = 5000;
    StreamClient::Options client;  // of every broker connection (the API key, the timeout)
  };

  struct Stats {
    uint64_t records_in = 0;
    uint64_t rows_out = 0;
    uint64_t dead_letters = 0;
    uint64_t batches = 0;
    int64_t millis_behind = 0;  // the largest lag of any shard at the last read
  };

  Processor(std::unique_ptr<Graph> graph, CommitStore* store, zmq::context_t* ctx,
            const Options& options);
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
  Status WriteRow(size_t table, const Row& row);
  Status FlushGraph();
  Status CommitBatch();
  void LogProgress(bool final);
  std::string StreamLag() const;

  std::unique_ptr<Graph> graph_;
  CommitStore* store_;
  zmq::context_t* ctx_;
  Options options_;
  Checkpoint checkpoint_;
  std::vector<TableWriter*> writers_;
  std::vector<std::unique_ptr<Input>> inputs_;
  size_t next_input_ = 0;  // where the next read round starts
  Stats stats_;
  uint64_t batch_records_ = 0;
  uint64_t batch_dead_letters_ = 0;
  int64_t started_ms_ = 0;
  int64_t last_progress_ms_ = 0;
  Stats last_progress_stats_;
};

}  // namespace pinstream
