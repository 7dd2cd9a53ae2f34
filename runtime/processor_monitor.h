#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "operators/graph.h"
#include "operators/stream_operator.h"

namespace pinstream {

// What a running processor shows of itself, as of its last batch.
struct ProcessorStatus {
  std::string topology;
  int64_t started_ms = 0;
  int64_t updated_ms = 0;  // when this was published
  uint64_t records_in = 0;
  uint64_t rows_out = 0;
  uint64_t dead_letters = 0;
  uint64_t data_loss_gaps = 0;
  uint64_t batches = 0;
  struct Shard {
    std::string stream;
    std::string shard_id;
    int64_t millis_behind = 0;  // MillisBehindLatest at the shard's last read
  };
  std::vector<Shard> shards;  // the shards read now
  std::vector<Graph::OperatorCounts> operators;
  StateStats state;
  // The last batch committed: its records and how long it took, from its first read to its
  // commit, and of that the commit itself (the graph's flush and the store's write).
  uint64_t last_batch_records = 0;
  double last_batch_seconds = 0;
  double last_commit_seconds = 0;
};

// Where a processor publishes its status for monitoring (Prometheus metrics, the status page,
// `pinstream top`). The processor's thread publishes after every batch, and observes each
// committed batch; any thread reads. Publishing copies a few hundred bytes under a mutex, so
// the record path pays nothing.
class ProcessorMonitor {
 public:
  ProcessorMonitor();

  ProcessorMonitor(const ProcessorMonitor&) = delete;
  ProcessorMonitor& operator=(const ProcessorMonitor&) = delete;

  void Publish(ProcessorStatus status);
  // A committed batch: its records, its whole time and its commit's.
  void ObserveBatch(uint64_t records, double batch_seconds, double commit_seconds);

  ProcessorStatus status() const;
  Histogram::Snapshot batch_records() const { return batch_records_.Read(); }
  Histogram::Snapshot batch_seconds() const { return batch_seconds_.Read(); }
  Histogram::Snapshot commit_seconds() const { return commit_seconds_.Read(); }

 private:
  mutable std::mutex mu_;
  ProcessorStatus status_;  // GUARDED_BY(mu_)
  Histogram batch_records_;
  Histogram batch_seconds_;
  Histogram commit_seconds_;
};

}  // namespace pinstream
