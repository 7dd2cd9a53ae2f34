// `pinstream demo` (SPEC section 1): the whole pipeline in one process. A broker on a free
// loopback port, the posting emulation into the three streams, and the processor running the
// shipped topology at the same time, until it has committed every record the emulation put;
// then a report of the tables. The data directory stays for `pinstream table ...` to inspect.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "apps/cli_common.h"
#include "apps/commands.h"
#include "apps/demo_batch.h"
#include "apps/demo_emulation.h"
#include "apps/demo_monitor.h"
#include "common/api_key.h"
#include "common/json_dump.h"
#include "common/value.h"
#include "operators/graph.h"
#include "runtime/processor.h"
#include "runtime/source_factory.h"
#include "sinks/processor_store.h"
#include "stream/broker.h"
#include "stream/stream_store.h"

namespace pinstream::cli {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

constexpr char kTopologyFile[] = "topologies/pinterest.json";
// Business-question tables (SPEC section 6) are small keyed tables: the report prints them whole.
constexpr std::string_view kAnswerPrefix = "q_";
constexpr int64_t kMaxAnswerRows = 50;  // of each q_* table, in the JSON report
constexpr size_t kShownAnswerRows = 5;  // ... and in the summary on stderr

struct DemoFlags {
  std::string data;
  std::string topology;
  std::string prefix = "streaming-demo";
  int64_t posts = 3000;
  int64_t seed = 100;
  double rate = 0;
  uint32_t shards = 4;
  bool no_progress = false;
  bool batch = false;  // the batch half too: archive, batch job, one SQL question
  std::string api_key_file;
};

// ---------------------------------------------------------------------------------------------
// Observing the two workers from the main thread

// The processor's CommitStore: forwards everything to the ProcessorStore and publishes the
// offsets of each committed batch, so that the main thread can tell how far the processor has
// durably got without touching the processor's own state. Borrows the store. The CommitStore
// methods are called from the processor's thread; committed() from any thread.
class CommitWatcher final : public CommitStore {
 public:
  explicit CommitWatcher(CommitStore* store) : store_(store) {}

  Result<TableWriter*> OpenTable(const TableDef& def) override { return store_->OpenTable(def); }
  StateStore* State(std::string_view op_id) override { return store_->State(op_id); }
  Result<Checkpoint> LoadCheckpoint(std::string_view topology) override {
    return store_->LoadCheckpoint(topology);
  }
  Status WriteDeadLetter(const DeadLetter& letter) override {
    return store_->WriteDeadLetter(letter);
  }
  Status SetRetention(std::string_view topology, const RetentionPolicy& policy) override {
    return store_->SetRetention(topology, policy);
  }
  Result<int64_t> Commit(std::string_view topology, const Checkpoint& checkpoint) override {
    ASSIGN_OR_RETURN(int64_t batch_id, store_->Commit(topology, checkpoint));
    std::lock_guard lock(mu_);
    committed_ = checkpoint.offsets;
    return batch_id;
  }
  Status AwaitCommits() override { return store_->AwaitCommits(); }
  void Abort() override { store_->Abort(); }

  Offsets committed() const {
    std::lock_guard lock(mu_);
    return committed_;
  }

 private:
  CommitStore* store_;
  mutable std::mutex mu_;
  Offsets committed_;  // GUARDED_BY(mu_)
};

// The counter of the record an offset stands at; 0 for no offset (or a reset's position).
uint64_t CounterOf(const Offsets& offsets, const std::string& stream, const std::string& shard) {
  auto st = offsets.find(stream);
  if (st == offsets.end()) return 0;
  auto sh = st->second.find(shard);
  if (sh == st->second.end()) return 0;
  auto seq = SequenceNumber::Parse(sh->second);
  return seq.ok() ? seq->counter : 0;
}

// Where the processor stands, in records, against what the emulation put: per shard the
// counter reached. Counters are dense within a shard, so differences count records.
struct ShardGoal {
  std::string stream;
  std::string shard;
  uint64_t start = 0;  // the counter committed before the demo started
  uint64_t last = 0;   // the newest record's counter once the emulation finished
};

// The shards of every source of the topology, with where the processor starts in each.
Result<std::vector<ShardGoal>> ShardGoals(const Topology& topology, const StreamStore& streams,
                                          const Offsets& start) {
  std::vector<ShardGoal> goals;
  for (const auto& source : topology.sources) {
    auto desc = streams.DescribeStream(source.stream);
    if (!desc.ok()) return desc.status().WithContext("topology source '" + source.name + "'");
    for (const auto& shard : desc->shards) {
      ShardGoal g{source.stream, ShardIdFromIndex(shard.index), 0, shard.last_counter};
      g.start = CounterOf(start, g.stream, g.shard);
      goals.push_back(std::move(g));
    }
  }
  return goals;
}

// Records committed since the demo started.
int64_t RecordsCommitted(const std::vector<ShardGoal>& goals, const Offsets& committed) {
  int64_t n = 0;
  for (const auto& g : goals) {
    const uint64_t at = CounterOf(committed, g.stream, g.shard);
    if (at > g.start) n += static_cast<int64_t>(at - g.start);
  }
  return n;
}

int64_t RecordsToProcess(const std::vector<ShardGoal>& goals) {
  int64_t n = 0;
  for (const auto& g : goals) {
    if (g.last > g.start) n += static_cast<int64_t>(g.last - g.start);
  }
  return n;
}

bool CaughtUp(const std::vector<ShardGoal>& goals, const Offsets& committed) {
  for (const auto& g : goals) {
    if (g.last > g.start && CounterOf(committed, g.stream, g.shard) < g.last) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr

// On a terminal one line redrawn in place; otherwise a plain line every few seconds, so that
// a log stays short. Not thread-safe (the main thread draws).
class ProgressLine {
 public:
  ProgressLine(bool enabled, int64_t posts_total)
      : enabled_(enabled), terminal_(isatty(STDERR_FILENO) != 0), posts_total_(posts_total) {}

  // `records_total` is negative while unknown (the emulation still runs). The `last` update is
  // always shown, so that a log ends with the final counts.
  void Update(double seconds, int64_t posts, int64_t records_processed, int64_t records_total,
              bool last) {
    if (!enabled_) return;
    if (!terminal_ && !last && seconds - last_line_s_ < kLineIntervalS) return;
    last_line_s_ = seconds;
    std::string processed = std::to_string(records_processed);
    if (records_total >= 0) processed += "/" + std::to_string(records_total);
    char line[200];
    std::snprintf(line, sizeof(line), "demo: %5.1fs  posts sent %lld/%lld  records processed %s",
                  seconds, static_cast<long long>(posts), static_cast<long long>(posts_total_),
                  processed.c_str());
    if (terminal_) {
      std::fprintf(stderr, "\r\033[K%s", line);
      drawn_ = true;
    } else {
      std::fprintf(stderr, "%s\n", line);
    }
    std::fflush(stderr);
  }

  // Ends the redrawn line, so that what follows starts on its own.
  void Finish() {
    if (drawn_) std::fputs("\n", stderr);
    drawn_ = false;
  }

 private:
  static constexpr double kLineIntervalS = 2.0;
  bool enabled_;
  bool terminal_;
  int64_t posts_total_;
  double last_line_s_ = -kLineIntervalS;
  bool drawn_ = false;
};

// ---------------------------------------------------------------------------------------------
// Setup

Result<std::string> PrepareDataDir(const std::string& flag) {
  std::error_code ec;
  if (!flag.empty()) {
    fs::create_directories(flag, ec);
    if (ec) return Status::IOError("cannot create '" + flag + "': " + ec.message());
    return fs::absolute(flag, ec).lexically_normal().string();
  }
  std::string templ = (fs::temp_directory_path(ec) / "pinstream-demo-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IOError("cannot create a directory like '" + templ + "'");
  }
  return templ;
}

// --topology, else the shipped file relative to the current directory, else in the source tree
// the binary was built from, so that `build/pinstream demo` works from anywhere.
Result<std::string> FindTopology(const std::string& flag) {
  std::error_code ec;
  if (!flag.empty()) {
    if (!fs::exists(flag, ec)) return Status::ResourceNotFound("no topology file '" + flag + "'");
    return flag;
  }
  std::vector<fs::path> candidates = {kTopologyFile};
#ifdef PINSTREAM_SOURCE_DIR
  candidates.push_back(fs::path(PINSTREAM_SOURCE_DIR) / kTopologyFile);
#endif
  for (const auto& c : candidates) {
    if (fs::exists(c, ec)) return c.string();
  }
  return Status::ResourceNotFound(std::string("no ") + kTopologyFile +
                                  " here or in the source tree; pass --topology FILE");
}

// "build/pinstream" when that is this binary (the README's spelling), else its full path.
std::string SelfCommand() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "pinstream";
  if (fs::equivalent("build/pinstream", self, ec)) return "build/pinstream";
  return self.string();
}

// A path as a shell word.
std::string ShellQuote(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=") ==
      std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// ---------------------------------------------------------------------------------------------
// The report

struct TableReport {
  std::string name;
  int64_t rows = 0;
  std::vector<ojson> sample;  // a row of the sample post, or the first rows (answers: all)
};

// Counts the rows of `table` and keeps a sample: with `post` set and an `ind` column, the row
// of that post, so that the report follows one post through every table; else the first
// `sample_rows` rows.
Result<TableReport> ReadTable(const Table& table, int64_t sample_rows,
                              std::optional<int64_t> post) {
  const Schema& schema = table.spec().schema;
  const int ind = post ? schema.Find("ind") : -1;
  TableReport r{table.spec().name, 0, {}};
  RETURN_IF_ERROR(table.Scan(std::nullopt, [&](const Row& row) {
    ++r.rows;
    const bool wanted =
        ind >= 0 ? r.sample.empty() && row[ind].type() == Type::kInt && row[ind].as_int() == *post
                 : r.rows <= sample_rows;
    if (wanted) r.sample.push_back(RowToJson(schema, row));
    return Status::OK();
  }));
  return r;
}

bool IsAnswerTable(std::string_view name) { return name.starts_with(kAnswerPrefix); }

// Every table the topology declares, in its order, then the dead letters.
Result<std::vector<TableReport>> ReadTables(const ProcessorStore& store,
                                            const std::vector<std::string>& names) {
  std::vector<TableReport> out;
  std::optional<int64_t> post;  // the ind of the first row of the first table that has one
  auto add = [&](const std::string& name, int64_t sample_rows, bool follow_post) -> Status {
    const Table* t = store.tables()->Find(name);
    if (t == nullptr) {
      out.push_back({name, 0, {}});
      return Status::OK();
    }
    ASSIGN_OR_RETURN(TableReport r, ReadTable(*t, sample_rows, follow_post ? post : std::nullopt));
    if (follow_post && !post && !r.sample.empty()) {
      const ojson& ind = r.sample.front().value("ind", ojson());
      if (ind.is_number_integer()) post = ind.get<int64_t>();
    }
    out.push_back(std::move(r));
    return Status::OK();
  };
  for (const auto& name : names) {
    const bool answer = IsAnswerTable(name);
    RETURN_IF_ERROR(add(name, answer ? kMaxAnswerRows : 1, /*follow_post=*/!answer));
  }
  if (std::find(names.begin(), names.end(), kDeadLettersTable) == names.end()) {
    RETURN_IF_ERROR(add(kDeadLettersTable, 1, /*follow_post=*/false));
  }
  return out;
}

std::string Clip(std::string s, size_t width) {
  if (s.size() <= width) return s;
  s.resize(width - 3);
  return s + "...";
}

struct RunFacts {
  DemoPostsSummary emulation;
  Processor::Stats processor;
  double seconds = 0;
  std::string data, broker_data, processor_data, broker, topology;
  std::optional<DemoBatchResult> batch;
};

ojson ReportJson(const RunFacts& f, const std::vector<TableReport>& tables) {
  ojson rows = ojson::object();
  ojson answers = ojson::object();
  int64_t dead_letters = 0;
  for (const auto& t : tables) {
    rows[t.name] = t.rows;
    if (t.name == kDeadLettersTable) dead_letters = t.rows;
    if (IsAnswerTable(t.name)) answers[t.name] = t.sample;
  }
  ojson report = {{"posts", f.emulation.posts},
                  {"distinct_posts", f.emulation.distinct_posts},
                  {"records_sent", f.emulation.records},
                  {"records_failed", f.emulation.failed},
                  {"records_in", f.processor.records_in},
                  {"tables", std::move(rows)},
                  {"dead_letters", dead_letters},
                  {"answers", std::move(answers)},
                  {"seconds", static_cast<double>(std::llround(f.seconds * 1000)) / 1000},
                  {"data", f.data},
                  {"processor_data", f.processor_data},
                  {"broker_data", f.broker_data},
                  {"topology", f.topology},
                  {"broker", f.broker}};
  if (f.batch) report["batch"] = f.batch->ToJson();
  return report;
}

// The batch half's part of the summary.
void PrintBatchSummary(const DemoBatchResult& b, std::ostringstream& out) {
  const std::string self = SelfCommand();
  out << "\nbatch side: the streams archived as the S3 sink connector lays them out (" << b.objects
      << " objects, " << b.records_archived << " records) in " << b.archive
      << "; the batch job over each day:\n";
  for (const BatchRun& run : b.runs) out << "  " << run.ToJson() << "\n";
  if (!b.question.empty()) {
    out << "SQL over the batch job's tables: " << self << " sql \"$(cat queries/" << b.question
        << ".sql)\" --data " << ShellQuote(b.batch_data) << "\n";
    const size_t shown = std::min(b.answer.size(), kShownAnswerRows);
    for (size_t i = 0; i < shown; ++i) out << "    " << DumpJson(b.answer[i]) << "\n";
    out << "  " << b.answer.size() << " rows, "
        << (b.answer_equals_table ? "equal to" : "DIFFERENT FROM") << " the batch job's "
        << b.question << " table\n";
  }
}

void PrintSummary(const RunFacts& f, const std::vector<TableReport>& tables) {
  std::ostringstream out;
  out << "\npinstream demo: " << f.emulation.posts << " posts (" << f.emulation.distinct_posts
      << " distinct) sent as " << f.emulation.records << " records; the processor read "
      << f.processor.records_in << " records in " << f.processor.batches
      << (f.processor.batches == 1 ? " batch, " : " batches, ") << std::fixed
      << std::setprecision(1) << f.seconds << " s in all\n\n";
  int width = 14;
  for (const auto& t : tables) width = std::max(width, static_cast<int>(t.name.size()));
  out << "  " << std::left << std::setw(width) << "table" << std::right << "    rows\n";
  for (const auto& t : tables) {
    out << "  " << std::left << std::setw(width) << t.name << std::right << std::setw(8) << t.rows
        << "\n";
  }
  out << "\nsample rows (one post through every table):\n";
  for (const auto& t : tables) {
    if (IsAnswerTable(t.name) || t.sample.empty()) continue;
    out << "  " << t.name << ": " << Clip(DumpJson(t.sample.front()), 150) << "\n";
  }
  const std::string self = SelfCommand();
  const std::string data = ShellQuote(f.processor_data);
  bool any_answers = false;
  for (const auto& t : tables) {
    if (!IsAnswerTable(t.name)) continue;
    if (!any_answers)
      out << "\nbusiness questions (the JSON report has up to " << kMaxAnswerRows
          << " rows of each):\n";
    any_answers = true;
    out << "  " << t.name << " (" << t.rows << (t.rows == 1 ? " row" : " rows") << ")\n";
    const size_t shown = std::min(t.sample.size(), kShownAnswerRows);
    for (size_t i = 0; i < shown; ++i) out << "    " << DumpJson(t.sample[i]) << "\n";
    if (t.rows > static_cast<int64_t>(shown)) {
      out << "    ... " << t.rows - static_cast<int64_t>(shown) << " more: " << self
          << " table scan " << t.name << " --data " << data << "\n";
    }
  }
  if (!any_answers) out << "\nbusiness questions: the topology declares no q_* tables\n";
  if (f.batch) PrintBatchSummary(*f.batch, out);
  out << "\ndata: " << f.data << "  (tables, state and offsets in processor/, the streams in "
      << "broker/)\ninspect it:\n"
      << "  " << self << " table list --data " << data << "\n"
      << "  " << self << " table scan pin --data " << data << " | head\n"
      << "  " << self << " table history pin --data " << data << "\n"
      << "  " << self << " offsets show --data " << data << "\n"
      << "  " << self << " broker --data " << ShellQuote(f.broker_data)
      << " &   # then stream list, stream get ...\n";
  std::cerr << out.str();
  std::cerr.flush();
}

// ---------------------------------------------------------------------------------------------
// The demo

// Owns every piece of the run. Members are declared in the order they start, so that they stop
// in reverse: the workers' threads are joined before the processor, its store and the broker
// they use go away. Single-threaded apart from the two workers.
class Demo {
 public:
  explicit Demo(DemoFlags flags) : flags_(std::move(flags)) {}
  Status Run();

 private:
  Status Start();
  void StartWorkers();
  Status Watch(ProgressLine* progress);
  Status WaitUntilCaughtUp();
  Status RunBatch();
  Status Report();
  double SecondsSinceStart() const {
    return std::chrono::duration<double>(SteadyClock::now() - started_).count();
  }
  // Records in the pin stream: one per post the broker acknowledged.
  Result<uint64_t> PostsStored() const;

  DemoFlags flags_;
  std::string api_key_;  // of the demo's broker; every client of it uses it
  RunFacts facts_;
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
  std::unique_ptr<DemoMonitor> monitor_;  // with --rate
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
  ASSIGN_OR_RETURN(StreamDescription desc, streams_->DescribeStream(flags_.prefix + "-pin"));
  uint64_t n = 0;
  for (const auto& shard : desc.shards) n += shard.last_counter;
  return n;
}

Status Demo::Start() {
  ASSIGN_OR_RETURN(facts_.topology, FindTopology(flags_.topology));
  ASSIGN_OR_RETURN(facts_.data, PrepareDataDir(flags_.data));
  facts_.broker_data = facts_.data + "/broker";
  facts_.processor_data = facts_.data + "/processor";

  StreamStore::Options store_options;
  store_options.path = facts_.broker_data;
  ASSIGN_OR_RETURN(streams_, StreamStore::Open(store_options));
  ASSIGN_OR_RETURN(api_key_, LoadApiKey(flags_.api_key_file));
  Broker::Options broker_options;
  broker_options.listen = "tcp://127.0.0.1:*";
  broker_options.api_key = api_key_;
  broker_options.metrics = &requests_;
  ASSIGN_OR_RETURN(broker_, Broker::Start(streams_.get(), broker_options));
  facts_.broker = broker_->endpoint();

  // The topology names its broker and streams through these variables (SPEC section 6).
  setenv("PINSTREAM_BROKER", facts_.broker.c_str(), 1);
  setenv("PINSTREAM_PREFIX", flags_.prefix.c_str(), 1);
  ASSIGN_OR_RETURN(LoadedTopology loaded, LoadTopology(facts_.topology));
  topology_ = loaded.topology;
  std::unique_ptr<Graph> graph = std::move(loaded.graph);
  for (const auto& def : graph->tables()) table_names_.push_back(def.name);

  // The processor lists its sources' shards when it starts: the streams must exist by then.
  for (const char* kind : {"pin", "geo", "user"}) {
    Status s = streams_->CreateStream(flags_.prefix + "-" + kind, flags_.shards);
    if (!s.ok() && s.code() != Status::Code::kResourceInUse) return s;
  }
  ASSIGN_OR_RETURN(store_, ProcessorStore::Open(facts_.processor_data, /*read_only=*/false));
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

  std::cerr << "demo: broker on " << facts_.broker << ", topology " << facts_.topology
            << ", data in " << facts_.data << "\n";
  // A paced run lasts: long enough to watch it.
  if (flags_.rate > 0) {
    ASSIGN_OR_RETURN(monitor_, DemoMonitor::Start({.streams = streams_.get(),
                                                   .requests = &requests_,
                                                   .broker_data = facts_.broker_data,
                                                   .processor = &processor_monitor_,
                                                   .tables = store_->tables(),
                                                   .processor_data = facts_.processor_data,
                                                   .api_key = api_key_}));
    std::cerr << monitor_->WhereToLook();
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
    emulation_ = EmulateDemoPosts({.broker = facts_.broker,
                                   .prefix = flags_.prefix,
                                   .posts = flags_.posts,
                                   .seed = flags_.seed,
                                   .rate = flags_.rate,
                                   .shards = flags_.shards,
                                   .api_key = api_key_});
    emulation_done_.store(true, std::memory_order_release);
  });
}

// Polls the workers until the processor has committed every record the emulation put: once
// the emulation has finished, the streams' newest records are the goal.
Status Demo::Watch(ProgressLine* progress) {
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
    progress->Update(SecondsSinceStart(), static_cast<int64_t>(posts - pin_records_at_start_),
                     RecordsCommitted(shards, committed),
                     goals_known ? RecordsToProcess(shards) : -1, caught_up);
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
  ProgressLine progress(!flags_.no_progress, flags_.posts);
  Status status = Watch(&progress);
  progress.Finish();
  facts_.seconds = SecondsSinceStart();
  processor_thread_.request_stop();
  processor_thread_.join();
  emulator_thread_.join();
  if (status.ok() && !processor_status_.ok()) status = processor_status_.WithContext("processor");
  return status;
}

Status Demo::Report() {
  facts_.emulation = *emulation_;
  facts_.processor = processor_->stats();
  ASSIGN_OR_RETURN(std::vector<TableReport> tables, ReadTables(*store_, table_names_));
  // The JSON first: on a terminal the summary and the commands to inspect the data come last.
  std::cout << DumpJson(ReportJson(facts_, tables)) << std::endl;
  PrintSummary(facts_, tables);
  if (facts_.emulation.failed > 0) {
    return facts_.emulation.first_failure.WithContext(std::to_string(facts_.emulation.failed) +
                                                      " records were refused; the first");
  }
  return Status::OK();
}

Status Demo::RunBatch() {
  DemoBatchInput input;
  input.broker = facts_.broker;
  input.client.api_key = api_key_;
  input.topology = topology_;
  input.data = facts_.data;
  // The question files sit beside the topologies/ folder the topology was found in.
  const fs::path question =
      fs::path(facts_.topology).parent_path().parent_path() / "queries/q_category_by_year.sql";
  std::error_code ec;
  if (fs::exists(question, ec)) input.question_file = question.string();
  std::cerr << "demo: batch side: archiving the streams, running the batch job over each day\n";
  ASSIGN_OR_RETURN(facts_.batch, RunDemoBatch(input));
  if (!facts_.batch->question.empty() && !facts_.batch->answer_equals_table) {
    return Status::Internal("the SQL answer differs from the batch job's " +
                            facts_.batch->question + " table");
  }
  return Status::OK();
}

Status Demo::Run() {
  RETURN_IF_ERROR(Start());
  StartWorkers();
  RETURN_IF_ERROR(WaitUntilCaughtUp());
  if (flags_.batch) RETURN_IF_ERROR(RunBatch());
  return Report();
}

}  // namespace

void AddDemoCommand(CLI::App& app, Action* action) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand(
      "demo",
      "the embedded end-to-end demo: a broker, the posting emulation and the processor on "
      "topologies/pinterest.json, then a report of the tables");
  cmd->add_option("--data", flags->data,
                  "data directory, kept afterwards (default: a fresh /tmp/pinstream-demo-*)");
  cmd->add_option("--topology", flags->topology,
                  "topology file (default: topologies/pinterest.json here or in the source tree)");
  cmd->add_option("--posts", flags->posts, "posts to emulate (each is 3 records)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", flags->seed, "seed of the emulated posts")->capture_default_str();
  cmd->add_option("--rate", flags->rate, "records per second (default: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--prefix", flags->prefix, "stream name prefix (PINSTREAM_PREFIX)")
      ->capture_default_str();
  cmd->add_option("--shards", flags->shards, "shards per stream")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-progress", flags->no_progress, "show no progress on stderr");
  cmd->add_flag("--batch", flags->batch,
                "then the batch side: archive the streams by day, run the batch job over the "
                "archive, answer a question in SQL");
  AddApiKeyFileOption(cmd, &flags->api_key_file);
  cmd->callback([flags, action] { *action = [flags] { return Demo(*flags).Run(); }; });
}

}  // namespace pinstream::cli
