// dedup: {"key": ["ind"]} keeps the first row of each key and drops the rest, remembering the
// keys seen in operator state (Spark's dropDuplicates on a stream).
//
// "within": "1h" (Spark's dropDuplicatesWithinWatermark) forgets a key once its time has
// passed: a row is a repeat when a row of its key came less than `within` before it (by
// arrival time, or by a timestamp column: "time": "saved_at"), and a key leaves the state at
// a batch end once the watermark (per shard, as for windows: the largest time seen minus
// `max_delay`, a silent shard idle after a minute) has reached its first time + within, so the
// state holds the keys of the last `within` only. The rule is judged against the key's stored
// first time, not against whether the cleanup has run: where batches end, and restarts, change
// no result for rows at most `max_delay` out of order.
//
// A null key column is an error (the record goes to the dead letters): a record without its
// key is no repeat of another record without one.
#include <limits>
#include <vector>

#include "common/coding.h"
#include "operators/group_table.h"
#include "operators/meta_record.h"
#include "operators/operator.h"
#include "operators/operator_config.h"
#include "operators/stream_operator.h"
#include "operators/watermark.h"

namespace pinstream {

namespace {

constexpr char kArrivalTime[] = "ApproximateArrivalTimestamp";
constexpr int64_t kIdleTimeoutMs = 60'000;  // a silent shard stops holding expiry back
// Bounds the deletes one batch end stages when the watermark jumps far (a backlog after a long
// stop); the rest go at the next batch ends. Correctness does not wait for them (see above).
constexpr size_t kMaxExpiriesPerFlush = 100'000;

// State layout, in the step's namespace. Key records are the encoded key columns, whose first
// byte is a Type (0-6), so the one-letter records below never collide with them:
//   [encoded key]                    -> ""           (without "within": the key was seen)
//   [encoded key]                    -> [time:8]     (with "within": the key's first time)
//   'e' [ordered(time + within)] [key] -> ""         (with "within": keys by expiry)
//   'm'                              -> the state's counts and the watermark (MetaRecord)
// A key stored without a time (by a dedup that had no "within" yet) counts as seen and never
// expires, so that adding "within" to a running topology lets no repeat of an old key in.
constexpr char kIndexPrefix = 'e';
constexpr char kMetaKey[] = "m";
constexpr char kFirstKeyByte = 0;
constexpr char kPastKeyBytes = static_cast<char>(static_cast<int>(Type::kArray) + 1);

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

// The key columns of `row`, encoded into `out`; a null one is an error naming it.
Status EncodeKey(const Row& row, const std::vector<int>& key, const Schema& input,
                 std::string* out) {
  out->clear();
  for (int c : key) {
    if (row[c].is_null()) {
      return Status::InvalidArgument("dedup key column '" + input.column(c).name + "' is null");
    }
    row[c].EncodeTo(out);
  }
  return Status::OK();
}

// Without "within": one row operator, one key record per key, forever.
class Dedup final : public Operator {
 public:
  Dedup(std::vector<int> key, Schema input) : key_(std::move(key)), input_(std::move(input)) {}

  void Bind(StateStore* state) override { state_ = state; }
  bool stateful() const override { return true; }

  Status Apply(Row& row, bool* keep) override {
    if (!state_) return Status::Internal("dedup used without a state store");
    RETURN_IF_ERROR(EncodeKey(row, key_, input_, &key_bytes_));
    ASSIGN_OR_RETURN(auto seen, state_->Get(key_bytes_));
    if (seen) {
      *keep = false;
      return Status::OK();
    }
    return state_->Put(key_bytes_, "");
  }

 private:
  std::vector<int> key_;
  Schema input_;
  StateStore* state_ = nullptr;  // borrowed; outlives the operator
  std::string key_bytes_;
};

struct WithinOptions {
  std::vector<int> key;
  Schema input;
  int time_column = -1;  // -1: the arrival time
  int64_t within_ms = 0;
  int64_t max_delay_ms = 0;
};

// With "within": a stream operator, so that it has a batch end to expire keys at. It emits each
// row it keeps from Process(), at once, on the row's own channel.
class DedupWithin final : public StreamOperator {
 public:
  explicit DedupWithin(WithinOptions options)
      : options_(std::move(options)), tracker_(options_.max_delay_ms, kIdleTimeoutMs) {}

  void Bind(StateStore* state) override { state_ = state; }
  bool stateful() const override { return true; }
  bool emits_in_process() const override { return true; }
  void AddChannel(const Channel& channel) override {
    declared_channels_.push_back(channel);
    tracker_.AddChannel(channel);
  }

  Status Process(const RecordContext& ctx, Row&& row, Output& out) override {
    RETURN_IF_ERROR(EncodeKey(row, options_.key, options_.input, &key_bytes_));
    int64_t t = ctx.arrival_ms;
    if (const int c = options_.time_column; c >= 0) {
      if (row[c].is_null()) {
        return Status::InvalidArgument("dedup time column '" + options_.input.column(c).name +
                                       "' is null");
      }
      t = row[c].as_timestamp_ms();
    }
    RETURN_IF_ERROR(Open());
    ASSIGN_OR_RETURN(auto seen, state_->Get(key_bytes_));
    tracker_.Observe(ctx.channel, t);
    if (seen) {
      if (seen->empty()) return Status::OK();  // seen before "within" was set: never expires
      ASSIGN_OR_RETURN(const int64_t first, DecodeTime(*seen));
      if (t < SaturatingAdd(first, options_.within_ms)) return Status::OK();  // a repeat
      // Expired, and the cleanup has not run yet: this row starts the key afresh.
      IndexKey(first, key_bytes_, &index_key_);
      RETURN_IF_ERROR(state_->Delete(index_key_));
      --meta_.keys;
      meta_.bytes -= index_key_.size();
    } else {
      ++meta_.keys;
      meta_.bytes += key_bytes_.size() + sizeof(uint64_t);
    }
    value_.clear();
    PutFixed64BE(&value_, static_cast<uint64_t>(t));
    RETURN_IF_ERROR(state_->Put(key_bytes_, value_));
    IndexKey(t, key_bytes_, &index_key_);
    RETURN_IF_ERROR(state_->Put(index_key_, ""));
    ++meta_.keys;
    meta_.bytes += index_key_.size();
    return out.Emit(std::move(row));
  }

  Status Flush(const BatchContext& ctx, Output&) override {
    RETURN_IF_ERROR(Open());
    tracker_.Tick(ctx.now_ms);
    RETURN_IF_ERROR(Expire());
    return meta_.Stage(state_, tracker_);
  }

  StateStats state_stats() const override { return meta_.stats(); }

  void DiscardCache() override { opened_ = false; }

 private:
  // Reads the watermark and the state's counts (once, and again after an aborted batch). Only a
  // state without a meta record is counted by a scan: the keys a dedup without "within" left.
  Status Open() {
    if (opened_) return Status::OK();
    if (!state_) return Status::Internal("dedup used without a state store");
    WatermarkTracker fresh(options_.max_delay_ms, kIdleTimeoutMs);
    ASSIGN_OR_RETURN(const bool found, meta_.Load(state_, &fresh, "dedup"));
    // Channels declared before the state was read keep holding the watermark back.
    for (const Channel& c : declared_channels_) fresh.AddChannel(c);
    tracker_ = std::move(fresh);
    if (!found) {
      const std::string begin(1, kFirstKeyByte), end(1, kPastKeyBytes);
      RETURN_IF_ERROR(state_->Scan(begin, end, [&](std::string_view k, std::string_view v) {
        ++meta_.keys;
        meta_.bytes += k.size() + v.size();
        return true;
      }));
    }
    opened_ = true;
    return Status::OK();
  }

  // Deletes the keys whose first time + within the watermark has reached, and their index
  // entries: no row still to come (at most max_delay out of order) is a repeat of them.
  Status Expire() {
    const int64_t watermark = tracker_.watermark();
    if (watermark == WatermarkTracker::kNoTime) return Status::OK();
    std::string begin(1, kIndexPrefix), end(1, kIndexPrefix);
    PutOrderedInt64(&end, SaturatingAdd(watermark, 1));
    due_.clear();
    RETURN_IF_ERROR(state_->Scan(begin, end, [&](std::string_view k, std::string_view) {
      due_.emplace_back(k);
      return due_.size() < kMaxExpiriesPerFlush;
    }));
    for (const std::string& index_key : due_) {
      const std::string_view key = std::string_view(index_key).substr(1 + sizeof(uint64_t));
      RETURN_IF_ERROR(state_->Delete(index_key));
      RETURN_IF_ERROR(state_->Delete(key));
      meta_.keys -= 2;
      meta_.bytes -= index_key.size() + key.size() + sizeof(uint64_t);
    }
    return Status::OK();
  }

  void IndexKey(int64_t first, std::string_view key, std::string* out) const {
    out->assign(1, kIndexPrefix);
    PutOrderedInt64(out, SaturatingAdd(first, options_.within_ms));
    out->append(key);
  }

  static Result<int64_t> DecodeTime(std::string_view value) {
    Decoder d(value);
    uint64_t t = 0;
    if (!d.GetFixed64BE(&t) || !d.empty()) {
      return Status::Corruption("malformed dedup state: a key's first time");
    }
    return static_cast<int64_t>(t);
  }

  WithinOptions options_;
  WatermarkTracker tracker_;
  StateStore* state_ = nullptr;  // borrowed; outlives the operator
  bool opened_ = false;
  std::vector<Channel> declared_channels_;
  MetaRecord meta_{kMetaKey};  // counts the key records and index entries
  std::vector<std::string> due_;
  std::string key_bytes_, index_key_, value_;  // reused
};

std::unique_ptr<Operator> MakeDedup(const OperatorArgs& a) {
  CheckKnownFields(a, {"key", "within", "time", "max_delay"});
  auto key = InputColumns(a, "key");
  if (!key) return nullptr;
  *a.output = a.input;
  if (!a.config.contains("within")) {
    for (const char* field : {"time", "max_delay"}) {
      if (a.config.contains(field)) {
        a.Error(field, "applies only with \"within\" (keys without it never expire)");
        return nullptr;
      }
    }
    return std::make_unique<Dedup>(std::move(*key), a.input);
  }
  WithinOptions o;
  o.key = std::move(*key);
  o.input = a.input;
  bool ok = true;
  if (auto within = DurationField(a, "within", 0); !within) {
    ok = false;
  } else if (*within <= 0) {
    a.Error("within", "must be a positive duration");
    ok = false;
  } else {
    o.within_ms = *within;
  }
  if (auto delay = DurationField(a, "max_delay", 0); !delay) {
    ok = false;
  } else if (*delay < 0) {
    a.Error("max_delay", "must not be negative");
    ok = false;
  } else {
    o.max_delay_ms = *delay;
  }
  if (auto time = a.config.find("time"); time != a.config.end()) {
    if (!time->is_string()) {
      a.Error("time", std::string("must be a timestamp column or \"") + kArrivalTime + "\"");
      ok = false;
    } else if (*time != kArrivalTime) {
      const std::string name = time->get<std::string>();
      const int c = a.input.Find(name);
      if (c < 0) {
        a.Error("time", "unknown column '" + name + "'");
        ok = false;
      } else if (a.input.column(c).type != Type::kTimestamp) {
        a.Error("time",
                "'" + name + "' is " + ColumnTypeName(a.input.column(c)) + ", not a timestamp");
        ok = false;
      } else {
        o.time_column = c;
      }
    }
  }
  if (!ok) return nullptr;
  return std::make_unique<DedupWithin>(std::move(o));
}

}  // namespace

void RegisterDedupOperator(OperatorRegistry* r) { r->Register("dedup", MakeDedup); }

}  // namespace pinstream
