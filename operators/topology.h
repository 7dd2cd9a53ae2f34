#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "operators/operator.h"
#include "stream/stream_types.h"

namespace pinstream {

// A topology file, parsed: sources (streams on a broker and where to start reading), pipelines
// (named chains of operator steps, each reading a source or another pipeline, writing tables),
// and tables. The format is documented in topologies/README.md. Immutable once loaded.
struct Topology {
  // What the processor does when records it has not read are gone (the stream was deleted and
  // created again, a shard vanished, retention trimmed past its checkpoint): stop with a
  // DataLossException (Spark's failOnDataLoss=true), or go on from the earliest record still
  // there and record the gap in the `data_loss` table.
  enum class OnDataLoss { kFail, kContinue };

  // Where a source's stream is: "broker" (a pinstream broker over ZeroMQ, the default) or
  // "kinesis": {"endpoint": URL, "region": R} (any Kinesis endpoint over AWS's JSON protocol:
  // AWS itself, LocalStack, kinesalite, pinstream's HTTP gateway).
  enum class SourceKind { kBroker, kKinesis };
  struct KinesisEndpoint {
    std::string endpoint;  // "http(s)://HOST[:PORT]"; empty: AWS's for the region
    std::string region;    // empty: $AWS_REGION, the profile's, else us-east-1 (at run time)
  };

  struct Source {
    std::string name;
    std::string stream;
    SourceKind kind = SourceKind::kBroker;
    std::string broker;       // with kBroker
    KinesisEndpoint kinesis;  // with kKinesis
    IteratorPosition start;   // for shards without a checkpoint, and a stream's new incarnation
    OnDataLoss on_data_loss = OnDataLoss::kFail;
    // "drop_repeated_ids": "10m": records whose kRecordIdField repeats one that arrived less
    // than this before are dropped (0: none are). Parse desugars it into a pipeline of its own
    // (RepeatedIdsPipeline) that the source's readers read instead.
    int64_t drop_repeated_ids_ms = 0;
  };
  // A stream that pipelines write their rows to, as JSON records (runtime/outbox.h): on a
  // broker or a Kinesis endpoint, as a source names one. Created with `shards` when missing.
  struct StreamOutput {
    std::string name;
    std::string stream;
    SourceKind kind = SourceKind::kBroker;
    std::string broker;         // with kBroker
    KinesisEndpoint kinesis;    // with kKinesis
    std::string partition_key;  // the column whose value is each record's partition key
    int shards = 1;
    // Keep each key's records in order (a PutRecords call holds one record per key). False for
    // readers that do not care (order-free aggregates): full calls, far fewer of them.
    bool ordered = true;
  };
  struct Pipeline {
    std::string name;
    // Sources or other pipelines: one, or several for a pipeline that starts with a join.
    std::vector<std::string> from;
    nlohmann::ordered_json steps;
    std::vector<std::string> to;       // tables
    std::vector<std::string> streams;  // stream outputs ("to" names them as it names tables)
  };
  struct Table {
    std::string name;
    std::vector<std::string> key;  // empty: append
  };

  std::string file;
  std::string name;
  int64_t commit_interval_ms = 200;
  int64_t max_batch_records = 10000;
  // A batch also ends once its records' data reach this many bytes, so that large records
  // cannot make a batch (and the processor's memory) grow without bound.
  int64_t max_batch_bytes = int64_t{16} << 20;
  // Delta Lake's delta.logRetentionDuration: table versions older than this leave the history
  // (time travel to them is refused) and the rows only they needed are vacuumed.
  int64_t history_retention_ms = int64_t{7} * 24 * 3600 * 1000;
  // How far back `offsets reset --rewind-tables` can go: the undo logs and batch records of
  // older batches are dropped.
  int64_t rewind_retention_ms = int64_t{24} * 3600 * 1000;
  OnDataLoss on_data_loss = OnDataLoss::kFail;  // the default of every source
  std::vector<Source> sources;
  std::vector<Pipeline> pipelines;  // in file order
  std::map<std::string, Table> tables;
  std::vector<StreamOutput> streams;  // in file order

  // Reads `path` (JSON with // and /* */ comments), replaces ${VAR} and ${VAR:-default} in
  // strings from the environment, and checks the structure. Every problem found is added to
  // `errors` as a JSON pointer and a message. Returns null only when the file is not a JSON
  // object; otherwise what could be read, for Graph::Build to check further.
  static std::shared_ptr<const Topology> Load(const std::string& path, BuildErrors* errors);
  static std::shared_ptr<const Topology> Parse(const std::string& text, const std::string& file,
                                               BuildErrors* errors);
};

// The field of a stream output's records that holds the record's id (runtime/outbox.h), and
// that a source's "drop_repeated_ids" reads.
inline constexpr char kRecordIdField[] = "_pinstream_id";

// The name of the pipeline that drops a source's repeated ids: "<source>/drop_repeated_ids".
std::string RepeatedIdsPipeline(const std::string& source);

// The columns of the rows a source produces: the record's data, its partition key and its
// ApproximateArrivalTimestamp.
const Schema& SourceSchema();

// "file: /json/pointer: message" lines, as `pinstream validate` prints them.
std::string FormatErrors(const std::string& file, const BuildErrors& errors);

}  // namespace pinstream
