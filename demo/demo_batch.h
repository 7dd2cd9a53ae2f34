#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "batch/batch_history.h"
#include "common/result.h"
#include "operators/topology.h"
#include "stream/stream_client.h"

namespace pinstream {

// The demo's batch half (`pinstream demo --batch`): what the original's S3 sink connector, daily
// Spark job and Spark SQL did, run on the demo's streams once the streaming half is done.
struct DemoBatchInput {
  std::string broker;  // the demo's broker endpoint
  StreamClient::Options client;
  std::shared_ptr<const Topology> topology;
  std::string data;           // the demo's data directory: archive/ and batch/ go under it
  std::string question_file;  // queries/<q table>.sql, answered over the batch's tables
};

struct DemoBatchResult {
  std::string archive, batch_data;
  int64_t objects = 0;
  int64_t records_archived = 0;
  std::vector<BatchRun> runs;  // one per archived day
  std::string question;        // the q table the SQL answers
  std::vector<nlohmann::json> answer;
  bool answer_equals_table = false;  // the SQL's rows are the q table's, as a multiset
  double seconds = 0;

  nlohmann::ordered_json ToJson() const;
};

// Archives the topology's source streams by day (`archive --partition-by-day --once`), runs the
// batch job over every archived day (`batch --from --to`), then the SQL question over its tables.
Result<DemoBatchResult> RunDemoBatch(const DemoBatchInput& input);

}  // namespace pinstream
