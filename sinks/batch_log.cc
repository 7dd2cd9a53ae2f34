#include "sinks/batch_log.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch_base.h>

#include "common/coding.h"
#include "common/rocksdb_status.h"
#include "common/time_format.h"

namespace pinstream {

namespace {

constexpr char kBatchPrefix[] = "batch/";
constexpr char kOffsetsPrefix[] = "offsets/";
constexpr char kUndoPrefix[] = "undo/";
constexpr char kFloorPrefix[] = "rewind_floor/";
constexpr char kRewindingPrefix[] = "rewinding/";
constexpr char kWritingAheadPrefix[] = "writing_ahead/";
constexpr size_t kIdSize = 8;
// Batch ids stay below 2^56, so a topology's keys all start [prefix] 0x00, below the keys of a
// topology whose name extends this one's ("a" and "a/b": [prefix] 'b' ...): ranges bounded by
// kMaxId never reach into another topology's keys.
constexpr int64_t kMaxId = (int64_t{1} << 56) - 1;

std::string Prefix(const char* kind, std::string_view topology) {
  return std::string(kind) + std::string(topology) + "/";
}

std::string IdKey(std::string prefix, int64_t id) {
  PutFixed64BE(&prefix, static_cast<uint64_t>(id));
  return prefix;
}

// A key of `prefix` [id:8], and not of a topology whose name extends this one's.
bool IsIdKey(const rocksdb::Slice& key, const std::string& prefix) {
  return key.size() == prefix.size() + kIdSize && key.starts_with(prefix);
}

// An undo log's key, `prefix` [id:8] or `prefix` [id:8] [part:8]; its batch id. A topology
// whose name extends this one's has a name byte where the id's first byte (always 0) is.
std::optional<int64_t> UndoIdOf(const rocksdb::Slice& key, const std::string& prefix) {
  if (!key.starts_with(prefix) ||
      (key.size() != prefix.size() + kIdSize && key.size() != prefix.size() + 2 * kIdSize) ||
      key[prefix.size()] != 0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(DecodeFixed64BE(key.data() + prefix.size()));
}

}  // namespace

nlohmann::json OffsetsToJson(const Offsets& offsets) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [stream, shards] : offsets) j[stream] = shards;
  return j;
}

Result<Offsets> OffsetsFromJson(const nlohmann::json& j) {
  try {
    return j.get<Offsets>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed offsets: ") + e.what());
  }
}

nlohmann::ordered_json BatchRecord::ToJson() const {
  nlohmann::ordered_json j;
  j["batch_id"] = batch_id;
  j["time"] = FormatIso8601(time_ms);
  j["offsets"] = OffsetsToJson(offsets);
  nlohmann::json arrived = nlohmann::json::object();
  for (const auto& [stream, shards] : arrivals) {
    for (const auto& [shard, ms] : shards) arrived[stream][shard] = FormatIso8601(ms);
  }
  j["arrivals"] = std::move(arrived);
  j["incarnations"] = incarnations;
  j["tables"] = tables;
  return j;
}

Result<BatchRecord> BatchRecord::FromJson(std::string_view topology, const nlohmann::json& j) {
  BatchRecord r;
  r.topology = topology;
  try {
    r.batch_id = j.at("batch_id").get<int64_t>();
    ASSIGN_OR_RETURN(r.time_ms, ParseTimestampMillis(j.at("time").get<std::string>()));
    ASSIGN_OR_RETURN(r.offsets, OffsetsFromJson(j.at("offsets")));
    const nlohmann::json arrivals = j.value("arrivals", nlohmann::json::object());
    for (const auto& [stream, shards] : arrivals.items()) {
      for (const auto& [shard, time] : shards.items()) {
        ASSIGN_OR_RETURN(r.arrivals[stream][shard], ParseTimestampMillis(time.get<std::string>()));
      }
    }
    r.incarnations = j.value("incarnations", Incarnations());
    r.tables = j.at("tables").get<std::map<std::string, int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("malformed batch record of topology '" + std::string(topology) +
                              "': " + e.what());
  }
  return r;
}

nlohmann::ordered_json BatchTrimStats::ToJson() const {
  nlohmann::ordered_json j;
  j["topology"] = topology;
  j["oldest_batch_before"] = oldest_batch_before;
  j["oldest_batch"] = oldest_batch;
  j["batches_removed"] = batches_removed;
  j["undo_logs_removed"] = undo_logs_removed;
  j["bytes_removed"] = bytes_removed;
  if (!skipped.empty()) j["skipped"] = skipped;
  return j;
}

std::string BatchLog::OffsetsKey(std::string_view topology) {
  return std::string(kOffsetsPrefix) + std::string(topology);
}
std::string BatchLog::BatchKey(std::string_view topology, int64_t batch_id) {
  return IdKey(Prefix(kBatchPrefix, topology), batch_id);
}
std::string BatchLog::UndoKey(std::string_view topology, int64_t batch_id) {
  return IdKey(Prefix(kUndoPrefix, topology), batch_id);
}
std::string BatchLog::UndoPartKey(std::string_view topology, int64_t batch_id, int64_t part) {
  return IdKey(UndoKey(topology, batch_id), part);
}
std::string BatchLog::WritingAheadKey(std::string_view topology) {
  return std::string(kWritingAheadPrefix) + std::string(topology);
}
std::string BatchLog::RewindingKey(std::string_view topology) {
  return std::string(kRewindingPrefix) + std::string(topology);
}

Result<BatchRecord> BatchLog::Parse(std::string_view topology, std::string_view value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded()) {
    return Status::Corruption("malformed batch record of topology '" + std::string(topology) + "'");
  }
  return BatchRecord::FromJson(topology, j);
}

Result<BatchRecord> BatchLog::Read(std::string_view topology, int64_t batch_id) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, BatchKey(topology, batch_id), &value);
  if (s.IsNotFound()) {
    return Status::InvalidArgument("topology '" + std::string(topology) + "' has no batch " +
                                   std::to_string(batch_id));
  }
  RETURN_IF_ERROR(FromRocks(s, "reading a batch record"));
  records_read_.fetch_add(1, std::memory_order_relaxed);
  return Parse(topology, value);
}

Status BatchLog::VisitNewestFirst(std::string_view topology,
                                  const std::function<bool(BatchRecord&&)>& visit) const {
  const std::string prefix = Prefix(kBatchPrefix, topology);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->SeekForPrev(IdKey(prefix, kMaxId)); it->Valid() && it->key().starts_with(prefix);
       it->Prev()) {
    if (!IsIdKey(it->key(), prefix)) continue;
    records_read_.fetch_add(1, std::memory_order_relaxed);
    ASSIGN_OR_RETURN(BatchRecord record, Parse(topology, it->value().ToStringView()));
    if (!visit(std::move(record))) return Status::OK();
  }
  return FromRocks(it->status(), "reading batches");
}

Status BatchLog::VisitUndoNewestFirst(
    std::string_view topology, int64_t after, int64_t upto,
    const std::function<Status(int64_t, std::string_view, std::string_view)>& visit) const {
  const std::string prefix = Prefix(kUndoPrefix, topology);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  // From the last part of `upto`'s log (a part's key extends the batch's).
  for (it->SeekForPrev(IdKey(IdKey(prefix, upto), kMaxId));
       it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    const std::optional<int64_t> id = UndoIdOf(it->key(), prefix);
    if (!id) continue;
    if (*id <= after) break;
    RETURN_IF_ERROR(visit(*id, it->key().ToStringView(), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "reading the undo log");
}

Status BatchLog::StageDeleteBatchesAfter(std::string_view topology, int64_t after, int64_t upto,
                                         rocksdb::WriteBatchBase* batch) const {
  if (upto <= after) return Status::OK();
  return FromRocks(
      batch->DeleteRange(meta_, BatchKey(topology, after + 1), BatchKey(topology, upto + 1)),
      "staging the rewind");
}

Result<std::optional<int64_t>> BatchLog::RewindFloor(std::string_view topology) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_,
                    std::string(kFloorPrefix) + std::string(topology), &value);
  if (s.IsNotFound()) return std::optional<int64_t>();
  RETURN_IF_ERROR(FromRocks(s, "reading the rewind floor"));
  if (value.size() != kIdSize) return Status::Corruption("malformed rewind floor");
  return std::optional<int64_t>(static_cast<int64_t>(DecodeFixed64BE(value.data())));
}

Result<std::optional<RewindInProgress>> BatchLog::Rewinding(std::string_view topology) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, RewindingKey(topology), &value);
  if (s.IsNotFound()) return std::optional<RewindInProgress>();
  RETURN_IF_ERROR(FromRocks(s, "reading the rewind marker"));
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("to") || !j.contains("state_at") ||
      !j["to"].is_number_integer() || !j["state_at"].is_number_integer()) {
    return Status::Corruption("malformed rewind marker of topology '" + std::string(topology) +
                              "'");
  }
  return std::optional<RewindInProgress>(
      RewindInProgress{j["to"].get<int64_t>(), j["state_at"].get<int64_t>()});
}

Result<std::vector<std::pair<std::string, int64_t>>> BatchLog::WritingAhead() const {
  std::vector<std::pair<std::string, int64_t>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(kWritingAheadPrefix); it->Valid() && it->key().starts_with(kWritingAheadPrefix);
       it->Next()) {
    if (it->value().size() != kIdSize) return Status::Corruption("malformed write-ahead marker");
    out.emplace_back(it->key().ToString().substr(sizeof(kWritingAheadPrefix) - 1),
                     static_cast<int64_t>(DecodeFixed64BE(it->value().data())));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading write-ahead markers"));
  return out;
}

Status BatchLog::StageWritingAhead(std::string_view topology, int64_t batch_id,
                                   rocksdb::WriteBatchBase* batch) const {
  std::string value;
  PutFixed64BE(&value, static_cast<uint64_t>(batch_id));
  return FromRocks(batch->Put(meta_, WritingAheadKey(topology), value),
                   "staging the write-ahead marker");
}

Status BatchLog::StageRewinding(std::string_view topology, const RewindInProgress& r,
                                rocksdb::WriteBatchBase* batch) const {
  nlohmann::json j = {{"to", r.to}, {"state_at", r.state_at}};
  return FromRocks(batch->Put(meta_, RewindingKey(topology), j.dump()), "staging the rewind");
}

Result<BatchTrimStats> BatchLog::StageTrim(std::string_view topology, int64_t cutoff_ms,
                                           bool dry_run, rocksdb::WriteBatchBase* batch) const {
  BatchTrimStats stats;
  stats.topology = topology;
  ASSIGN_OR_RETURN(std::optional<int64_t> floor, RewindFloor(topology));
  stats.oldest_batch_before = stats.oldest_batch = floor.value_or(0);
  ASSIGN_OR_RETURN(auto rewinding, Rewinding(topology));
  if (rewinding) {
    stats.skipped = "a rewind is half written: finish it with offsets reset --rewind-tables";
    return stats;
  }
  // The batch current at the cutoff: the newest committed at or before it. The records before
  // it go; the iteration starts at the floor, so each record is read about once in its life.
  const std::string prefix = Prefix(kBatchPrefix, topology);
  const std::string end = IdKey(prefix, kMaxId);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, meta_));
  std::optional<int64_t> keep;
  int64_t first = -1, pending_bytes = 0;
  for (it->Seek(IdKey(prefix, floor.value_or(0))); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    if (!IsIdKey(it->key(), prefix)) continue;
    ASSIGN_OR_RETURN(BatchRecord record, Parse(topology, it->value().ToStringView()));
    records_read_.fetch_add(1, std::memory_order_relaxed);
    if (record.time_ms > cutoff_ms) break;
    if (keep) {
      ++stats.batches_removed;
      stats.bytes_removed += pending_bytes;
    } else {
      first = record.batch_id;
    }
    keep = record.batch_id;
    pending_bytes = static_cast<int64_t>(it->key().size() + it->value().size());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading batches"));
  if (!keep || (floor && *keep <= *floor)) return stats;
  stats.oldest_batch = *keep;
  // The undo logs up to the kept batch's own: a rewind to it needs only the later ones.
  RETURN_IF_ERROR(VisitUndoNewestFirst(topology, floor.value_or(0) - 1, *keep,
                                       [&](int64_t, std::string_view key, std::string_view log) {
                                         ++stats.undo_logs_removed;
                                         stats.bytes_removed +=
                                             static_cast<int64_t>(key.size() + log.size());
                                         return Status::OK();
                                       }));
  if (dry_run) return stats;
  if (first >= 0 && first < *keep) {
    RETURN_IF_ERROR(
        FromRocks(batch->DeleteRange(meta_, BatchKey(topology, first), BatchKey(topology, *keep)),
                  "staging the trim of batch records"));
  }
  RETURN_IF_ERROR(
      FromRocks(batch->DeleteRange(meta_, UndoKey(topology, 0), UndoKey(topology, *keep + 1)),
                "staging the trim of undo logs"));
  std::string value;
  PutFixed64BE(&value, static_cast<uint64_t>(*keep));
  RETURN_IF_ERROR(
      FromRocks(batch->Put(meta_, std::string(kFloorPrefix) + std::string(topology), value),
                "staging the rewind floor"));
  return stats;
}

}  // namespace pinstream
