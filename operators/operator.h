#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/value.h"
#include "operators/commit_store.h"

namespace pinstream {

class StreamOperator;

// A record-at-a-time transformation of rows. Its configuration and schemas are fixed when the
// topology is built; a stateful operator keeps its state in the StateStore it is bound to, so
// that state commits with the rows and offsets of the same micro-batch.
//
// Apply() does CPU work only (and state reads/writes through the store): it transforms `row`,
// a row of the input schema, in place into a row of the output schema, or clears `*keep` to
// drop it. A non-OK Status sends the record to the dead letters. Not thread-safe.
class Operator {
 public:
  virtual ~Operator() = default;
  virtual Status Apply(Row& row, bool* keep) = 0;
  // Stateful operators get their store before the first Apply(); the store outlives them.
  virtual void Bind(StateStore* /*state*/) {}
  virtual bool stateful() const { return false; }
  // Non-null for the operators that run through StreamOperator's Process()/Flush() instead of
  // Apply() (several rows out per row, rows at the end of a batch): see stream_operator.h.
  virtual StreamOperator* stream() { return nullptr; }
};

// Collects build problems as (JSON pointer, message), so that `validate` reports them all.
class BuildErrors {
 public:
  void Add(std::string pointer, std::string message) {
    errors_.push_back({std::move(pointer), std::move(message)});
  }
  bool empty() const { return errors_.empty(); }
  struct Error {
    std::string pointer;
    std::string message;
  };
  const std::vector<Error>& errors() const { return errors_; }

 private:
  std::vector<Error> errors_;
};

// A second stream of rows that a step writes straight to a table, bypassing the later steps:
// e.g. a window's late records. The step's config names the table in `field`.
struct SideOutput {
  std::string field;  // the config field naming the table, for error pointers ("late")
  std::string table;
  Schema schema;
};

// One of the inputs of a pipeline that reads several ("from": ["pin", "geo", "user"]).
struct NamedInput {
  std::string name;  // the source or pipeline
  Schema schema;
};

// What a factory gets: the step's configuration, where it sits in the file, and the schema of
// the rows it will receive. It sets `output` (and appends its side outputs, if any, to
// `side_outputs`) and returns the operator, or reports problems to `errors` and returns null.
struct OperatorArgs {
  const nlohmann::ordered_json& config;
  std::string pointer;  // e.g. "/pipelines/pin/steps/3"
  const Schema& input;
  Schema* output;
  BuildErrors* errors;
  std::vector<SideOutput>* side_outputs;
  // The first step of a pipeline with several inputs sees them all here (`input` is then the
  // first one's schema), and RecordContext::input tells which a row comes from. Null otherwise.
  const std::vector<NamedInput>* inputs = nullptr;

  void Error(std::string_view field, std::string message) const {
    errors->Add(field.empty() ? pointer : pointer + "/" + std::string(field), std::move(message));
  }
};

using OperatorFactory = std::function<std::unique_ptr<Operator>(const OperatorArgs& args)>;

// Operators by name ("parse_json", "nullify", ...), as topology steps name them.
class OperatorRegistry {
 public:
  // The registry of every built-in operator.
  static const OperatorRegistry& Default();

  void Register(std::string name, OperatorFactory factory);
  const OperatorFactory* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::vector<std::pair<std::string, OperatorFactory>> factories_;
};

// Registration hooks of the operator families (one per source file).
void RegisterColumnOperators(OperatorRegistry* registry);
void RegisterJsonOperators(OperatorRegistry* registry);
void RegisterDedupOperator(OperatorRegistry* registry);
void RegisterDerivedColumnOperators(OperatorRegistry* registry);
void RegisterAggregateOperator(OperatorRegistry* registry);
void RegisterWindowOperator(OperatorRegistry* registry);
void RegisterJoinOperator(OperatorRegistry* registry);
void RegisterFilterOperator(OperatorRegistry* registry);

}  // namespace pinstream
