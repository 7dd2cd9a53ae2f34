#include "operators/graph.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/json_dump.h"

namespace pinstream {

namespace {

// The channel of rows that a stream operator emits at a batch's end: they come from no shard.
constexpr uint32_t kFlushSource = 0xffffffff;

std::string RowText(const Row& row) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : row) a.push_back(v.ToJson());
  return DumpJson(a);
}

// The positions of `table`'s key columns in `schema`, the rows a writer gives it, when that
// writer's rows must have their key: an upsert table's row with a null key could not be told
// from another such row, and would silently replace it ("keys are never null"). Rows that
// update earlier rows (an aggregate's, a window's in update mode) are the exception: a null
// key there is SQL's null group (GROUP BY), one group whose rows do replace each other.
std::vector<int> CheckedKeyColumns(const TableDef& table, const Schema& schema, bool updates) {
  std::vector<int> key;
  if (updates) return key;
  for (const auto& name : table.key_columns) {
    if (const int c = schema.Find(name); c >= 0) key.push_back(c);
  }
  return key;
}

Status CheckKey(const TableDef& table, const std::vector<int>& key, const Row& row) {
  for (int c : key) {
    if (static_cast<size_t>(c) < row.size() && row[c].is_null()) [[unlikely]] {
      return Status::InvalidArgument("table '" + table.name + "': key column '" +
                                     table.schema.column(c).name + "' is null");
    }
  }
  return Status::OK();
}

}  // namespace

struct Graph::Step {
  std::unique_ptr<Operator> op;
  StreamOperator* stream = nullptr;  // op, when it is a stream operator
  std::string name;                  // "pipeline/step:op" for dead letters
  uint64_t rows_in = 0;              // OperatorCounts
  uint64_t rows_out = 0;
  uint64_t failed = 0;
  std::vector<SideOutput> sides;
  std::vector<size_t> side_tables;                 // indexes into tables_, by side output
  std::vector<std::vector<int>> side_key_columns;  // by side output: CheckedKeyColumns
};

struct Graph::Pipeline {
  std::string name;
  std::vector<Step> steps;
  Schema output;
  std::vector<size_t> tables;                       // indexes into tables_
  std::vector<size_t> streams;                      // indexes into streams_
  std::vector<std::vector<int>> table_key_columns;  // by table: CheckedKeyColumns
  std::vector<Edge> downstream;                     // pipelines reading this one
  bool emits_updates = false;  // its rows update earlier rows (tables must upsert)
  std::string updates_from;    // the step that makes them updates, for the error message
};

// What one run through the graph reports to.
struct Graph::Run {
  const RecordContext* ctx;
  const Emit* emit;
  const Fail* fail;
  bool flushing;  // rows from a Flush: failures carry the row
};

// Continues a stream operator's rows through the rest of its pipeline.
class Graph::StepOutput final : public Output {
 public:
  StepOutput(Graph* graph, size_t pipeline, size_t step, const Run& run)
      : graph_(graph), pipeline_(pipeline), step_(step), run_(run) {}

  Status Emit(Row row) override {
    ++graph_->pipelines_[pipeline_]->steps[step_].rows_out;
    Status s = graph_->RunFrom(pipeline_, step_ + 1, std::move(row), run_);
    if (!s.ok()) fatal_ = s;
    return s;
  }

  Status EmitSide(size_t side, Row row) override {
    const Step& step = graph_->pipelines_[pipeline_]->steps[step_];
    if (side >= step.side_tables.size()) return Status::Internal("no such side output");
    const size_t table = step.side_tables[side];
    Status s = CheckKey(graph_->tables_[table], step.side_key_columns[side], row);
    s = s.ok() ? graph_->WriteTable(table, row, run_)
               : graph_->Failed(run_, "table:" + graph_->tables_[table].name, s, row);
    if (!s.ok()) fatal_ = s;
    return s;
  }

  // The first error of an emit: the batch cannot commit.
  const Status& fatal() const { return fatal_; }

 private:
  Graph* graph_;
  size_t pipeline_;
  size_t step_;
  const Run& run_;
  Status fatal_;
};

Graph::~Graph() = default;

// Builds a graph from its topology in passes: pipelines (upstream first), then the tables and
// stream outputs they write, then the tables nobody writes. Lives for one Graph::Build call;
// borrows the graph being built and the errors, which outlive it.
class Graph::Builder {
 public:
  Builder(Graph* graph, BuildErrors* errors)
      : g_(graph), t_(*graph->topology_), errors_(errors), state_(t_.pipelines.size()) {}

  void IndexNames();
  void BuildPipelines();
  void DeclareTables();
  void BuildStreamOutputs();
  void CheckTablesWritten();

 private:
  enum class State { kNew, kBuilding, kBuilt, kFailed };
  // Whether a pipeline's rows update earlier rows, and the step (or parent) that makes them so.
  struct Lineage {
    bool updates = false;
    std::string from;
  };

  bool BuildPipeline(size_t i);
  bool ResolveInputs(size_t i, std::vector<NamedInput>* inputs, Lineage* lineage);
  bool BuildSteps(const Topology::Pipeline& spec, const std::vector<NamedInput>& inputs,
                  Lineage lineage, Pipeline* pipe);
  bool AddStep(const Topology::Pipeline& spec, size_t k, const std::vector<NamedInput>& inputs,
               Schema* input, Lineage* lineage, Pipeline* pipe);
  size_t DeclareTable(const std::string& name, const Schema& schema, const std::string& pointer,
                      const std::string& writer);
  void DeclarePipelineTables(size_t i);
  void DeclareSideTables(size_t i);

  Graph* g_;
  const Topology& t_;
  BuildErrors* errors_;
  std::vector<State> state_;  // by pipeline
  std::map<std::string, size_t> source_index_, pipeline_index_, table_index_;
};

std::unique_ptr<Graph> Graph::Build(std::shared_ptr<const Topology> topology, BuildErrors* errors) {
  std::unique_ptr<Graph> g(new Graph());
  g->topology_ = std::move(topology);
  Builder builder(g.get(), errors);
  builder.IndexNames();
  builder.BuildPipelines();
  builder.DeclareTables();
  builder.BuildStreamOutputs();
  builder.CheckTablesWritten();
  if (!errors->empty()) return nullptr;
  return g;
}

// Sources and pipelines share one namespace: "from" names either.
void Graph::Builder::IndexNames() {
  for (size_t i = 0; i < t_.sources.size(); ++i) source_index_[t_.sources[i].name] = i;
  for (size_t i = 0; i < t_.pipelines.size(); ++i) {
    const std::string& name = t_.pipelines[i].name;
    if (source_index_.contains(name)) {
      errors_->Add("/pipelines/" + name, "'" + name + "' is already the name of a source");
    }
    pipeline_index_[name] = i;
  }
  g_->source_pipelines_.resize(t_.sources.size());
  g_->pipelines_.resize(t_.pipelines.size());
}

void Graph::Builder::BuildPipelines() {
  for (size_t i = 0; i < t_.pipelines.size(); ++i) BuildPipeline(i);
}

// Builds pipeline i after the pipelines it reads, since its input schema is their output.
// False when it, or one it reads, could not be built (or they form a cycle).
bool Graph::Builder::BuildPipeline(size_t i) {
  const Topology::Pipeline& spec = t_.pipelines[i];
  if (state_[i] == State::kBuilding) {
    errors_->Add("/pipelines/" + spec.name + "/from",
                 "pipelines form a cycle through '" + spec.name + "'");
    state_[i] = State::kFailed;
    return false;
  }
  if (state_[i] != State::kNew) return state_[i] == State::kBuilt;
  state_[i] = State::kBuilding;
  std::vector<NamedInput> inputs;
  Lineage lineage;
  if (!ResolveInputs(i, &inputs, &lineage)) {
    state_[i] = State::kFailed;
    return false;
  }
  auto pipe = std::make_unique<Pipeline>();
  pipe->name = spec.name;
  const bool ok = BuildSteps(spec, inputs, std::move(lineage), pipe.get());
  g_->pipelines_[i] = std::move(pipe);
  state_[i] = ok ? State::kBuilt : State::kFailed;
  if (ok) g_->order_.push_back(i);
  return ok;
}

// The schemas of pipeline i's inputs in "from" order, each wired to feed it. Its rows update
// earlier rows when those of the (last) pipeline it reads do; a join refuses such inputs.
bool Graph::Builder::ResolveInputs(size_t i, std::vector<NamedInput>* inputs, Lineage* lineage) {
  const Topology::Pipeline& spec = t_.pipelines[i];
  const std::string p = "/pipelines/" + spec.name;
  bool ok = !spec.from.empty();
  for (size_t n = 0; n < spec.from.size(); ++n) {
    const std::string& from = spec.from[n];
    const std::string fp = p + "/from" + (spec.from.size() > 1 ? "/" + std::to_string(n) : "");
    const Edge edge{i, static_cast<uint32_t>(n)};
    if (auto s = source_index_.find(from); s != source_index_.end()) {
      inputs->push_back({from, SourceSchema()});
      g_->source_pipelines_[s->second].push_back(edge);
    } else if (auto pl = pipeline_index_.find(from); pl != pipeline_index_.end()) {
      if (!BuildPipeline(pl->second)) {
        ok = false;
        continue;
      }
      Pipeline& parent = *g_->pipelines_[pl->second];
      inputs->push_back({from, parent.output});
      if (parent.emits_updates && spec.from.size() > 1) {
        errors_->Add(fp, "pipeline '" + from + "' emits updates of earlier rows (" +
                             parent.updates_from + "); a join reads appended rows only");
        ok = false;
      }
      *lineage = Lineage{parent.emits_updates, parent.updates_from};
      parent.downstream.push_back(edge);
    } else {
      errors_->Add(fp, "no source or pipeline named '" + from + "'");
      ok = false;
    }
  }
  return ok;
}

// Chains the steps, each reading the schema the one before it emits. The pipeline is kept even
// when a step fails, with the output of the steps that could be built.
bool Graph::Builder::BuildSteps(const Topology::Pipeline& spec,
                                const std::vector<NamedInput>& inputs, Lineage lineage,
                                Pipeline* pipe) {
  Schema input = inputs.front().schema;
  bool ok = true;
  for (size_t k = 0; k < spec.steps.size(); ++k) {
    // Later steps would only report follow-on errors about missing columns.
    if (!AddStep(spec, k, inputs, &input, &lineage, pipe)) {
      ok = false;
      break;
    }
  }
  if (ok && spec.steps.empty() && inputs.size() > 1) {
    errors_->Add("/pipelines/" + spec.name + "/steps",
                 "a pipeline with several inputs starts with a join");
    ok = false;
  }
  pipe->output = std::move(input);
  pipe->emits_updates = lineage.updates;
  pipe->updates_from = std::move(lineage.from);
  return ok;
}

// Makes step k by its operator's factory, which checks its config against `input`; on success
// `input` becomes the step's output schema.
bool Graph::Builder::AddStep(const Topology::Pipeline& spec, size_t k,
                             const std::vector<NamedInput>& inputs, Schema* input, Lineage* lineage,
                             Pipeline* pipe) {
  const auto& config = spec.steps[k];
  const std::string sp = "/pipelines/" + spec.name + "/steps/" + std::to_string(k);
  if (!config.is_object() || !config.contains("op") || !config["op"].is_string()) {
    errors_->Add(sp, "a step is an object with an \"op\"");
    return false;
  }
  const std::string op = config["op"].get<std::string>();
  const OperatorFactory* factory = OperatorRegistry::Default().Find(op);
  if (!factory) {
    std::string known;
    for (const auto& n : OperatorRegistry::Default().Names())
      known += (known.empty() ? "" : ", ") + n;
    errors_->Add(sp + "/op", "unknown operator '" + op + "' (operators: " + known + ")");
    return false;
  }
  Schema output;
  std::vector<SideOutput> sides;
  const size_t before = errors_->errors().size();
  const bool joins = k == 0 && inputs.size() > 1;
  auto instance = (*factory)(
      OperatorArgs{config, sp, *input, &output, errors_, &sides, joins ? &inputs : nullptr});
  if (!instance || errors_->errors().size() != before) return false;
  if (joins && !(instance->stream() && instance->stream()->reads_several_inputs())) {
    errors_->Add(
        sp + "/op",
        "a pipeline with several inputs (\"from\": [...]) starts with a join, not '" + op + "'");
    return false;
  }
  Step s;
  s.stream = instance->stream();
  s.op = std::move(instance);
  s.name = spec.name + "/" + std::to_string(k) + ":" + op;
  s.sides = std::move(sides);
  // A step that passes rows on as it reads them (a dedup) leaves them what they were.
  if (s.stream && !s.stream->emits_in_process()) {
    *lineage = Lineage{s.stream->emits_updates(), "step " + std::to_string(k) + " (" + op + ")"};
  }
  pipe->steps.push_back(std::move(s));
  *input = std::move(output);
  return true;
}

// Tables take the schema of the pipelines (and side outputs) that write them; all writers
// must agree. Only built pipelines are checked: the others have no output schema.
void Graph::Builder::DeclareTables() {
  for (size_t i = 0; i < t_.pipelines.size(); ++i) {
    if (state_[i] != State::kBuilt) continue;
    DeclarePipelineTables(i);
    DeclareSideTables(i);
  }
}

// The index of table `name` in tables_, declared by its first writer; a later writer must give
// it rows of the same schema.
size_t Graph::Builder::DeclareTable(const std::string& name, const Schema& schema,
                                    const std::string& pointer, const std::string& writer) {
  auto [it, fresh] = table_index_.try_emplace(name, g_->tables_.size());
  if (fresh) {
    std::vector<std::string> key;
    if (auto decl = t_.tables.find(name); decl != t_.tables.end()) key = decl->second.key;
    for (const auto& k : key) {
      if (schema.Find(k) < 0) {
        errors_->Add("/tables/" + name + "/key",
                     "key column '" + k + "' is not in the rows of " + writer);
      }
    }
    g_->tables_.push_back(TableDef{name, schema, key});
  } else if (!(g_->tables_[it->second].schema == schema)) {
    errors_->Add(pointer, writer + " writes rows of another schema into table '" + name + "'");
  }
  return it->second;
}

void Graph::Builder::DeclarePipelineTables(size_t i) {
  const auto& spec = t_.pipelines[i];
  Pipeline& pipe = *g_->pipelines_[i];
  const std::string p = "/pipelines/" + spec.name;
  for (const auto& name : spec.to) {
    const size_t table = DeclareTable(name, pipe.output, p + "/to", "pipeline '" + spec.name + "'");
    pipe.tables.push_back(table);
    pipe.table_key_columns.push_back(
        CheckedKeyColumns(g_->tables_[table], pipe.output, pipe.emits_updates));
    if (pipe.emits_updates && g_->tables_[table].key_columns.empty()) {
      errors_->Add(p + "/to", "pipeline '" + spec.name + "' emits updates of earlier rows (" +
                                  pipe.updates_from + "): table '" + name +
                                  "' needs a key to upsert them, e.g. \"tables\": {\"" + name +
                                  "\": {\"key\": [...]}}");
    }
  }
}

void Graph::Builder::DeclareSideTables(size_t i) {
  const auto& spec = t_.pipelines[i];
  Pipeline& pipe = *g_->pipelines_[i];
  for (size_t k = 0; k < pipe.steps.size(); ++k) {
    Step& step = pipe.steps[k];
    for (const auto& side : step.sides) {
      const std::string sp =
          "/pipelines/" + spec.name + "/steps/" + std::to_string(k) + "/" + side.field;
      step.side_tables.push_back(DeclareTable(side.table, side.schema, sp,
                                              "step " + std::to_string(k) + " of pipeline '" +
                                                  spec.name + "' (its " + side.field + " rows)"));
      // Side rows are records (late rows, unmatched rows), never updates.
      step.side_key_columns.push_back(
          CheckedKeyColumns(g_->tables_[step.side_tables.back()], side.schema, false));
    }
  }
}

// Each stream output takes the schema of the pipelines that write it (all must agree), which
// must hold its partition key column and leave the record id's field to the output.
void Graph::Builder::BuildStreamOutputs() {
  for (const auto& out : t_.streams) {
    const std::string sp = "/streams/" + out.name;
    StreamOutputDef def{&out, Schema(), -1};
    bool written = false;
    for (size_t i = 0; i < t_.pipelines.size(); ++i) {
      const auto& spec = t_.pipelines[i];
      if (std::find(spec.streams.begin(), spec.streams.end(), out.name) == spec.streams.end())
        continue;
      const std::string p = "/pipelines/" + spec.name + "/to";
      written = true;
      if (state_[i] != State::kBuilt) continue;
      Pipeline& pipe = *g_->pipelines_[i];
      pipe.streams.push_back(g_->streams_.size());
      if (def.partition_key >= 0) {
        if (!(def.schema == pipe.output)) {
          errors_->Add(p, "pipeline '" + spec.name +
                              "' writes rows of another schema into stream output '" + out.name +
                              "'");
        }
        continue;
      }
      def.schema = pipe.output;
      def.partition_key = pipe.output.Find(out.partition_key);
      if (def.partition_key < 0 && !out.partition_key.empty()) {  // empty: reported already
        errors_->Add(sp + "/partition_key", "column '" + out.partition_key +
                                                "' is not in the rows of pipeline '" + spec.name +
                                                "'");
      }
      if (pipe.output.Find(kRecordIdField) >= 0) {
        errors_->Add(p, std::string("the rows of pipeline '") + spec.name + "' have a column '" +
                            kRecordIdField +
                            "', the field the stream output adds to each record: drop or rename "
                            "it");
      }
    }
    if (!written) errors_->Add(sp, "no pipeline writes stream output '" + out.name + "'");
    g_->streams_.push_back(std::move(def));
  }
}

// A table in "tables" that nothing writes is likely a typo. Its writers are the built pipelines
// and their side outputs (table_index_), and also the pipelines that failed to build but name it
// in "to": their own errors say enough.
void Graph::Builder::CheckTablesWritten() {
  for (const auto& table : t_.tables) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::string& name = table.first;
    if (!table_index_.contains(name) &&
        std::none_of(t_.pipelines.begin(), t_.pipelines.end(), [&](const auto& p) {
          return std::find(p.to.begin(), p.to.end(), name) != p.to.end();
        })) {
      errors_->Add("/tables/" + name, "no pipeline writes table '" + name + "'");
    }
  }
}

void Graph::BindState(CommitStore* store) {
  for (auto& p : pipelines_) {
    for (size_t k = 0; k < p->steps.size(); ++k) {
      Operator& op = *p->steps[k].op;
      if (op.stateful()) op.Bind(store->State(p->name + "/" + std::to_string(k)));
    }
  }
}

void Graph::AddChannel(const Channel& channel) {
  if (channel.source >= source_pipelines_.size()) return;
  // Only the first stream step on each path from the source reads the source's records; the
  // steps after it read what it emits (at batch ends, on a channel of its own), unless it emits
  // as it reads (emits_in_process: a dedup with "within"), passing the source's channels on.
  std::vector<Edge> todo = source_pipelines_[channel.source];
  std::vector<bool> seen(pipelines_.size(), false);
  while (!todo.empty()) {
    const size_t i = todo.back().pipeline;
    todo.pop_back();
    if (seen[i]) continue;
    seen[i] = true;
    bool reached_stream_step = false;
    for (auto& s : pipelines_[i]->steps) {
      if (!s.stream) continue;
      s.stream->AddChannel(channel);
      if (s.stream->emits_in_process()) continue;  // its rows keep the source's channel
      reached_stream_step = true;
      break;
    }
    if (!reached_stream_step) {
      todo.insert(todo.end(), pipelines_[i]->downstream.begin(), pipelines_[i]->downstream.end());
    }
  }
}

Status Graph::Process(const RecordContext& ctx, Row row, const Emit& emit, const Fail& fail) {
  const Run run{&ctx, &emit, &fail, false};
  const auto& readers = source_pipelines_[ctx.channel.source];
  for (size_t r = 0; r < readers.size(); ++r) {
    // The last reader takes the row; the others get copies (fan-out).
    RETURN_IF_ERROR(Enter(readers[r], r + 1 == readers.size() ? std::move(row) : row, run));
  }
  return Status::OK();
}

Status Graph::Flush(const BatchContext& batch, const Emit& emit, const Fail& fail) {
  for (size_t i : order_) {
    Pipeline& p = *pipelines_[i];
    for (size_t k = 0; k < p.steps.size(); ++k) {
      StreamOperator* op = p.steps[k].stream;
      if (!op) continue;
      const RecordContext ctx{Channel{kFlushSource, static_cast<uint32_t>(i)}, batch.now_ms};
      const Run run{&ctx, &emit, &fail, true};
      StepOutput out(this, i, k, run);
      Status s = op->Flush(batch, out);
      if (!out.fatal().ok()) return out.fatal();
      if (!s.ok()) return s.WithContext("flushing " + p.steps[k].name);
    }
  }
  return Status::OK();
}

StateStats Graph::state_stats() const {
  StateStats total;
  for (const auto& p : pipelines_) {
    if (!p) continue;
    for (const auto& s : p->steps) {
      if (s.stream) total += s.stream->state_stats();
    }
  }
  return total;
}

std::vector<Graph::OperatorCounts> Graph::operator_counts() const {
  std::vector<OperatorCounts> out;
  for (const auto& p : pipelines_) {
    if (!p) continue;
    for (const auto& s : p->steps) out.push_back({s.name, s.rows_in, s.rows_out, s.failed});
  }
  return out;
}

void Graph::DiscardCaches() {
  for (auto& p : pipelines_) {
    if (!p) continue;
    for (auto& s : p->steps) {
      if (s.stream) s.stream->DiscardCache();
    }
  }
}

Status Graph::Failed(const Run& run, const std::string& op, const Status& why, const Row& row) {
  return (*run.fail)(op, run.flushing ? why.WithContext("row " + RowText(row)) : why);
}

Status Graph::RunFrom(size_t index, size_t first, Row row, const Run& run) {
  Pipeline& p = *pipelines_[index];
  for (size_t k = first; k < p.steps.size(); ++k) {
    Step& step = p.steps[k];
    ++step.rows_in;
    if (step.stream) {
      StepOutput out(this, index, k, run);
      Row copy;
      if (run.flushing) copy = row;  // for the failure message; rare (only downstream of a flush)
      Status s = step.stream->Process(*run.ctx, std::move(row), out);
      if (!out.fatal().ok()) return out.fatal();
      if (!s.ok()) {
        ++step.failed;
        return Failed(run, step.name, s, copy);
      }
      return Status::OK();
    }
    bool keep = true;
    Status s = step.op->Apply(row, &keep);
    if (!s.ok()) {
      ++step.failed;
      return Failed(run, step.name, s, row);
    }
    if (!keep) return Status::OK();
    ++step.rows_out;
  }
  return Deliver(index, std::move(row), run);
}

Status Graph::WriteTable(size_t sink, const Row& row, const Run& run) {
  Status s = (*run.emit)(sink, row);
  if (s.code() == Status::Code::kInvalidArgument) {
    const std::string name = sink < tables_.size()
                                 ? "table:" + tables_[sink].name
                                 : "stream:" + streams_[sink - tables_.size()].spec->name;
    return Failed(run, name, s, row);
  }
  return s;
}

Status Graph::Deliver(size_t index, Row row, const Run& run) {
  Pipeline& p = *pipelines_[index];
  for (size_t n = 0; n < p.tables.size(); ++n) {
    const size_t t = p.tables[n];
    if (Status s = CheckKey(tables_[t], p.table_key_columns[n], row); !s.ok()) {
      RETURN_IF_ERROR(Failed(run, "table:" + tables_[t].name, s, row));
      continue;
    }
    RETURN_IF_ERROR(WriteTable(t, row, run));
  }
  for (size_t s : p.streams) {
    if (row[streams_[s].partition_key].is_null()) {
      RETURN_IF_ERROR(Failed(run, "stream:" + streams_[s].spec->name,
                             Status::InvalidArgument("partition key column '" +
                                                     streams_[s].spec->partition_key + "' is null"),
                             row));
      continue;
    }
    RETURN_IF_ERROR(WriteTable(tables_.size() + s, row, run));
  }
  for (size_t r = 0; r < p.downstream.size(); ++r) {
    RETURN_IF_ERROR(
        Enter(p.downstream[r], r + 1 == p.downstream.size() ? std::move(row) : row, run));
  }
  return Status::OK();
}

Status Graph::Enter(const Edge& edge, Row row, const Run& run) {
  RecordContext ctx = *run.ctx;
  ctx.input = edge.input;
  Run entered = run;
  entered.ctx = &ctx;
  return RunFrom(edge.pipeline, 0, std::move(row), entered);
}

}  // namespace pinstream
