// join: an inner interval join of a pipeline's inputs on key columns (Flink's interval join,
// Spark's stream-stream inner join with a time bound), over any number of inputs:
//   "posts": {"from": ["pin", "geo", "user"],
//             "steps": [{"op": "join", "on": ["ind"], "within": "10m", "once": true,
//                        "unmatched": "unmatched_posts"}, ...]}
// Rows join when their keys are equal and their times (the arrival time, or a timestamp column
// per input: "time": {"pin": "saved_at", "geo": "timestamp", ...}) lie within `within` of each
// other: one output row per combination of one row from each input, emitted as soon as its last
// row arrives. A row waits in state until the
// watermark passes its time + within, then leaves; one that never joined goes to the unmatched
// table with the reason, as does a row that comes after its partners could have expired (late).
//
// "once": each row joins at most once, and a joined row's inputs leave the state at once. For
// inputs with at most one row per key (de-duplicated on it, as pinterest.json's are) that is the
// same result as the full join, with state for the keys still incomplete only.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "common/json_dump.h"
#include "common/string_hash.h"
#include "common/time_format.h"
#include "operators/group_table.h"
#include "operators/meta_record.h"
#include "operators/operator_config.h"
#include "operators/stream_operator.h"
#include "operators/watermark.h"

namespace pinstream {

namespace {

constexpr char kArrivalTime[] = "ApproximateArrivalTimestamp";
constexpr char kMetaKey[] = "m";    // state sizes and the watermark
constexpr char kRowsPrefix = 'k';   // 'k' key -> the rows of that key waiting for partners
constexpr char kIndexPrefix = 'e';  // 'e' ordered(expiry) key -> "": keys by their first expiry
constexpr int64_t kDefaultIdleTimeoutMs = 60'000;
constexpr size_t kNone = std::numeric_limits<size_t>::max();

struct JoinOptions {
  std::vector<NamedInput> inputs;
  std::vector<std::vector<int>> key_columns;    // per input, in "on" order
  std::vector<std::vector<int>> value_columns;  // per input: what it adds to the output row
  std::vector<int> time_columns;                // per input; -1: the arrival time
  int64_t within_ms = 0;
  int64_t max_delay_ms = 0;
  int64_t idle_timeout_ms = kDefaultIdleTimeoutMs;
  bool once = false;
  size_t output_width = 0;  // columns of the joined row
};

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

class JoinOperator final : public StreamOperator {
 public:
  explicit JoinOperator(JoinOptions options)
      : options_(std::move(options)), tracker_(options_.max_delay_ms, options_.idle_timeout_ms) {}

  void Bind(StateStore* state) override { state_ = state; }
  bool stateful() const override { return true; }
  bool reads_several_inputs() const override { return true; }
  void AddChannel(const Channel& channel) override {
    declared_channels_.push_back(channel);
    tracker_.AddChannel(channel);
  }

  Status Process(const RecordContext& ctx, Row&& row, Output& out) override {
    RETURN_IF_ERROR(Open());
    const uint32_t input = ctx.input;
    if (input >= options_.inputs.size()) return Status::Internal("a join row from no input");
    int64_t t = ctx.arrival_ms;
    if (const int c = options_.time_columns[input]; c >= 0) {
      if (row[c].is_null()) {
        return Status::InvalidArgument("column '" + options_.inputs[input].schema.column(c).name +
                                       "' is null: a join needs the time of every row");
      }
      t = row[c].as_timestamp_ms();
    }
    // Lateness is judged against the watermark before this row moves it.
    const int64_t watermark = tracker_.watermark();
    tracker_.Observe(ctx.channel, t);
    key_.clear();
    for (int c : options_.key_columns[input]) {
      if (row[c].is_null()) {
        return Unmatched(input, t, row,
                         "its key column '" + options_.inputs[input].schema.column(c).name +
                             "' is null, and null joins nothing (as in SQL)",
                         out);
      }
      row[c].EncodeTo(&key_);
    }
    if (Expired(t, watermark)) {
      return Unmatched(input, t, row,
                       "late: its time " + FormatIso8601(t) + " is more than " +
                           FormatDurationMillis(options_.within_ms) + " before the watermark " +
                           FormatIso8601(watermark) + ", so its partners may have left the state",
                       out);
    }
    ASSIGN_OR_RETURN(Key * key, Find(key_));
    chosen_.assign(options_.inputs.size(), kNone);
    bool joined = false;
    RETURN_IF_ERROR(Combine(*key, input, row, t, watermark, 0, t, t, &joined, out));
    key->dirty = true;
    if (!(options_.once && joined)) {
      key->rows.push_back(Waiting{input, t, joined, std::move(row)});
      return Status::OK();
    }
    // The rows of the combination are spent (the new row never waits): the output takes their
    // values instead of copies.
    Row result = JoinedRow(*key, input, row, /*take=*/true);
    std::vector<bool> spent(key->rows.size(), false);
    for (size_t i : chosen_)
      if (i != kNone) spent[i] = true;
    size_t kept = 0;
    for (size_t i = 0; i < key->rows.size(); ++i) {
      if (!spent[i]) key->rows[kept++] = std::move(key->rows[i]);
    }
    key->rows.resize(kept);
    return out.Emit(std::move(result));
  }

  Status Flush(const BatchContext& ctx, Output& out) override {
    RETURN_IF_ERROR(Open());
    tracker_.Tick(ctx.now_ms);
    RETURN_IF_ERROR(ExpireRows(out));
    for (auto& [k, key] : keys_) {
      if (key.dirty) RETURN_IF_ERROR(WriteBack(k, &key));
    }
    keys_.clear();
    return meta_.Stage(state_, tracker_);
  }

  StateStats state_stats() const override {
    StateStats s = meta_.stats();
    s.cached_groups = keys_.size();
    return s;
  }

  void DiscardCache() override {
    keys_.clear();
    opened_ = false;
  }

 private:
  // A row waiting for partners.
  struct Waiting {
    uint32_t input;
    int64_t time;
    bool joined;  // has been part of an output row
    Row row;
  };
  // The waiting rows of one key, as this batch has them.
  struct Key {
    std::vector<Waiting> rows;
    size_t stored_bytes = 0;              // its record in the store (key + value); 0: none
    std::optional<int64_t> indexed_time;  // the first time of the stored rows: its index entry
    bool dirty = false;
  };

  Status Open() {
    if (opened_) return Status::OK();
    if (!state_) return Status::Internal("a join used without a state store");
    WatermarkTracker fresh(options_.max_delay_ms, options_.idle_timeout_ms);
    RETURN_IF_ERROR(meta_.Load(state_, &fresh, "join").status());
    // Channels declared before the state was read keep holding the watermark back.
    for (const Channel& c : declared_channels_) fresh.AddChannel(c);
    tracker_ = std::move(fresh);
    stored_.clear();
    const std::string begin(1, kRowsPrefix), end(1, kRowsPrefix + 1);
    RETURN_IF_ERROR(state_->Scan(begin, end, [&](std::string_view k, std::string_view) {
      stored_.emplace(k.substr(1));
      return true;
    }));
    opened_ = true;
    return Status::OK();
  }

  // A row at `t` can meet no row still to come once the watermark has passed t + within.
  bool Expired(int64_t t, int64_t watermark) const {
    return watermark != WatermarkTracker::kNoTime &&
           SaturatingAdd(t, options_.within_ms) < watermark;
  }

  // Picks, input by input, a waiting row (or the new row, for its own input) whose time keeps
  // the combination within the bound, and emits a row for every complete combination; with
  // `once`, it stops at the first and leaves it in chosen_ for the caller to emit.
  Status Combine(Key& key, uint32_t input, Row& row, int64_t t, int64_t watermark, size_t next,
                 int64_t lo, int64_t hi, bool* joined, Output& out) {
    if (next == options_.inputs.size()) {
      *joined = true;
      if (options_.once) return Status::OK();
      for (size_t i : chosen_)
        if (i != kNone) key.rows[i].joined = true;
      return out.Emit(JoinedRow(key, input, row, /*take=*/false));
    }
    if (next == input) {
      return Combine(key, input, row, t, watermark, next + 1, lo, hi, joined, out);
    }
    for (size_t i = 0; i < key.rows.size(); ++i) {
      const Waiting& w = key.rows[i];
      if (w.input != next || Expired(w.time, watermark)) continue;
      const int64_t l = std::min(lo, w.time), h = std::max(hi, w.time);
      if (h - l > options_.within_ms) continue;
      chosen_[next] = i;
      RETURN_IF_ERROR(Combine(key, input, row, t, watermark, next + 1, l, h, joined, out));
      if (options_.once && *joined) return Status::OK();
    }
    chosen_[next] = kNone;
    return Status::OK();
  }

  // The key columns, then each input's other columns, in input order: the combination in
  // chosen_ with `row` for `input`. With `take`, the values move out of the rows.
  Row JoinedRow(Key& key, uint32_t input, Row& row, bool take) const {
    Row joined;
    joined.reserve(options_.output_width);
    auto add = [&](Value& v) { joined.push_back(take ? std::move(v) : v); };
    for (int c : options_.key_columns[input]) add(row[c]);
    for (size_t n = 0; n < options_.inputs.size(); ++n) {
      Row& from = n == input ? row : key.rows[chosen_[n]].row;
      for (int c : options_.value_columns[n]) add(from[c]);
    }
    return joined;
  }

  Status Unmatched(uint32_t input, int64_t t, const Row& row, std::string reason, Output& out) {
    Row u;
    u.push_back(Value::String(options_.inputs[input].name));
    for (int c : options_.key_columns[input]) u.push_back(row[c]);
    u.push_back(Value::TimestampMs(t));
    u.push_back(Value::String(DumpJson(RowToJson(options_.inputs[input].schema, row))));
    u.push_back(Value::String(std::move(reason)));
    return out.EmitSide(0, std::move(u));
  }

  Result<Key*> Find(std::string_view k) {
    if (auto it = keys_.find(k); it != keys_.end()) return &it->second;
    Key key;
    if (!stored_.contains(k)) return &keys_.emplace(std::string(k), std::move(key)).first->second;
    record_key_.assign(1, kRowsPrefix);
    record_key_.append(k);
    ASSIGN_OR_RETURN(auto stored, state_->Get(record_key_));
    if (stored) {
      RETURN_IF_ERROR(DecodeKey(*stored, &key));
      key.stored_bytes = record_key_.size() + stored->size();
      if (!key.rows.empty()) key.indexed_time = FirstTime(key);
    }
    return &keys_.emplace(std::string(k), std::move(key)).first->second;
  }

  // Removes the rows the watermark has expired: from the keys in the expiry index up to it, and
  // from the keys this batch touched (not indexed yet). Those that never joined go to the
  // unmatched table.
  Status ExpireRows(Output& out) {
    const int64_t watermark = tracker_.watermark();
    if (watermark == WatermarkTracker::kNoTime) return Status::OK();
    std::set<std::string> due;
    for (const auto& [k, key] : keys_) {
      if (!key.rows.empty() && Expired(FirstTime(key), watermark)) due.insert(k);
    }
    std::string begin(1, kIndexPrefix), end(1, kIndexPrefix);
    PutOrderedInt64(&end, watermark);  // index entries hold t + within; due when below it
    RETURN_IF_ERROR(state_->Scan(begin, end, [&](std::string_view k, std::string_view) {
      due.emplace(k.substr(1 + 8));
      return true;
    }));
    for (const std::string& k : due) {
      ASSIGN_OR_RETURN(Key * key, Find(k));
      size_t kept = 0;
      for (size_t i = 0; i < key->rows.size(); ++i) {
        Waiting& w = key->rows[i];
        if (!Expired(w.time, watermark)) {
          if (kept != i) key->rows[kept] = std::move(w);
          ++kept;
          continue;
        }
        if (!w.joined) {
          RETURN_IF_ERROR(
              Unmatched(w.input, w.time, w.row, NoPartnerReason(*key, w, watermark), out));
        }
      }
      key->rows.resize(kept);
      key->dirty = true;
    }
    return Status::OK();
  }

  std::string NoPartnerReason(const Key& key, const Waiting& w, int64_t watermark) const {
    std::string missing;
    for (uint32_t n = 0; n < options_.inputs.size(); ++n) {
      if (n == w.input) continue;
      if (std::none_of(key.rows.begin(), key.rows.end(),
                       [&](const Waiting& o) { return o.input == n; })) {
        missing += (missing.empty() ? "'" : ", '") + options_.inputs[n].name + "'";
      }
    }
    std::string reason = missing.empty() ? "rows of every input came with its key, but none "
                                           "within " +
                                               FormatDurationMillis(options_.within_ms) + " of it"
                                         : "no row of " + missing + " came with its key within " +
                                               FormatDurationMillis(options_.within_ms);
    return reason + " (it left the state when the watermark reached " + FormatIso8601(watermark) +
           ")";
  }

  static int64_t FirstTime(const Key& key) {
    int64_t first = std::numeric_limits<int64_t>::max();
    for (const Waiting& w : key.rows) first = std::min(first, w.time);
    return first;
  }

  void IndexKey(int64_t first_time, std::string_view k, std::string* out) const {
    out->assign(1, kIndexPrefix);
    PutOrderedInt64(out, SaturatingAdd(first_time, options_.within_ms));
    out->append(k);
  }

  // Writes a key's rows (or their absence) and moves its expiry index entry.
  Status WriteBack(const std::string& k, Key* key) {
    record_key_.assign(1, kRowsPrefix);
    record_key_.append(k);
    const std::optional<int64_t> old_first = key->indexed_time;
    std::optional<int64_t> new_first;
    if (!key->rows.empty()) new_first = FirstTime(*key);
    if (key->rows.empty()) {
      if (key->stored_bytes != 0) {
        RETURN_IF_ERROR(state_->Delete(record_key_));
        --meta_.keys;
        meta_.bytes -= key->stored_bytes;
        stored_.erase(k);
      }
    } else {
      EncodeKey(*key, &encoded_);
      RETURN_IF_ERROR(state_->Put(record_key_, encoded_));
      if (key->stored_bytes == 0) {
        ++meta_.keys;
        stored_.insert(k);
      }
      meta_.bytes += record_key_.size() + encoded_.size();
      meta_.bytes -= key->stored_bytes;
    }
    if (old_first != new_first) {
      if (old_first) {
        IndexKey(*old_first, k, &index_key_);
        RETURN_IF_ERROR(state_->Delete(index_key_));
        --meta_.keys;
        meta_.bytes -= index_key_.size();
      }
      if (new_first) {
        IndexKey(*new_first, k, &index_key_);
        RETURN_IF_ERROR(state_->Put(index_key_, ""));
        ++meta_.keys;
        meta_.bytes += index_key_.size();
      }
    }
    return Status::OK();
  }

  static void EncodeKey(const Key& key, std::string* out) {
    out->clear();
    PutVarint64(out, key.rows.size());
    std::string row;
    for (const Waiting& w : key.rows) {
      PutVarint64(out, w.input);
      PutFixed64BE(out, static_cast<uint64_t>(w.time));
      out->push_back(w.joined ? 1 : 0);
      row.clear();
      EncodeRow(w.row, &row);
      PutLengthPrefixed(out, row);
    }
  }

  Status DecodeKey(std::string_view in, Key* key) const {
    Decoder d(in);
    uint64_t n = 0;
    if (!d.GetVarint64(&n)) return Status::Corruption("malformed join state: a key's rows");
    key->rows.clear();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t input = 0, time = 0;
      uint8_t joined = 0;
      std::string_view row;
      if (!d.GetVarint64(&input) || !d.GetFixed64BE(&time) || !d.GetByte(&joined) ||
          !d.GetLengthPrefixed(&row) || input >= options_.inputs.size()) {
        return Status::Corruption("malformed join state: a key's rows");
      }
      Waiting w{static_cast<uint32_t>(input), static_cast<int64_t>(time), joined != 0, {}};
      RETURN_IF_ERROR(DecodeRow(row, &w.row));
      key->rows.push_back(std::move(w));
    }
    return Status::OK();
  }

  JoinOptions options_;
  WatermarkTracker tracker_;
  StateStore* state_ = nullptr;  // borrowed; outlives the operator
  bool opened_ = false;
  std::vector<Channel> declared_channels_;
  // The keys this batch touched; written back and dropped at its end.
  std::unordered_map<std::string, Key, StringHash, std::equal_to<>> keys_;
  // The keys that have rows in the store, so that a new key (most are) costs no store read.
  // As small as the state: one entry per key still waiting for partners.
  std::unordered_set<std::string, StringHash, std::equal_to<>> stored_;
  MetaRecord meta_{kMetaKey};   // counts the key records and index entries in the store
  std::vector<size_t> chosen_;  // per input: the waiting row in the combination being built
  std::string key_, record_key_, index_key_, encoded_;  // reused
};

// An input listed twice would be ambiguous in "time" and in the unmatched rows. Fills `names`.
bool CheckDistinctInputs(const OperatorArgs& a, const std::vector<NamedInput>& inputs,
                         std::set<std::string>* names) {
  bool ok = true;
  for (const auto& in : inputs) {
    if (!names->insert(in.name).second) {
      a.Error("", "the pipeline lists '" + in.name + "' twice in \"from\"");
      ok = false;
    }
  }
  return ok;
}

// Finds the "on" columns in every input, which must agree on their types: they start `columns`
// (the joined row's), in "on" order. Stops early when the first input lacks one, as every other
// input would be compared with a missing column.
bool ResolveKeyColumns(const OperatorArgs& a, const std::vector<std::string>& on, JoinOptions* o,
                       std::vector<Column>* columns) {
  bool ok = true;
  for (size_t n = 0; n < o->inputs.size(); ++n) {
    const Schema& schema = o->inputs[n].schema;
    std::vector<int> key;
    for (size_t k = 0; k < on.size(); ++k) {
      const std::string& name = on[k];
      const int c = schema.Find(name);
      if (c < 0) {
        a.Error("on", "'" + o->inputs[n].name + "' has no column '" + name + "'");
        ok = false;
        continue;
      }
      const Column& col = schema.column(c);
      if (n == 0) {
        columns->push_back(col);
      } else if (const Column& first = (*columns)[k];
                 col.type != first.type || col.element_type != first.element_type) {
        a.Error("on", "key column '" + name + "' is " + ColumnTypeName(col) + " in '" +
                          o->inputs[n].name + "' but " + ColumnTypeName(first) + " in '" +
                          o->inputs[0].name + "'");
        ok = false;
      }
      key.push_back(c);
    }
    o->key_columns.push_back(std::move(key));
    if (columns->size() != on.size()) return false;  // the first input lacks a key column
  }
  return ok;
}

// The output: the key once, then every input's other columns; a name may appear once only.
bool ResolveValueColumns(const OperatorArgs& a, const std::vector<std::string>& on, JoinOptions* o,
                         std::vector<Column>* columns) {
  bool ok = true;
  std::map<std::string, std::string> owner;
  for (const auto& c : *columns) owner[c.name] = "the key";
  for (size_t n = 0; n < o->inputs.size(); ++n) {
    const Schema& schema = o->inputs[n].schema;
    std::vector<int> values;
    for (size_t c = 0; c < schema.size(); ++c) {
      const Column& col = schema.column(c);
      if (std::find(on.begin(), on.end(), col.name) != on.end()) continue;
      auto [it, fresh] = owner.try_emplace(col.name, "'" + o->inputs[n].name + "'");
      if (!fresh) {
        a.Error("", "column '" + col.name + "' of '" + o->inputs[n].name + "' is also in " +
                        it->second + ": rename or drop one before the join");
        ok = false;
        continue;
      }
      values.push_back(static_cast<int>(c));
      columns->push_back(col);
    }
    o->value_columns.push_back(std::move(values));
  }
  return ok;
}

// The time: the arrival time, or a timestamp column per input ({"geo": "timestamp", ...}).
bool ResolveTimeColumns(const OperatorArgs& a, const std::set<std::string>& names, JoinOptions* o) {
  const auto time = a.config.find("time");
  if (time == a.config.end() || (time->is_string() && *time == kArrivalTime)) {
    o->time_columns.assign(o->inputs.size(), -1);
    return true;
  }
  if (!time->is_object()) {
    a.Error("time", std::string("must be \"") + kArrivalTime +
                        "\" or a timestamp column per input: {\"" + o->inputs[0].name +
                        "\": \"column\", ...}");
    return false;
  }
  bool ok = true;
  for (const auto& [name, _] : time->items()) {
    if (!names.contains(name)) {
      a.Error("time/" + name, "'" + name + "' is not an input of this pipeline");
      ok = false;
    }
  }
  for (const auto& in : o->inputs) {
    const auto column = time->find(in.name);
    if (column == time->end() || !column->is_string()) {
      a.Error("time", "names no timestamp column of '" + in.name + "'");
      ok = false;
      continue;
    }
    const int c = in.schema.Find(column->get<std::string>());
    if (c < 0) {
      a.Error("time/" + in.name,
              "'" + in.name + "' has no column '" + column->get<std::string>() + "'");
      ok = false;
    } else if (in.schema.column(c).type != Type::kTimestamp) {
      a.Error("time/" + in.name, "'" + in.schema.column(c).name + "' of '" + in.name + "' is " +
                                     ColumnTypeName(in.schema.column(c)) + ", not a timestamp");
      ok = false;
    }
    o->time_columns.push_back(c);
  }
  return ok;
}

// "within" (required: there is no sensible default bound), "max_delay" and "idle_timeout".
bool ParseJoinDurations(const OperatorArgs& a, JoinOptions* o) {
  bool ok = true;
  if (!a.config.contains("within")) {
    a.Error("",
            "a join needs \"within\": how far apart in time rows may be to join (e.g. \"10m\")");
    ok = false;
  } else if (auto within = DurationField(a, "within", 0); !within) {
    ok = false;
  } else if (*within < 0) {
    a.Error("within", "must not be negative");
    ok = false;
  } else {
    o->within_ms = *within;
  }
  auto duration = [&](const char* field, int64_t fallback) {
    auto d = DurationField(a, field, fallback);
    if (!d) ok = false;
    return d.value_or(fallback);
  };
  o->max_delay_ms = duration("max_delay", 0);
  o->idle_timeout_ms = duration("idle_timeout", kDefaultIdleTimeoutMs);
  return ok;
}

bool ParseOnce(const OperatorArgs& a, JoinOptions* o) {
  const auto once = a.config.find("once");
  if (once == a.config.end()) return true;
  if (!once->is_boolean()) {
    a.Error("once", "must be true or false");
    return false;
  }
  o->once = once->get<bool>();
  return true;
}

// Rows that find no partner: kept in a table of their own, nothing dropped. Its rows name the
// input, then hold the key columns (`key`), the row's time, the row as JSON and the reason.
std::optional<SideOutput> UnmatchedOutput(const OperatorArgs& a, std::span<const Column> key) {
  auto unmatched = StringField(a, "unmatched");
  if (!unmatched) return std::nullopt;
  if (*unmatched == "dead_letters") {
    a.Error("unmatched", "unmatched rows are not errors: name a table of their own");
    return std::nullopt;
  }
  bool ok = true;
  SideOutput side{"unmatched", *unmatched, Schema()};
  side.schema.Add(Column{"unmatched_input", Type::kString, Type::kNull, false});
  for (const Column& c : key) side.schema.Add(c);
  for (const char* name : {"unmatched_time", "unmatched_row", "unmatched_reason"}) {
    if (side.schema.Find(name) >= 0) {
      a.Error("on", std::string("a key column may not be named '") + name + "'");
      ok = false;
    }
  }
  side.schema.Add(Column{"unmatched_time", Type::kTimestamp, Type::kNull, false});
  side.schema.Add(Column{"unmatched_row", Type::kString, Type::kNull, false});
  side.schema.Add(Column{"unmatched_reason", Type::kString, Type::kNull, false});
  if (!ok) return std::nullopt;
  return side;
}

// Each pass reports all its problems before the join gives up, so one run shows them all.
std::unique_ptr<Operator> MakeJoin(const OperatorArgs& a) {
  CheckKnownFields(a, {"on", "within", "time", "once", "max_delay", "idle_timeout", "unmatched"});
  if (!a.inputs) {
    a.Error("op",
            "a join starts a pipeline with several inputs, e.g. \"from\": [\"pin\", \"geo\", "
            "\"user\"]");
    return nullptr;
  }
  JoinOptions o;
  o.inputs = *a.inputs;
  std::set<std::string> names;
  bool ok = CheckDistinctInputs(a, o.inputs, &names);
  auto on = StringListField(a, "on");
  if (!on) return nullptr;
  if (on->empty()) {
    a.Error("on", "a join needs at least one key column");
    return nullptr;
  }
  std::vector<Column> columns;  // of the joined row
  if (!ResolveKeyColumns(a, *on, &o, &columns) || !ok) return nullptr;
  ok &= ResolveValueColumns(a, *on, &o, &columns);
  ok &= ResolveTimeColumns(a, names, &o);
  ok &= ParseJoinDurations(a, &o);
  ok &= ParseOnce(a, &o);
  auto unmatched = UnmatchedOutput(a, std::span<const Column>(columns).first(on->size()));
  if (!ok || !unmatched) return nullptr;
  a.side_outputs->push_back(std::move(*unmatched));
  o.output_width = columns.size();
  *a.output = Schema(std::move(columns));
  return std::make_unique<JoinOperator>(std::move(o));
}

}  // namespace

void RegisterJoinOperator(OperatorRegistry* r) { r->Register("join", MakeJoin); }

}  // namespace pinstream
