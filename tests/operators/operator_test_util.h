#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/json_dump.h"
#include "common/result.h"
#include "common/value.h"
#include "operators/graph.h"
#include "operators/operator.h"
#include "operators/topology.h"

namespace pinstream::testing {

using ojson = nlohmann::ordered_json;

// One operator built through the registry, as Graph::Build builds a step: the operator (null
// when the factory refused the config), the output schema it declared, and the problems it
// reported, as "pointer: message" lines with the step at pointer "/step".
struct BuiltOperator {
  std::unique_ptr<Operator> op;
  Schema output;
  std::vector<SideOutput> sides;
  std::vector<std::string> errors;

  bool ok() const { return op != nullptr && errors.empty(); }
};

// `inputs`: those of a pipeline with several inputs, for the step that starts it (a join).
inline BuiltOperator BuildOperator(const ojson& config, const Schema& input,
                                   const std::vector<NamedInput>* inputs = nullptr) {
  BuiltOperator built;
  const std::string name = config.at("op").get<std::string>();
  const OperatorFactory* factory = OperatorRegistry::Default().Find(name);
  if (factory == nullptr) {
    built.errors.push_back("/step/op: no operator '" + name + "' in the registry");
    return built;
  }
  BuildErrors errors;
  built.op = (*factory)(
      OperatorArgs{config, "/step", input, &built.output, &errors, &built.sides, inputs});
  for (const auto& e : errors.errors()) built.errors.push_back(e.pointer + ": " + e.message);
  return built;
}

// Applies `op` to `row`: the output row, nullopt when the operator dropped it, or its error.
inline Result<std::optional<Row>> ApplyOperator(Operator& op, Row row) {
  bool keep = true;
  RETURN_IF_ERROR(op.Apply(row, &keep));
  if (!keep) return std::optional<Row>();
  return std::optional<Row>(std::move(row));
}

// A nullable column of a scalar type.
inline Column Col(std::string name, Type type) {
  return Column{std::move(name), type, Type::kNull, true};
}

inline Column ArrayCol(std::string name, Type element) {
  return Column{std::move(name), Type::kArray, element, true};
}

inline Value Str(std::string s) { return Value::String(std::move(s)); }
inline Value Int(int64_t i) { return Value::Int(i); }
inline Value Dbl(double d) { return Value::Double(d); }
inline Value Null() { return Value(); }

// A row as a JSON array, for readable failure messages.
inline std::string RowText(const Row& row) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& v : row) a.push_back(v.ToJson());
  return DumpJson(a);
}

// A Graph built from topology text; null, with the problems in `problems`, when it does not
// build.
inline std::unique_ptr<Graph> BuildGraph(const std::string& text, std::string* problems) {
  BuildErrors errors;
  auto topology = Topology::Parse(text, "t.json", &errors);
  std::unique_ptr<Graph> graph;
  if (topology) graph = Graph::Build(topology, &errors);
  *problems = FormatErrors("t.json", errors);
  return graph;
}

// A graph over one source, its table writes and failures collected.
struct GraphHarness {
  std::unique_ptr<Graph> graph;
  std::map<std::string, std::vector<std::string>> rows;  // table -> rows as JSON
  std::vector<std::pair<std::string, std::string>> failed;
  Graph::Emit emit = [this](size_t table, const Row& row) {
    rows[graph->tables()[table].name].push_back(RowText(row));
    return Status::OK();
  };
  Graph::Fail fail = [this](const std::string& op, const Status& why) {
    failed.emplace_back(op, why.ToString());
    return Status::OK();
  };

  // A record of the source's shard `shard` whose data is `json`.
  Status Feed(const std::string& json, uint32_t shard = 0, int64_t arrival_ms = 0) {
    Row row{Str(json), Str("pk"), Value::TimestampMs(arrival_ms)};
    return graph->Process(RecordContext{Channel{0, shard}, arrival_ms}, std::move(row), emit, fail);
  }
};

}  // namespace pinstream::testing
