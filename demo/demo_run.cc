#include "demo/demo_run.h"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/api_key.h"
#include "demo/commit_watcher.h"
#include "demo/demo_monitor.h"
#include "demo/demo_paths.h"
#include "demo/shard_goals.h"
#include "operators/graph.h"
#include "runtime/processor_monitor.h"
#include "runtime/source_factory.h"
#include "sinks/processor_store.h"
#include "stream/broker.h"
#include "stream/request_metrics.h"
#include "stream/stream_store.h"

namespace pinstream {

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Owns every piece of the run. Members are declared in the order they start, so that they stop
// in reverse: the workers' threads are joined before the processor, its store and the broker
// they use go away. Single-threaded apart from the two workers. Borrows the listener, which
// must outlive it.
class Demo {
 public:
  Demo(DemoOptions options, const DemoListener* listener)
      : options_(std::move(options)), listener_(listener) {}
  Result<DemoReport> Run();

 private:
  Status Start();
  Status LoadTopology(std::unique_ptr<Graph>* graph);
  void StartWorkers();
  Status Watch();
  Status WaitUntilCaughtUp();
  Status RunBatch();
  Result<DemoReport> Report();
  double SecondsSinceStart() const {
    return std::chrono::duration<double>(SteadyClock::now() - started_).count();
  }
  // Records in the pin stream: one per post the broker acknowledged.
  Result<uint64_t> PostsStored() const;
  void Note(const std::string& text) const {
    if (listener_->note) listener_->note(text);
  }

  DemoOptions options_;
  const DemoListener* listener_;
  std::string api_key_;  // of the demo's broker; every client of it uses it
  DemoReport report_;    // the facts, filled in as the run learns them
  std::unique_ptr<StreamStore> streams_;
  RequestMetrics requests_;  // the broker's; outlives it
  std::unique_ptr<Broker> broker_;
  std::shared_ptr<const Topology> topology_;
  std::vector<std::string> table_names_;
  std::unique_ptr<ProcessorStore> store_;
  std::unique_ptr<CommitWatcher> watcher_;
  zmq::context_t processor_ctx_{1};     // the processor's connections; outlives it
  ProcessorMonitor processor_monitor_;  // where the processor publishes; outlives it
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<DemoMonitor> monitor_;  // with a rate
  uint64_t pin_records_at_start_ = 0;
  Offsets start_offsets_;
  SteadyClock::time_point started_;

  // Each worker's outcome, published by its `done` flag (release/acquire).
  Status processor_status_;
  std::atomic<bool> processor_done_{false};
  Result<DemoPostsSummary> emulation_ = Status::Internal("the emulation did not run");
  std::atomic<bool> emulation_done_{false};
  std::jthread processor_thread_;  // stop requested and joined on destruction
  std::jthread emulator_thread_;
};

Result<uint64_t> Demo::PostsStored() const {
  ASSIGN_OR_RETURN(StreamDescription desc, streams_->DescribeStream(options_.prefix + "-pin"));
  uint64_t n = 0;
  for (const auto& shard : desc.shards) n += shard.last_counter;
  return n;
}

// The topology and its operator graph; every problem goes to the user as
// `file: /json/pointer: message`, as `pinstream validate` shows them.
Status Demo::LoadTopology(std::unique_ptr<Graph>* graph) {
  const std::string& path = report_.topology;
  BuildErrors errors;
  topology_ = Topology::Load(path, &errors);
  if (topology_) *graph = Graph::Build(topology_, &errors);
  if (!errors.empty()) {
    Note(FormatErrors(path, errors));
    return Status::InvalidArgument(path + ": " + std::to_string(errors.errors().size()) +
                                   " problem(s)");
  }
  return Status::OK();
}

Status Demo::Start() {
  ASSIGN_OR_RETURN(report_.topology, FindDemoTopology(options_.topology, options_.source_dir));
  ASSIGN_OR_RETURN(report_.data, PrepareDemoDataDir(options_.data));
  report_.broker_data = report_.data + "/broker";
  report_.processor_data = report_.data + "/processor";

  StreamStore::Options store_options;
  store_options.path = report_.broker_data;
  ASSIGN_OR_RETURN(streams_, StreamStore::Open(store_options));
  ASSIGN_OR_RETURN(api_key_, LoadApiKey(options_.api_key_file));
  Broker::Options broker_options;
  broker_options.listen = "tcp://127.0.0.1:*";
  broker_options.api_key = api_key_;
  broker_options.metrics = &requests_;
  ASSIGN_OR_RETURN(broker_, Broker::Start(streams_.get(), broker_options));
  report_.broker = broker_->endpoint();

  // The topology names its broker and streams through these variables (SPEC section 6).
  setenv("PINSTREAM_BROKER", report_.broker.c_str(), 1);
  setenv("PINSTREAM_PREFIX", options_.prefix.c_str(), 1);
  std::unique_ptr<Graph> graph;
  RETURN_IF_ERROR(LoadTopology(&graph));
  for (const auto& def : graph->tables()) table_names_.push_back(def.name);

  // The processor lists its sources' shards when it starts: the streams must exist by then.
  for (const char* kind : {"pin", "geo", "user"}) {
    Status s = streams_->CreateStream(options_.prefix + "-" + kind, options_.shards);
    if (!s.ok() && s.code() != Status::Code::kResourceInUse) return s;
  }
  ASSIGN_OR_RETURN(store_, ProcessorStore::Open(report_.processor_data, /*read_only=*/false));
  ASSIGN_OR_RETURN(Checkpoint checkpoint, store_->LoadCheckpoint(topology_->name));
  start_offsets_ = std::move(checkpoint.offsets);
  watcher_ = std::make_unique<CommitWatcher>(store_.get());
  StreamClient::Options client;
  client.api_key = api_key_;
  ASSIGN_OR_RETURN(auto sources, MakeSources(graph->topology(), &processor_ctx_, client));
  Processor::Options processor_options;
  processor_options.monitor = &processor_monitor_;
  processor_ = std::make_unique<Processor>(std::move(graph), std::move(sources), watcher_.get(),
                                           processor_options);
  ASSIGN_OR_RETURN(pin_records_at_start_, PostsStored());

  Note("demo: broker on " + report_.broker + ", topology " + report_.topology + ", data in " +
       report_.data + "\n");
  // A paced run lasts: long enough to watch it.
  if (options_.rate > 0) {
    ASSIGN_OR_RETURN(monitor_, DemoMonitor::Start({.streams = streams_.get(),
                                                   .requests = &requests_,
                                                   .broker_data = report_.broker_data,
                                                   .processor = &processor_monitor_,
                                                   .tables = store_->tables(),
                                                   .processor_data = report_.processor_data,
                                                   .api_key = api_key_}));
    Note(monitor_->WhereToLook());
  }
  return Status::OK();
}

void Demo::StartWorkers() {
  started_ = SteadyClock::now();
  processor_thread_ = std::jthread([this](std::stop_token stop) {
    processor_status_ = processor_->Run(stop);
    processor_done_.store(true, std::memory_order_release);
  });
  emulator_thread_ = std::jthread([this] {
    emulation_ = EmulateDemoPosts({.broker = report_.broker,
                                   .prefix = options_.prefix,
                                   .posts = options_.posts,
                                   .seed = options_.seed,
                                   .rate = options_.rate,
                                   .shards = options_.shards,
                                   .api_key = api_key_});
    emulation_done_.store(true, std::memory_order_release);
  });
}

// Polls the workers until the processor has committed every record the emulation put: once
// the emulation has finished, the streams' newest records are the goal.
Status Demo::Watch() {
  // The shards and where the processor started in each; their goals once the emulation is done.
  ASSIGN_OR_RETURN(std::vector<ShardGoal> shards,
                   ShardGoals(*topology_, *streams_, start_offsets_));
  bool goals_known = false;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!goals_known && emulation_done_.load(std::memory_order_acquire)) {
      if (!emulation_.ok()) return emulation_.status().WithContext("emulation");
      ASSIGN_OR_RETURN(shards, ShardGoals(*topology_, *streams_, start_offsets_));
      goals_known = true;
    }
    const Offsets committed = watcher_->committed();
    const bool caught_up = goals_known && CaughtUp(shards, committed);
    ASSIGN_OR_RETURN(uint64_t posts, PostsStored());
    if (listener_->progress) {
      listener_->progress({.seconds = SecondsSinceStart(),
                           .posts_sent = static_cast<int64_t>(posts - pin_records_at_start_),
                           .records_processed = RecordsCommitted(shards, committed),
                           .records_total = goals_known ? RecordsToProcess(shards) : -1,
                           .caught_up = caught_up});
    }
    // Without a stop request the processor returns only on an error.
    if (processor_done_.load(std::memory_order_acquire)) {
      return processor_status_.ok() ? Status::Internal("the processor stopped unasked")
                                    : processor_status_.WithContext("processor");
    }
    if (caught_up) return Status::OK();
  }
}

// Stops both workers whatever happened: the processor commits what it has and returns, the
// emulation (which cannot be interrupted) finishes.
Status Demo::WaitUntilCaughtUp() {
  Status status = Watch();
  if (listener_->progress_done) listener_->progress_done();
  report_.seconds = SecondsSinceStart();
  processor_thread_.request_stop();
  processor_thread_.join();
  emulator_thread_.join();
  if (status.ok() && !processor_status_.ok()) status = processor_status_.WithContext("processor");
  return status;
}

Status Demo::RunBatch() {
  DemoBatchInput input;
  input.broker = report_.broker;
  input.client.api_key = api_key_;
  input.topology = topology_;
  input.data = report_.data;
  // The question files sit beside the topologies/ folder the topology was found in.
  const fs::path question =
      fs::path(report_.topology).parent_path().parent_path() / "queries/q_category_by_year.sql";
  std::error_code ec;
  if (fs::exists(question, ec)) input.question_file = question.string();
  Note("demo: batch side: archiving the streams, running the batch job over each day\n");
  ASSIGN_OR_RETURN(report_.batch, RunDemoBatch(input));
  if (!report_.batch->question.empty() && !report_.batch->answer_equals_table) {
    return Status::Internal("the SQL answer differs from the batch job's " +
                            report_.batch->question + " table");
  }
  return Status::OK();
}

Result<DemoReport> Demo::Report() {
  report_.emulation = *emulation_;
  report_.processor = processor_->stats();
  ASSIGN_OR_RETURN(report_.tables, ReadTables(*store_, table_names_));
  return std::move(report_);
}

Result<DemoReport> Demo::Run() {
  RETURN_IF_ERROR(Start());
  StartWorkers();
  RETURN_IF_ERROR(WaitUntilCaughtUp());
  if (options_.batch) RETURN_IF_ERROR(RunBatch());
  return Report();
}

}  // namespace

Result<DemoReport> RunDemo(const DemoOptions& options, const DemoListener& listener) {
  return Demo(options, &listener).Run();
}

}  // namespace pinstream
