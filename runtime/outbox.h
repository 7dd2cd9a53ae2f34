#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "operators/graph.h"
#include "operators/outbox_store.h"
#include "runtime/stream_writer.h"

namespace pinstream {

// The records a topology's pipelines write to its stream outputs ("streams" in the topology),
// kept in the processor's store until they are sent: the transactional outbox.
//
// Each row becomes one record: its data the row as a JSON object, kRecordIdField first, then the
// columns in schema order (as `table scan` prints them); its partition key the text of the
// output's partition_key column (a string as it is, another value as JSON). The id:
//   - a row processed from a source record: "<topology>/<output>/<stream>/<shard id>/
//     <sequence number>/<n>", n counting the rows that record gave this output (0, 1, ...);
//   - a row a stream operator emits at a batch's end (an aggregate's update, a closed window):
//     "<topology>/<output>/batch/<batch id>/<n>".
// Only committed batches' records are sent; in the committed history a source record is
// processed once (but after an `offsets reset`) and a batch id used once, so an id never names
// two different records. An attempt that crashed before its commit may have emitted other rows
// under the same ids, but sent none of them.
//
// The guarantee (topologies/README.md, "Stream outputs"): the entries are staged into the same
// atomic write as the batch's rows, state and offsets (OutboxStore), so a record is in the
// outbox exactly when its batch committed: exactly once inside. After the commit is written, a
// sender thread puts them (PutRecords) and then deletes them; at start, what is left in the
// outbox is sent first. A crash between a put and its delete sends those records again: at
// least once outside, never lost, each copy with the same id and data. A source with
// "drop_repeated_ids" drops a record whose id it saw less than that window before (by arrival
// time), so a pipeline reading the stream sees each record once as long as a copy arrives within
// the window of the first: effectively once end to end.
//
// Order: the records of one partition key of one output arrive in the order the processor
// produced them. A PutRecords call holds at most one record per partition key, and a key's next
// record is put only once the one before succeeded, so a partial failure (one record throttled,
// a later one accepted) cannot reorder a key; records of different keys may interleave.
//
// Threads: Start, Stage*, Committed, Abort, Drain and error() are for the processor's thread;
// the sender is a thread of the outbox's own, which owns the writers from Start on. Borrows the
// graph and the store, which must outlive the outbox.
class Outbox {
 public:
  struct Options {
    std::string topology;
    // Which instance of several runs the topology ("instance-1", see runtime/shard_assignment.h);
    // empty for a lone one. Batch ids are each data directory's own, so batch-end rows' ids
    // name the instance too: `TOPOLOGY/OUTPUT/INSTANCE/batch/BATCH_ID/N`.
    std::string instance;
    // Consecutive failed attempts of one call (whole-call errors that may pass, or records
    // refused with throttling or an internal error), with backoff, before the sender gives up
    // (a sticky error that stops the processor; the records stay in the outbox).
    int max_attempts = 10;
    // A fault point for tests: when > 0, the process kills itself (SIGKILL) after this many
    // successful PutRecords calls, after the put and before the delete: a crash that leaves
    // sent records in the outbox. Read from $PINSTREAM_FAULT_OUTBOX_KILL_AFTER_PUTS when 0.
    int kill_after_puts = 0;
  };

  // `writers` are the graph's stream outputs', in order.
  Outbox(const Graph* graph, OutboxStore* store, std::vector<std::unique_ptr<StreamWriter>> writers,
         Options options);
  ~Outbox();  // stops the sender; what it has not sent stays in the store
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Reads the entries a previous run committed and did not delete, and starts the sender: it
  // creates missing streams, then sends those entries before any new one. Returns once the
  // streams exist (or with the error that kept one from being created), so that a source of the
  // same topology (or of another instance) that reads one back finds it.
  Status Start();

  // The rows staged next come from this source record (their ids name it).
  void StartRecord(const std::string& stream, const std::string& shard_id,
                   std::string sequence_number);
  // The rows staged next are a batch end's (stream operators' flushes).
  void StartFlush();
  // Stages `row` of stream output `output` into the current batch. InvalidArgument (the row is
  // refused, not staged) when its partition key or record is beyond Kinesis's limits.
  Status Stage(size_t output, const Row& row);
  bool has_staged() const { return !staged_.empty(); }

  // The current batch's commit is written: its records go to the sender.
  void Committed();
  // The current batch was dropped.
  void Abort();

  // Waits until every committed record is sent (or the sender failed): its error.
  Status Drain();
  // The sender's error, once it gave up: the processor stops.
  Status error();

  // Records sent (and acknowledged) per stream output, since the outbox was made.
  std::vector<uint64_t> sent() const;

 private:
  struct Entry {
    std::string key;  // in the store's outbox
    size_t output = 0;
    std::string partition_key;
    std::string data;
  };
  std::string KeyPrefix() const;
  void Send(std::stop_token stop);
  // Sends `pending` (one output's, in order) until empty, or stop, or failure.
  Status SendAll(std::stop_token stop, size_t output, std::deque<Entry>* pending);
  bool Wait(std::stop_token stop, int64_t ms);

  const Graph* graph_;
  OutboxStore* store_;
  std::vector<std::unique_ptr<StreamWriter>> writers_;
  Options options_;

  // The processor's thread.
  std::vector<Entry> staged_;
  int64_t batch_id_ = -1;            // of the batch staged; -1 until its first entry
  std::string record_id_;            // the id prefix of the rows staged next
  std::vector<uint32_t> row_index_;  // by output: rows staged since StartRecord/StartFlush
  bool flushing_ = false;
  std::string scratch_;

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Entry> queue_;     // GUARDED_BY(mu_): committed, not yet taken by the sender
  uint64_t unsent_ = 0;         // GUARDED_BY(mu_): committed entries not yet sent
  Status error_;                // GUARDED_BY(mu_): the sender's, sticky
  bool streams_ready_ = false;  // GUARDED_BY(mu_): the sender made sure every stream exists
  std::unique_ptr<std::atomic<uint64_t>[]> sent_;
  int puts_ = 0;  // the sender's: successful calls, for kill_after_puts
  std::jthread sender_;
};

// A record's data: `row` (of `schema`) as a JSON object after kRecordIdField: `id`.
std::string StreamRecordData(const Schema& schema, const Row& row, const std::string& id);

}  // namespace pinstream
