#include "operators/graph.h"

#include <algorithm>
#include <map>

namespace pinstream {

struct Graph::Pipeline {
  std::string name;
  std::vector<std::unique_ptr<Operator>> ops;
  std::vector<std::string> op_names;  // "pipeline/step:op" for dead letters
  Schema output;
  std::vector<size_t> tables;      // indexes into tables_
  std::vector<size_t> downstream;  // pipelines reading this one
};

Graph::~Graph() = default;

std::unique_ptr<Graph> Graph::Build(std::shared_ptr<const Topology> topology, BuildErrors* errors) {
  std::unique_ptr<Graph> g(new Graph());
  g->topology_ = topology;
  const Topology& t = *topology;
  std::map<std::string, size_t> source_index, pipeline_index;
  for (size_t i = 0; i < t.sources.size(); ++i) source_index[t.sources[i].name] = i;
  for (size_t i = 0; i < t.pipelines.size(); ++i) {
    const std::string& name = t.pipelines[i].name;
    if (source_index.contains(name)) {
      errors->Add("/pipelines/" + name, "'" + name + "' is already the name of a source");
    }
    pipeline_index[name] = i;
  }
  g->source_pipelines_.resize(t.sources.size());
  g->pipelines_.resize(t.pipelines.size());

  // Build pipelines in dependency order: a pipeline's input schema is its parent's output.
  std::vector<int> state(t.pipelines.size(), 0);  // 0 new, 1 building, 2 built, 3 failed
  std::function<bool(size_t)> build = [&](size_t i) -> bool {
    const Topology::Pipeline& spec = t.pipelines[i];
    const std::string p = "/pipelines/" + spec.name;
    if (state[i] == 1) {
      errors->Add(p + "/from", "pipelines form a cycle through '" + spec.name + "'");
      state[i] = 3;
      return false;
    }
    if (state[i] >= 2) return state[i] == 2;
    state[i] = 1;
    Schema input;
    if (auto s = source_index.find(spec.from); s != source_index.end()) {
      input = SourceSchema();
      g->source_pipelines_[s->second].push_back(i);
    } else if (auto pl = pipeline_index.find(spec.from); pl != pipeline_index.end()) {
      if (!build(pl->second)) {
        state[i] = 3;
        return false;
      }
      input = g->pipelines_[pl->second]->output;
      g->pipelines_[pl->second]->downstream.push_back(i);
    } else {
      if (!spec.from.empty())
        errors->Add(p + "/from", "no source or pipeline named '" + spec.from + "'");
      state[i] = 3;
      return false;
    }
    auto pipe = std::make_unique<Pipeline>();
    pipe->name = spec.name;
    bool ok = true;
    for (size_t k = 0; k < spec.steps.size(); ++k) {
      const auto& step = spec.steps[k];
      const std::string sp = p + "/steps/" + std::to_string(k);
      if (!step.is_object() || !step.contains("op") || !step["op"].is_string()) {
        errors->Add(sp, "a step is an object with an \"op\"");
        ok = false;
        break;
      }
      const std::string op = step["op"].get<std::string>();
      const OperatorFactory* factory = OperatorRegistry::Default().Find(op);
      if (!factory) {
        std::string known;
        for (const auto& n : OperatorRegistry::Default().Names())
          known += (known.empty() ? "" : ", ") + n;
        errors->Add(sp + "/op", "unknown operator '" + op + "' (operators: " + known + ")");
        ok = false;
        break;
      }
      Schema output;
      size_t before = errors->errors().size();
      auto instance = (*factory)(OperatorArgs{step, sp, input, &output, errors});
      if (!instance || errors->errors().size() != before) {
        ok = false;  // later steps would only report follow-on errors about missing columns
        break;
      }
      pipe->ops.push_back(std::move(instance));
      pipe->op_names.push_back(spec.name + "/" + std::to_string(k) + ":" + op);
      input = std::move(output);
    }
    pipe->output = input;
    g->pipelines_[i] = std::move(pipe);
    state[i] = ok ? 2 : 3;
    return ok;
  };
  for (size_t i = 0; i < t.pipelines.size(); ++i) build(i);

  // Tables take the schema of the pipelines that write them; all writers must agree.
  std::map<std::string, size_t> table_index;
  for (size_t i = 0; i < t.pipelines.size(); ++i) {
    if (state[i] != 2) continue;
    const auto& spec = t.pipelines[i];
    for (const auto& name : spec.to) {
      const std::string p = "/pipelines/" + spec.name + "/to";
      auto [it, fresh] = table_index.try_emplace(name, g->tables_.size());
      if (fresh) {
        const Topology::Table& decl = t.tables.at(name);
        for (const auto& k : decl.key) {
          if (g->pipelines_[i]->output.Find(k) < 0) {
            errors->Add(
                "/tables/" + name + "/key",
                "key column '" + k + "' is not in the rows of pipeline '" + spec.name + "'");
          }
        }
        g->tables_.push_back(TableDef{name, g->pipelines_[i]->output, decl.key});
      } else if (!(g->tables_[it->second].schema == g->pipelines_[i]->output)) {
        errors->Add(p, "pipeline '" + spec.name + "' writes rows of another schema into table '" +
                           name + "'");
      }
      g->pipelines_[i]->tables.push_back(it->second);
    }
  }
  for (const auto& [name, decl] : t.tables) {
    if (!table_index.contains(name) &&
        std::none_of(t.pipelines.begin(), t.pipelines.end(), [&](const auto& p) {
          return std::find(p.to.begin(), p.to.end(), name) != p.to.end();
        })) {
      errors->Add("/tables/" + name, "no pipeline writes table '" + name + "'");
    }
  }
  if (!errors->empty()) return nullptr;
  return g;
}

void Graph::BindState(CommitStore* store) {
  for (auto& p : pipelines_) {
    for (size_t k = 0; k < p->ops.size(); ++k) {
      if (p->ops[k]->stateful()) p->ops[k]->Bind(store->State(p->name + "/" + std::to_string(k)));
    }
  }
}

Status Graph::Process(size_t source, Row row, const Emit& emit, const Fail& fail) {
  const auto& readers = source_pipelines_[source];
  for (size_t r = 0; r < readers.size(); ++r) {
    // The last reader takes the row; the others get copies (fan-out).
    RETURN_IF_ERROR(
        RunPipeline(readers[r], r + 1 == readers.size() ? std::move(row) : row, emit, fail));
  }
  return Status::OK();
}

Status Graph::RunPipeline(size_t index, Row row, const Emit& emit, const Fail& fail) {
  Pipeline& p = *pipelines_[index];
  for (size_t k = 0; k < p.ops.size(); ++k) {
    bool keep = true;
    Status s = p.ops[k]->Apply(row, &keep);
    if (!s.ok()) return fail(p.op_names[k], s);
    if (!keep) return Status::OK();
  }
  for (size_t t : p.tables) {
    Status s = emit(t, row);
    if (s.code() == Status::Code::kInvalidArgument) {
      RETURN_IF_ERROR(fail("table:" + tables_[t].name, s));
    } else {
      RETURN_IF_ERROR(s);
    }
  }
  for (size_t r = 0; r < p.downstream.size(); ++r) {
    RETURN_IF_ERROR(RunPipeline(p.downstream[r],
                                r + 1 == p.downstream.size() ? std::move(row) : row, emit, fail));
  }
  return Status::OK();
}

}  // namespace pinstream
