#include "operators/topology.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/time_format.h"

namespace pinstream {

namespace {

using ojson = nlohmann::ordered_json;

// Replaces ${VAR} and ${VAR:-default} in `s`; false (with `missing` set) for an unset
// variable without a default.
bool Substitute(std::string* s, std::string* missing) {
  std::string out;
  size_t i = 0;
  while (i < s->size()) {
    size_t start = s->find("${", i);
    if (start == std::string::npos) break;
    size_t end = s->find('}', start);
    if (end == std::string::npos) break;
    out.append(*s, i, start - i);
    std::string expr = s->substr(start + 2, end - start - 2);
    std::string name = expr, fallback;
    bool has_default = false;
    if (auto d = expr.find(":-"); d != std::string::npos) {
      name = expr.substr(0, d);
      fallback = expr.substr(d + 2);
      has_default = true;
    }
    const char* v = std::getenv(name.c_str());
    if (v && *v) {
      out += v;
    } else if (has_default) {
      out += fallback;
    } else {
      *missing = name;
      return false;
    }
    i = end + 1;
  }
  out.append(*s, i, std::string::npos);
  *s = std::move(out);
  return true;
}

void SubstituteAll(ojson& j, const std::string& pointer, BuildErrors* errors) {
  if (j.is_string()) {
    std::string s = j.get<std::string>(), missing;
    if (!Substitute(&s, &missing)) {
      errors->Add(pointer, "environment variable '" + missing + "' is not set and has no default");
    }
    j = s;
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items()) SubstituteAll(v, pointer + "/" + k, errors);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      SubstituteAll(j[i], pointer + "/" + std::to_string(i), errors);
  }
}

void CheckKeys(const ojson& j, const std::string& pointer, std::initializer_list<const char*> known,
               BuildErrors* errors) {
  for (const auto& [key, _] : j.items()) {
    if (std::none_of(known.begin(), known.end(),
                     [&key = key](const char* k) { return key == k; })) {
      errors->Add(pointer + "/" + key, "unknown field '" + key + "'");
    }
  }
}

std::vector<std::string> NameList(const ojson& j, const std::string& pointer, BuildErrors* errors) {
  std::vector<std::string> out;
  if (j.is_string()) return {j.get<std::string>()};
  if (!j.is_array()) {
    errors->Add(pointer, "must be a name or a list of names");
    return out;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    if (j[i].is_string())
      out.push_back(j[i].get<std::string>());
    else
      errors->Add(pointer + "/" + std::to_string(i), "must be a string");
  }
  return out;
}

Result<IteratorPosition> ParseStart(const std::string& text) {
  ASSIGN_OR_RETURN(IteratorType type, ParseIteratorType(text.substr(0, text.find(':'))));
  if (type == IteratorType::kAtSequenceNumber || type == IteratorType::kAfterSequenceNumber) {
    return Status::InvalidArgument(
        "a source starts at TRIM_HORIZON, LATEST or AT_TIMESTAMP:ISO8601");
  }
  return ParseIteratorPosition(text);
}

Result<Topology::OnDataLoss> ParseOnDataLoss(const ojson& j) {
  if (j == "fail") return Topology::OnDataLoss::kFail;
  if (j == "continue") return Topology::OnDataLoss::kContinue;
  return Status::InvalidArgument("must be \"fail\" or \"continue\"");
}

// A source's "kinesis": {"endpoint": "http(s)://HOST[:PORT]", "region": "eu-west-1"}, both
// optional. A ${VAR} left unreplaced was reported already.
void ParseKinesisEndpoint(const ojson& j, const std::string& pointer,
                          Topology::KinesisEndpoint* out, BuildErrors* errors) {
  if (!j.is_object()) {
    errors->Add(pointer, "must be an object: {\"endpoint\": \"https://...\", \"region\": \"...\"}");
    return;
  }
  CheckKeys(j, pointer, {"endpoint", "region"}, errors);
  if (j.contains("endpoint")) {
    const auto& e = j["endpoint"];
    if (!e.is_string()) {
      errors->Add(pointer + "/endpoint", "must be a URL string (empty: AWS's for the region)");
    } else {
      out->endpoint = e.get<std::string>();
      const bool url = out->endpoint.empty() || out->endpoint.starts_with("http://") ||
                       out->endpoint.starts_with("https://");
      if (!url && out->endpoint.find("${") == std::string::npos) {
        errors->Add(pointer + "/endpoint",
                    "must be http://HOST:PORT or https://HOST, not '" + out->endpoint + "'");
      }
    }
  }
  if (j.contains("region")) {
    const auto& r = j["region"];
    const std::string region = r.is_string() ? r.get<std::string>() : "";
    const bool valid = r.is_string() && std::all_of(region.begin(), region.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                       });
    if (!valid && region.find("${") == std::string::npos) {
      errors->Add(pointer + "/region", "must be an AWS region name such as \"eu-west-1\"");
    } else {
      out->region = region;
    }
  }
}

// A source's or stream output's "broker" or "kinesis" (not both); the topology's broker else.
void ParseStreamPlace(const ojson& s, const std::string& p, bool output, Topology::SourceKind* kind,
                      std::string* broker, Topology::KinesisEndpoint* kinesis,
                      BuildErrors* errors) {
  if (s.contains("broker")) {
    if (s["broker"].is_string())
      *broker = s["broker"].get<std::string>();
    else
      errors->Add(p + "/broker", "must be a ZeroMQ endpoint string");
  }
  if (s.contains("kinesis")) {
    *kind = Topology::SourceKind::kKinesis;
    if (s.contains("broker")) {
      errors->Add(p + "/kinesis", output
                                      ? "a stream output writes to a broker or a Kinesis "
                                        "endpoint, not both"
                                      : "a source reads a broker or a Kinesis endpoint, not both");
    }
    ParseKinesisEndpoint(s["kinesis"], p + "/kinesis", kinesis, errors);
  }
}

void ParseStreamName(const ojson& s, const std::string& p, std::string* out, BuildErrors* errors) {
  if (!s.contains("stream") || !s["stream"].is_string()) {
    errors->Add(p + (s.contains("stream") ? "/stream" : ""),
                "missing the stream name (\"stream\")");
    return;
  }
  *out = s["stream"].get<std::string>();
  // A name still holding "${" had a variable that could not be replaced: reported already.
  if (auto st = ValidateStreamName(*out); !st.ok() && out->find("${") == std::string::npos) {
    errors->Add(p + "/stream", st.message());
  }
}

// "streams": {"NAME": {"stream": S, "broker"|"kinesis": ..., "partition_key": COLUMN,
// "shards": N, "ordered": BOOL}}.
void ParseStreamOutputs(const ojson& j, const std::string& broker, Topology* topo,
                        BuildErrors* errors) {
  if (!j.is_object()) {
    errors->Add("/streams", "must map output names to {\"stream\": ..., \"partition_key\": ...}");
    return;
  }
  for (const auto& [name, s] : j.items()) {
    const std::string p = "/streams/" + name;
    if (!s.is_object()) {
      errors->Add(p, "a stream output is an object with a \"stream\" and a \"partition_key\"");
      continue;
    }
    CheckKeys(s, p, {"stream", "broker", "kinesis", "partition_key", "shards", "ordered"}, errors);
    Topology::StreamOutput out;
    out.name = name;
    out.broker = broker;
    ParseStreamName(s, p, &out.stream, errors);
    ParseStreamPlace(s, p, true, &out.kind, &out.broker, &out.kinesis, errors);
    if (!s.contains("partition_key") || !s["partition_key"].is_string() ||
        s["partition_key"].get<std::string>().empty()) {
      errors->Add(p + (s.contains("partition_key") ? "/partition_key" : ""),
                  "needs \"partition_key\": the column whose value keys each record");
    } else {
      out.partition_key = s["partition_key"].get<std::string>();
    }
    if (s.contains("shards")) {
      if (!s["shards"].is_number_integer() || s["shards"].get<int64_t>() <= 0 ||
          s["shards"].get<int64_t>() > 1024) {
        errors->Add(p + "/shards", "must be an integer from 1 to 1024");
      } else {
        out.shards = s["shards"].get<int>();
      }
    }
    if (s.contains("ordered")) {
      if (!s["ordered"].is_boolean()) {
        errors->Add(p + "/ordered", "must be true or false");
      } else {
        out.ordered = s["ordered"].get<bool>();
      }
    }
    if (topo->tables.contains(name)) errors->Add(p, "'" + name + "' is also the name of a table");
    topo->streams.push_back(std::move(out));
  }
}

// A source's "drop_repeated_ids" as a pipeline of existing operators: parse the record's id
// beside the raw columns, drop repeats with a dedup "within" (by arrival time), and give the
// readers the source's columns again.
Topology::Pipeline RepeatedIdsSteps(const Topology::Source& source) {
  Topology::Pipeline pipe;
  pipe.name = RepeatedIdsPipeline(source.name);
  pipe.from = {source.name};
  const ojson raw = ojson::array({"data", "partition_key", "arrival"});
  pipe.steps = ojson::array();
  pipe.steps.push_back(
      {{"op", "parse_json"}, {"columns", {{kRecordIdField, "string"}}}, {"keep", raw}});
  pipe.steps.push_back({{"op", "dedup"},
                        {"key", ojson::array({kRecordIdField})},
                        {"within", std::to_string(source.drop_repeated_ids_ms) + "ms"}});
  pipe.steps.push_back({{"op", "select"}, {"columns", raw}});
  return pipe;
}

// The pipelines that read a source with "drop_repeated_ids" read its RepeatedIdsSteps instead,
// which come first.
void DesugarRepeatedIds(Topology* topo, BuildErrors* errors) {
  std::vector<Topology::Pipeline> added;
  for (const auto& src : topo->sources) {
    if (src.drop_repeated_ids_ms == 0) continue;
    const std::string name = RepeatedIdsPipeline(src.name);
    for (auto& pipe : topo->pipelines) {
      if (pipe.name == name) {
        errors->Add("/pipelines/" + name,
                    "'" + name + "' is the name of the pipeline that drops repeated ids");
      }
      std::replace(pipe.from.begin(), pipe.from.end(), src.name, name);
    }
    added.push_back(RepeatedIdsSteps(src));
  }
  topo->pipelines.insert(topo->pipelines.begin(), added.begin(), added.end());
}

// The file as a JSON object (comments allowed); nullopt, reported, when it is not one.
std::optional<ojson> ParseObject(const std::string& text, BuildErrors* errors) {
  ojson j;
  try {
    j = ojson::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const ojson::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999") is out_of_range.
    errors->Add("", std::string("not valid JSON: ") + e.what());
    return std::nullopt;
  }
  if (!j.is_object()) {
    errors->Add("", "a topology is a JSON object");
    return std::nullopt;
  }
  return j;
}

// A duration string ("10m") above zero; nullopt for anything else, which callers report.
std::optional<int64_t> PositiveDuration(const ojson& j) {
  auto ms = j.is_string() ? ParseDurationMillis(j.get<std::string>())
                          : Result<int64_t>(Status::InvalidArgument("not a string"));
  if (!ms.ok() || *ms <= 0) return std::nullopt;
  return *ms;
}

void PositiveIntegerSetting(const ojson& j, const char* key, int64_t* out, BuildErrors* errors) {
  if (!j.contains(key)) return;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0) {
    errors->Add(std::string("/") + key, "must be a positive integer");
  } else {
    *out = j[key].get<int64_t>();
  }
}

void DurationSetting(const ojson& j, const char* key, int64_t* out, BuildErrors* errors) {
  if (!j.contains(key)) return;
  if (auto ms = PositiveDuration(j[key])) {
    *out = *ms;
  } else {
    errors->Add(std::string("/") + key, "must be a positive duration such as \"24h\" or \"7d\"");
  }
}

// The top-level fields besides the sources, pipelines, tables and streams. Returns the broker
// that sources and stream outputs use unless they name their own.
std::string ParseSettings(const ojson& j, Topology* topo, BuildErrors* errors) {
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty()) {
    errors->Add("/name", "a topology needs a name (its offsets are checkpointed under it)");
  } else {
    topo->name = j["name"].get<std::string>();
  }
  std::string broker = "tcp://127.0.0.1:7400";
  if (j.contains("broker")) {
    if (j["broker"].is_string())
      broker = j["broker"].get<std::string>();
    else
      errors->Add("/broker", "must be a ZeroMQ endpoint string");
  }
  PositiveIntegerSetting(j, "commit_interval_ms", &topo->commit_interval_ms, errors);
  PositiveIntegerSetting(j, "max_batch_records", &topo->max_batch_records, errors);
  PositiveIntegerSetting(j, "max_batch_bytes", &topo->max_batch_bytes, errors);
  DurationSetting(j, "history_retention", &topo->history_retention_ms, errors);
  DurationSetting(j, "rewind_retention", &topo->rewind_retention_ms, errors);
  if (j.contains("on_data_loss")) {
    if (auto policy = ParseOnDataLoss(j["on_data_loss"]); policy.ok())
      topo->on_data_loss = *policy;
    else
      errors->Add("/on_data_loss", policy.status().message());
  }
  return broker;
}

// One source; the topology's broker and on_data_loss are its defaults.
Topology::Source ParseSource(const std::string& name, const ojson& s, const std::string& p,
                             const std::string& broker, Topology::OnDataLoss on_data_loss,
                             BuildErrors* errors) {
  CheckKeys(s, p, {"stream", "broker", "kinesis", "start", "on_data_loss", "drop_repeated_ids"},
            errors);
  Topology::Source src;
  src.name = name;
  src.broker = broker;
  src.on_data_loss = on_data_loss;
  if (s.contains("on_data_loss")) {
    if (auto policy = ParseOnDataLoss(s["on_data_loss"]); policy.ok())
      src.on_data_loss = *policy;
    else
      errors->Add(p + "/on_data_loss", policy.status().message());
  }
  ParseStreamName(s, p, &src.stream, errors);
  ParseStreamPlace(s, p, false, &src.kind, &src.broker, &src.kinesis, errors);
  if (s.contains("drop_repeated_ids")) {
    if (auto ms = PositiveDuration(s["drop_repeated_ids"])) {
      src.drop_repeated_ids_ms = *ms;
    } else {
      errors->Add(p + "/drop_repeated_ids",
                  "must be a positive duration such as \"10m\": how long an id is remembered");
    }
  }
  if (s.contains("start")) {
    auto pos = s["start"].is_string()
                   ? ParseStart(s["start"].get<std::string>())
                   : Result<IteratorPosition>(Status::InvalidArgument("must be a string"));
    if (pos.ok())
      src.start = *pos;
    else
      errors->Add(p + "/start", pos.status().message());
  }
  return src;
}

void ParseSources(const ojson& j, const std::string& broker, Topology* topo, BuildErrors* errors) {
  if (!j.contains("sources") || !j["sources"].is_object() || j["sources"].empty()) {
    errors->Add("/sources", "a topology needs at least one source: {\"name\": {\"stream\": ...}}");
    return;
  }
  for (const auto& [name, s] : j["sources"].items()) {
    const std::string p = "/sources/" + name;
    if (!s.is_object()) {
      errors->Add(p, "a source is an object with a \"stream\"");
      continue;
    }
    topo->sources.push_back(ParseSource(name, s, p, broker, topo->on_data_loss, errors));
  }
}

// "tables": {"NAME": {"key": [...]}}; tables that pipelines name in "to" need no entry.
void ParseTables(const ojson& j, Topology* topo, BuildErrors* errors) {
  if (!j.contains("tables")) return;
  if (!j["tables"].is_object()) {
    errors->Add("/tables", "must map table names to {\"key\": [...]}");
    return;
  }
  for (const auto& [name, t] : j["tables"].items()) {
    const std::string p = "/tables/" + name;
    if (!t.is_object()) {
      errors->Add(p, "a table is an object, e.g. {\"key\": [\"ind\"]} or {}");
      continue;
    }
    CheckKeys(t, p, {"key"}, errors);
    Topology::Table table{name, {}};
    if (t.contains("key")) table.key = NameList(t["key"], p + "/key", errors);
    if (name == "dead_letters") errors->Add(p, "'dead_letters' is written by the processor itself");
    topo->tables[name] = std::move(table);
  }
}

// A pipeline's "to" names stream outputs and tables alike: a name that is no stream output is a
// table, an append table unless "tables" gives it a key. So stream outputs are parsed first.
void ParsePipelineTargets(const ojson& to, const std::string& p, Topology::Pipeline* pipe,
                          Topology* topo, BuildErrors* errors) {
  for (auto& t : NameList(to, p + "/to", errors)) {
    if (std::any_of(topo->streams.begin(), topo->streams.end(),
                    [&](const Topology::StreamOutput& o) { return o.name == t; })) {
      pipe->streams.push_back(std::move(t));
      continue;
    }
    if (t == "dead_letters")
      errors->Add(p + "/to", "'dead_letters' is written by the processor itself");
    if (!topo->tables.contains(t)) topo->tables[t] = Topology::Table{t, {}};  // an append table
    pipe->to.push_back(std::move(t));
  }
}

Topology::Pipeline ParsePipeline(const std::string& name, const ojson& pl, const std::string& p,
                                 Topology* topo, BuildErrors* errors) {
  CheckKeys(pl, p, {"from", "steps", "to"}, errors);
  Topology::Pipeline pipe{name, {}, ojson::array(), {}, {}};
  if (!pl.contains("from") || !(pl["from"].is_string() || pl["from"].is_array()))
    errors->Add(p + "/from", "must name a source or a pipeline, or list several to join");
  else
    pipe.from = NameList(pl["from"], p + "/from", errors);
  if (pl.contains("from") && pl["from"].is_array() && pl["from"].empty())
    errors->Add(p + "/from", "must name at least one source or pipeline");
  if (pl.contains("steps")) {
    if (pl["steps"].is_array())
      pipe.steps = pl["steps"];
    else
      errors->Add(p + "/steps", "must be a list of steps");
  }
  if (pl.contains("to")) ParsePipelineTargets(pl["to"], p, &pipe, topo, errors);
  if (name.empty()) errors->Add(p, "a pipeline needs a name");
  return pipe;
}

// Their steps are left as JSON: Graph::Build checks them against the operators.
void ParsePipelines(const ojson& j, Topology* topo, BuildErrors* errors) {
  if (!j.contains("pipelines") || !j["pipelines"].is_object() || j["pipelines"].empty()) {
    errors->Add("/pipelines", "a topology needs at least one pipeline");
    return;
  }
  for (const auto& [name, pl] : j["pipelines"].items()) {
    const std::string p = "/pipelines/" + name;
    if (!pl.is_object()) {
      errors->Add(p, "a pipeline is an object with \"from\", \"steps\" and \"to\"");
      continue;
    }
    topo->pipelines.push_back(ParsePipeline(name, pl, p, topo, errors));
  }
}

}  // namespace

std::string RepeatedIdsPipeline(const std::string& source) { return source + "/drop_repeated_ids"; }

const Schema& SourceSchema() {
  static const Schema* schema = new Schema({{"data", Type::kString, Type::kNull, false},
                                            {"partition_key", Type::kString, Type::kNull, false},
                                            {"arrival", Type::kTimestamp, Type::kNull, false}});
  return *schema;
}

std::string FormatErrors(const std::string& file, const BuildErrors& errors) {
  std::string out;
  for (const auto& e : errors.errors()) {
    out += file + ": " + (e.pointer.empty() ? "/" : e.pointer) + ": " + e.message + "\n";
  }
  return out;
}

std::shared_ptr<const Topology> Topology::Load(const std::string& path, BuildErrors* errors) {
  std::ifstream in(path);
  if (!in) {
    errors->Add("", "cannot read the file");
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path, errors);
}

std::shared_ptr<const Topology> Topology::Parse(const std::string& text, const std::string& file,
                                                BuildErrors* errors) {
  std::optional<ojson> j = ParseObject(text, errors);
  if (!j) return nullptr;
  SubstituteAll(*j, "", errors);
  CheckKeys(*j, "",
            {"name", "broker", "commit_interval_ms", "max_batch_records", "max_batch_bytes",
             "history_retention", "rewind_retention", "on_data_loss", "sources", "pipelines",
             "tables", "streams"},
            errors);

  auto topo = std::make_shared<Topology>();
  topo->file = file;
  const std::string broker = ParseSettings(*j, topo.get(), errors);
  ParseSources(*j, broker, topo.get(), errors);
  ParseTables(*j, topo.get(), errors);
  if (j->contains("streams")) ParseStreamOutputs((*j)["streams"], broker, topo.get(), errors);
  ParsePipelines(*j, topo.get(), errors);
  DesugarRepeatedIds(topo.get(), errors);
  // Returned even when there were problems, so that the graph can report its own as well.
  return topo;
}

}  // namespace pinstream
