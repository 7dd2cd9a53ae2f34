#include "stream/stream_store.h"

#include <rocksdb/db.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <unordered_map>

#include "common/coding.h"
#include "common/rocksdb_logger.h"
#include "common/rocksdb_status.h"
#include "stream/aws_errors.h"
#include "stream/reshard_plan.h"
#include "stream/shard_iterator.h"
#include "stream/stream_settings_codec.h"
#include "stream/stream_types.h"

namespace pinstream {

namespace {

constexpr char kRecordsFamily[] = "records";
constexpr char kStreamPrefix[] = "stream/";
constexpr char kTrimPrefix[] = "trim/";
constexpr char kLastPrefix[] = "last/";
constexpr char kSettingsPrefix[] = "settings/";
constexpr char kNextStreamIdKey[] = "next_stream_id";
constexpr char kIteratorSecretKey[] = "iterator_secret";
// How often a failed store retries resuming writes (DB::Resume flushes; not on every request).
constexpr int64_t kResumeIntervalMs = 1'000;

// Records are keyed (stream id, shard, counter), all big-endian: one shard is one contiguous,
// ordered key range.
constexpr size_t kRecordKeySize = 16;
struct RecordKey {
  char bytes[kRecordKeySize];
  RecordKey(uint32_t stream_id, uint32_t shard, uint64_t counter) {
    EncodeFixed32BE(bytes, stream_id);
    EncodeFixed32BE(bytes + 4, shard);
    EncodeFixed64BE(bytes + 8, counter);
  }
  rocksdb::Slice slice() const { return rocksdb::Slice(bytes, kRecordKeySize); }
};

// Per-shard metadata keys: "trim/" holds the trim horizon, "last/" the newest counter issued
// (records can age out of the store entirely; their counters must never be issued again).
std::string ShardMetaKey(const char* prefix, uint32_t stream_id, uint32_t shard) {
  std::string k = prefix;
  PutFixed32BE(&k, stream_id);
  PutFixed32BE(&k, shard);
  return k;
}

std::string TrimKey(uint32_t stream_id, uint32_t shard) {
  return ShardMetaKey(kTrimPrefix, stream_id, shard);
}
std::string LastKey(uint32_t stream_id, uint32_t shard) {
  return ShardMetaKey(kLastPrefix, stream_id, shard);
}
// A stream's settings live under its id, not its name: a stream created again under a deleted
// one's name never finds the old settings, even if their deletion were lost.
std::string SettingsKey(uint32_t stream_id) {
  std::string k = kSettingsPrefix;
  PutFixed32BE(&k, stream_id);
  return k;
}

// FIFO compaction drops a records file once its oldest record is this old: past every stream's
// retention, with the margin that TrimExpired's flushes leave (see there).
uint64_t RecordsTtlSeconds(int64_t max_retention_ms) {
  return static_cast<uint64_t>(std::max<int64_t>(1, max_retention_ms * 3 / 2000));
}

// Reads a fixed64 value of the metadata family; `fallback` when absent.
uint64_t GetCounter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                    uint64_t fallback) {
  std::string value;
  auto s = db->Get(rocksdb::ReadOptions(), cf, key, &value);
  return s.ok() && value.size() == 8 ? DecodeFixed64BE(value.data()) : fallback;
}

// Record values: arrival time (fixed64), partition key (length-prefixed), then the data.
bool DecodeRecordValue(rocksdb::Slice value, int64_t* arrival_ms, std::string_view* pk,
                       std::string_view* data) {
  Decoder d(std::string_view(value.data(), value.size()));
  uint64_t arrival;
  if (!d.GetFixed64BE(&arrival) || !d.GetLengthPrefixed(pk)) return false;
  *arrival_ms = static_cast<int64_t>(arrival);
  *data = d.rest();
  return true;
}

// The memtable insert hint's prefix: the stream id and shard index that lead a record's key.
// RocksDB 7.8 keys its hints by prefix alone, for a memtable's point entries and range tombstones
// alike, and a hint taken from one used on the other corrupts the skip list (a debug build
// asserts). DeleteStream's tombstone starts at counter 0, which no record has (counters start at
// 1), so only records are in the domain.
class ShardOfRecord : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "pinstream.ShardOfRecord"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() == kRecordKeySize && DecodeFixed64BE(key.data() + 8) != 0;
  }
};

int64_t ArrivalOf(rocksdb::Slice value) {
  return value.size() >= 8 ? static_cast<int64_t>(DecodeFixed64BE(value.data())) : 0;
}

}  // namespace

// A shard's live bounds. The hash range is fixed at creation; the counters only grow. A reshard
// closes a shard under both of the store's locks, and nothing is written to it after.
struct ShardState {
  ShardDescription desc;                   // desc.ending_counter: GUARDED_BY(Impl::meta_mu)
  std::atomic<uint64_t> first_counter{1};  // trim horizon: the oldest readable record
  std::atomic<uint64_t> last_counter{0};   // the newest visible record
  std::atomic<int64_t> last_arrival_ms{0};
  // The last counter once closed (desc.ending_counter, for readers that hold no lock).
  std::atomic<uint64_t> ending_counter{kOpenShard};
  // Traffic (StreamStore::Metrics); readers count theirs through a const shard.
  std::atomic<uint64_t> incoming_records{0};  // written under write_mu
  std::atomic<uint64_t> incoming_bytes{0};
  mutable std::atomic<uint64_t> get_records_calls{0};
  mutable std::atomic<uint64_t> outgoing_records{0};
  mutable std::atomic<uint64_t> outgoing_bytes{0};
  mutable std::atomic<int64_t> iterator_age_ms{0};
  std::atomic<uint64_t> trimmed_records{0};  // written under trim_mu

  static constexpr uint64_t kOpenShard = UINT64_MAX;
};

// A stream's shards as one reshard left them. Immutable: a reshard builds a new table, so a
// reader holding one sees a consistent set.
struct ShardTable {
  std::vector<std::shared_ptr<ShardState>> by_index;  // every shard, open and closed
  std::vector<ShardState*> open;                      // sorted by starting hash key

  ShardState* Route(HashKey h) const {
    auto it = std::upper_bound(open.begin(), open.end(), h, [](HashKey k, const ShardState* s) {
      return k < s->desc.starting_hash_key;
    });
    return *std::prev(it);
  }
  const ShardState* Find(uint32_t index) const {
    return index < by_index.size() ? by_index[index].get() : nullptr;
  }
  void IndexOpenShards() {
    open.clear();
    for (const auto& s : by_index) {
      if (s->desc.open()) open.push_back(s.get());
    }
    std::sort(open.begin(), open.end(), [](const ShardState* a, const ShardState* b) {
      return a->desc.starting_hash_key < b->desc.starting_hash_key;
    });
  }
};

// Immutable after creation but for the shard table, the shards' atomic counters and the
// settings; shared by readers, which may keep it past a DeleteStream (the id is never reused, so
// they only see a vanished stream).
struct StreamState {
  std::string name;
  uint32_t id = 0;
  int64_t created_ms = 0;
  int64_t active_ms = 0;  // CREATING until then (Options::create_stream_ms)
  // Replaced whole by a reshard, which holds both meta_mu and write_mu: either lock reads it.
  std::shared_ptr<const ShardTable> shards;
  StreamSettings settings;        // GUARDED_BY(Impl::meta_mu)
  int64_t updating_until_ms = 0;  // GUARDED_BY(Impl::meta_mu): UPDATING until then

  StreamStatus Status(int64_t now_ms) const {
    if (now_ms < active_ms) return StreamStatus::kCreating;
    if (now_ms < updating_until_ms) return StreamStatus::kUpdating;
    return StreamStatus::kActive;
  }
};

// A deleted stream, listed as DELETING until Options::delete_stream_ms has passed. Its records
// and metadata are gone already: only its name is held.
struct DeletingStream {
  StreamDescription description;
  int64_t gone_ms = 0;
};

// The JSON of a stream's metadata key: its id, creation time and shards with their lineage.
nlohmann::json StreamMetaJson(const StreamState& stream, const ShardTable& table) {
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& shard : table.by_index) {
    const ShardDescription& d = shard->desc;
    nlohmann::json j = {{"index", d.index},
                        {"start", HashKeyToString(d.starting_hash_key)},
                        {"end", HashKeyToString(d.ending_hash_key)}};
    if (d.parent) j["parent"] = *d.parent;
    if (d.adjacent_parent) j["adjacent_parent"] = *d.adjacent_parent;
    if (d.ending_counter) j["ending"] = *d.ending_counter;
    if (d.created_ms != stream.created_ms) j["created_ms"] = d.created_ms;
    if (d.closed_ms != 0) j["closed_ms"] = d.closed_ms;
    shards.push_back(std::move(j));
  }
  return {{"id", stream.id}, {"created_ms", stream.created_ms}, {"shards", std::move(shards)}};
}

// The description of a stream as of `now_ms`. Called under meta_mu (either mode).
StreamDescription Describe(const StreamState& stream, const ShardTable& shards, int64_t now_ms) {
  StreamDescription d;
  d.name = stream.name;
  d.status = stream.Status(now_ms);
  d.id = stream.id;
  d.created_ms = stream.created_ms;
  d.settings = stream.settings;
  d.retention_ms = d.settings.retention_ms;
  for (const auto& shard : shards.by_index) {
    ShardDescription s = shard->desc;
    s.first_counter = shard->first_counter.load();
    s.last_counter = shard->last_counter.load();
    d.shards.push_back(s);
  }
  return d;
}

// ResourceInUse for a reshard or settings change of a stream that is not ACTIVE.
Status NotActive(const StreamState& stream, int64_t now_ms) {
  return StreamNotActive(stream.name, StreamStatusName(stream.Status(now_ms)));
}

struct StreamStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta_cf = nullptr;  // owned by db
  rocksdb::ColumnFamilyHandle* records_cf = nullptr;
  rocksdb::WriteOptions write_options;

  mutable std::shared_mutex meta_mu;
  std::map<std::string, std::shared_ptr<StreamState>, std::less<>> by_name;  // GUARDED_BY(meta_mu)
  std::unordered_map<uint32_t, std::shared_ptr<StreamState>> by_id;          // GUARDED_BY(meta_mu)
  std::map<std::string, DeletingStream, std::less<>> deleting;               // GUARDED_BY(meta_mu)
  uint32_t next_stream_id = 1;                                               // GUARDED_BY(meta_mu)
  int64_t last_created_ms = 0;                                               // GUARDED_BY(meta_mu)

  std::unique_ptr<IteratorSigner> signer;

  // Serializes record writes so that counters are assigned in the order records become visible.
  std::mutex write_mu;
  // Sticky until DB::Resume succeeds: once a write fails, later writes fail without trying.
  Status write_error;          // GUARDED_BY(write_mu)
  int64_t last_resume_ms = 0;  // GUARDED_BY(write_mu)

  std::mutex trim_mu;
  int64_t last_flush_ms = 0;  // GUARDED_BY(trim_mu)

  ~Impl() {
    if (db) {
      db->DestroyColumnFamilyHandle(records_cf);
      db->DestroyColumnFamilyHandle(meta_cf);
    }
  }

  // A stream and its shards as they were at one instant.
  struct StreamRef {
    std::shared_ptr<StreamState> stream;
    std::shared_ptr<const ShardTable> shards;
    explicit operator bool() const { return stream != nullptr; }
    StreamState* operator->() const { return stream.get(); }
  };

  StreamRef FindByName(std::string_view name) const {
    std::shared_lock lock(meta_mu);
    auto it = by_name.find(name);
    if (it == by_name.end()) return {};
    return {it->second, it->second->shards};
  }

  StreamRef FindById(uint32_t id) const {
    std::shared_lock lock(meta_mu);
    auto it = by_id.find(id);
    if (it == by_id.end()) return {};
    return {it->second, it->second->shards};
  }

  // A stream that takes records and reads: not CREATING (Kinesis answers as if it did not
  // exist yet), nor deleted.
  Result<StreamRef> FindUsable(std::string_view name, int64_t now_ms) const {
    StreamRef ref = FindByName(name);
    if (!ref || ref->Status(now_ms) == StreamStatus::kCreating) {
      return StreamNotFound(name);
    }
    return ref;
  }

  // Forgets the deleted streams whose DELETING time is over. Called under meta_mu (unique).
  void ForgetDeleted(int64_t now_ms) {
    std::erase_if(deleting, [&](const auto& d) { return d.second.gone_ms <= now_ms; });
  }

  // Applies `plan` to `stream`: closes shards at their last counters and adds the new ones, in
  // one durable metadata write. Called under meta_mu (unique).
  Status ApplyReshard(StreamState* stream, const ReshardPlan& plan, int64_t now_ms);

  // Reads the arrival time of a record; nullopt when it is gone.
  std::optional<int64_t> ArrivalAt(uint32_t stream_id, uint32_t shard, uint64_t counter) const {
    rocksdb::PinnableSlice value;
    RecordKey key(stream_id, shard, counter);
    if (!db->Get(rocksdb::ReadOptions(), records_cf, key.slice(), &value).ok()) return std::nullopt;
    return ArrivalOf(value);
  }

  // The first counter in [lo, hi] whose record arrived at or after `ts`, or hi + 1. Arrival
  // times never decrease within a shard, so a binary search over counters finds it.
  uint64_t LowerBoundByTime(uint32_t stream_id, uint32_t shard, uint64_t lo, uint64_t hi,
                            int64_t ts) const {
    uint64_t end = hi + 1;
    while (lo < end) {
      uint64_t mid = lo + (end - lo) / 2;
      auto arrival = ArrivalAt(stream_id, shard, mid);
      if (arrival && *arrival >= ts) {
        end = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  Status LoadStream(std::string_view name, const std::string& json, int64_t default_retention_ms);
  // Fits the records family's FIFO age-out to the longest retention of any stream. Called under
  // meta_mu (either mode).
  Status FitRecordsTtl(int64_t default_retention_ms);
  Status RecoverCounters(StreamState* stream);
  Status LoadIteratorSecret(int64_t iterator_lifetime_ms);

  // Records a failed write; the caller answers with the returned status.
  Status WriteFailed(const rocksdb::Status& s, std::string_view what);
  // OK when writes may go on: none failed, or the database resumed. Called under write_mu.
  Status ResumeWrites(int64_t now_ms);
  // Writes a metadata batch under write_mu, with the same failure handling as records.
  Status WriteMeta(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* batch, int64_t now_ms,
                   std::string_view what);
};

Status StreamStore::Impl::WriteMeta(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* batch,
                                    int64_t now_ms, std::string_view what) {
  std::lock_guard lock(write_mu);
  RETURN_IF_ERROR(ResumeWrites(now_ms));
  auto s = db->Write(wo, batch);
  if (!s.ok()) return WriteFailed(s, what);
  return Status::OK();
}

Status StreamStore::Impl::LoadIteratorSecret(int64_t iterator_lifetime_ms) {
  std::string secret;
  auto s = db->Get(rocksdb::ReadOptions(), meta_cf, kIteratorSecretKey, &secret);
  if (s.IsNotFound()) {
    ASSIGN_OR_RETURN(secret, IteratorSigner::NewSecret());
    rocksdb::WriteOptions wo;
    wo.sync = true;  // iterators handed out must stay valid across a crash
    RETURN_IF_ERROR(FromRocks(db->Put(wo, meta_cf, kIteratorSecretKey, secret),
                              "storing the shard iterator secret"));
  } else {
    RETURN_IF_ERROR(FromRocks(s, "reading the shard iterator secret"));
  }
  if (secret.size() != IteratorSigner::kSecretBytes) {
    return Status::Corruption("the shard iterator secret has " + std::to_string(secret.size()) +
                              " bytes");
  }
  signer = std::make_unique<IteratorSigner>(std::move(secret), iterator_lifetime_ms);
  return Status::OK();
}

Status StreamStore::Impl::WriteFailed(const rocksdb::Status& s, std::string_view what) {
  const bool first = write_error.ok();
  write_error = Status::Unavailable(std::string(what) + " failed (" + s.ToString() +
                                    "); writes are refused until the store recovers");
  if (first) spdlog::error("stream store write failed; refusing writes error={}", s.ToString());
  return write_error;
}

Status StreamStore::Impl::ResumeWrites(int64_t now_ms) {
  if (write_error.ok()) return Status::OK();
  if (now_ms - last_resume_ms < kResumeIntervalMs) return write_error;
  last_resume_ms = now_ms;
  // Busy while RocksDB's own recovery (which waits for free space) is under way.
  if (!db->Resume().ok()) return write_error;
  spdlog::info("stream store writes resumed after error={}", write_error.message());
  write_error = Status::OK();
  return Status::OK();
}

Status StreamStore::Impl::LoadStream(std::string_view name, const std::string& text,
                                     int64_t default_retention_ms) {
  auto stream = std::make_shared<StreamState>();
  try {
    auto j = nlohmann::json::parse(text);
    stream->name = name;
    stream->id = j.at("id").get<uint32_t>();
    stream->created_ms = j.at("created_ms").get<int64_t>();
    auto table = std::make_shared<ShardTable>();
    for (const auto& s : j.at("shards")) {
      auto shard = std::make_shared<ShardState>();
      shard->desc.index = s.at("index").get<uint32_t>();
      if (shard->desc.index != table->by_index.size()) {
        return Status::Corruption("stream metadata of '" + std::string(name) +
                                  "': shards out of order");
      }
      ASSIGN_OR_RETURN(shard->desc.starting_hash_key,
                       ParseHashKey(s.at("start").get<std::string>()));
      ASSIGN_OR_RETURN(shard->desc.ending_hash_key, ParseHashKey(s.at("end").get<std::string>()));
      if (s.contains("parent")) shard->desc.parent = s["parent"].get<uint32_t>();
      if (s.contains("adjacent_parent")) {
        shard->desc.adjacent_parent = s["adjacent_parent"].get<uint32_t>();
      }
      shard->desc.created_ms = s.value("created_ms", stream->created_ms);
      shard->desc.closed_ms = s.value("closed_ms", int64_t{0});
      if (s.contains("ending")) {
        shard->desc.ending_counter = s["ending"].get<uint64_t>();
        shard->ending_counter = *shard->desc.ending_counter;
      }
      table->by_index.push_back(std::move(shard));
    }
    table->IndexOpenShards();
    stream->shards = std::move(table);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("stream metadata of '" + std::string(name) + "': " + e.what());
  }
  std::string settings;
  auto s = db->Get(rocksdb::ReadOptions(), meta_cf, SettingsKey(stream->id), &settings);
  if (s.ok()) {
    ASSIGN_OR_RETURN(stream->settings, DecodeStreamSettings(settings));
  } else if (!s.IsNotFound()) {  // a stream of an older build has none: the defaults
    return FromRocks(s, "reading the settings of stream " + std::string(name));
  }
  if (stream->settings.retention_ms == 0) stream->settings.retention_ms = default_retention_ms;
  RETURN_IF_ERROR(RecoverCounters(stream.get()));
  next_stream_id = std::max(next_stream_id, stream->id + 1);
  last_created_ms = std::max(last_created_ms, stream->created_ms);
  by_id[stream->id] = stream;
  by_name[stream->name] = std::move(stream);
  return Status::OK();
}

Status StreamStore::Impl::FitRecordsTtl(int64_t default_retention_ms) {
  int64_t longest = default_retention_ms;
  for (const auto& [_, stream] : by_id) longest = std::max(longest, stream->settings.retention_ms);
  return FromRocks(
      db->SetOptions(records_cf, {{"ttl", std::to_string(RecordsTtlSeconds(longest))}}),
      "setting the records' age-out");
}

Status StreamStore::Impl::RecoverCounters(StreamState* stream) {
  for (const auto& shard : stream->shards->by_index) {
    const uint32_t idx = shard->desc.index;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), records_cf));
    RecordKey last_key(stream->id, idx, UINT64_MAX);
    it->SeekForPrev(last_key.slice());
    uint64_t last = 0;
    if (it->Valid() && it->key().size() == kRecordKeySize &&
        DecodeFixed32BE(it->key().data()) == stream->id &&
        DecodeFixed32BE(it->key().data() + 4) == idx) {
      last = DecodeFixed64BE(it->key().data() + 8);
      shard->last_arrival_ms = ArrivalOf(it->value());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "recovering shard"));
    // The records themselves are the newest evidence (the "last/" key is written in the same
    // batch, so they agree) unless every record has aged out of the store.
    last = std::max(last, GetCounter(db.get(), meta_cf, LastKey(stream->id, idx), 0));
    shard->last_counter = last;
    shard->first_counter = GetCounter(db.get(), meta_cf, TrimKey(stream->id, idx), 1);
  }
  return Status::OK();
}

StreamStore::StreamStore(const Options& options, std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

StreamStore::~StreamStore() = default;

Result<std::unique_ptr<StreamStore>> StreamStore::Open(const Options& options) {
  if (options.retention_ms <= 0) return Status::InvalidArgument("retention must be positive");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::IOError("creating " + options.path + ": " + ec.message());
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log = NewRocksDbLogger();
  // The metadata family is rarely written; without a cap its unflushed entries would pin every
  // WAL file the records family has long flushed.
  db_options.max_total_wal_size = 2 * options.write_buffer_bytes;

  rocksdb::ColumnFamilyOptions meta_options;
  // Metadata is a few keys per shard. A small write buffer also keeps small the free space that
  // RocksDB waits for before it resumes after a full disk (the largest write buffer).
  meta_options.write_buffer_size = size_t{4} << 20;

  rocksdb::ColumnFamilyOptions records_options;
  records_options.write_buffer_size = options.write_buffer_bytes;
  records_options.max_write_buffer_number = 4;
  records_options.compression = rocksdb::kNoCompression;
  records_options.compaction_style = rocksdb::kCompactionStyleFIFO;
  records_options.compaction_options_fifo.max_table_files_size = uint64_t{1} << 40;
  records_options.compaction_options_fifo.allow_compaction = false;
  // Files are dropped once their newest record is surely past retention (TrimExpired flushes
  // at least every quarter retention period, so a file spans less than that). Streams may keep
  // their records longer than the default: until their settings are read, nothing ages out
  // before the longest retention a stream can have (FitRecordsTtl then fits it).
  records_options.ttl =
      RecordsTtlSeconds(std::max(options.retention_ms, kMaxRetentionHours * kHourMillis));
  // FIFO keeps every file in L0; the level-style stall triggers would only throttle appends.
  records_options.level0_file_num_compaction_trigger = 4;
  records_options.level0_slowdown_writes_trigger = 1 << 20;
  records_options.level0_stop_writes_trigger = 1 << 20;
  // Appends arrive in key order within a shard: with a hint per shard the memtable's skip list
  // resumes where the shard's last insert ended instead of searching from its head (half the skip
  // list's cost in the gateway benchmark's profile).
  records_options.memtable_insert_with_hint_prefix_extractor = std::make_shared<ShardOfRecord>();
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_size = 64 << 10;  // shards are read in long sequential runs
  // Debian's RocksDB is a portable build: its CRC32C is the table-driven one, which took 12% of
  // the gateway's CPU under PutRecords (WAL and flushes). XXH3 checksums the flushed blocks at a
  // fraction of that; files written before keep (and are checked with) their own type.
  table_options.checksum = rocksdb::kXXH3;
  records_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, meta_options}, {kRecordsFamily, records_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "opening stream store at " + options.path);

  auto impl = std::make_unique<Impl>();
  impl->db.reset(raw);
  impl->meta_cf = handles[0];
  impl->records_cf = handles[1];
  impl->write_options.sync = options.sync;
  RETURN_IF_ERROR(impl->LoadIteratorSecret(options.iterator_lifetime_ms));
  impl->last_flush_ms = options.clock->NowMillis();

  std::unique_ptr<rocksdb::Iterator> it(
      impl->db->NewIterator(rocksdb::ReadOptions(), impl->meta_cf));
  for (it->Seek(kStreamPrefix); it->Valid() && it->key().starts_with(kStreamPrefix); it->Next()) {
    std::string name = it->key().ToString().substr(sizeof(kStreamPrefix) - 1);
    RETURN_IF_ERROR(impl->LoadStream(name, it->value().ToString(), options.retention_ms));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading stream metadata"));
  std::string next_id;
  if (impl->db->Get(rocksdb::ReadOptions(), impl->meta_cf, kNextStreamIdKey, &next_id).ok() &&
      next_id.size() == 4) {
    impl->next_stream_id = std::max(impl->next_stream_id, DecodeFixed32BE(next_id.data()));
  }
  it.reset();
  RETURN_IF_ERROR(impl->FitRecordsTtl(options.retention_ms));
  spdlog::info("stream store opened path={} streams={}", options.path, impl->by_name.size());
  return std::unique_ptr<StreamStore>(new StreamStore(options, std::move(impl)));
}

Status StreamStore::CreateStream(std::string_view name, uint32_t shard_count) {
  return CreateStream(name, shard_count, StreamSettings{});
}

Status StreamStore::CreateStream(std::string_view name, uint32_t shard_count,
                                 const StreamSettings& settings) {
  RETURN_IF_ERROR(ValidateStreamName(name));
  if (settings.retention_ms < 0) return Status::InvalidArgument("retention must be positive");
  if (shard_count < 1) return Status::InvalidArgument("ShardCount must be at least 1");
  if (shard_count > kMaxShardsPerStream) {
    return Status::LimitExceeded("ShardCount " + std::to_string(shard_count) +
                                 " exceeds the limit of " + std::to_string(kMaxShardsPerStream));
  }
  std::unique_lock lock(impl_->meta_mu);
  const int64_t now = options_.clock->NowMillis();
  impl_->ForgetDeleted(now);
  if (impl_->by_name.contains(name) || impl_->deleting.contains(name)) {
    return StreamInUse(name);
  }
  uint64_t open_shards = 0;
  for (const auto& [_, s] : impl_->by_name) open_shards += s->shards->open.size();
  if (open_shards + shard_count > options_.shard_limit) {
    // AWS's wording, which is what people search for.
    return ShardLimitExceeded(open_shards, options_.shard_limit, shard_count);
  }
  auto stream = std::make_shared<StreamState>();
  stream->name = name;
  stream->id = impl_->next_stream_id;
  stream->settings = settings;
  if (stream->settings.retention_ms == 0) stream->settings.retention_ms = options_.retention_ms;
  // The creation time tells a stream's incarnations apart (as AWS's ARN + creation timestamp
  // do), so two creations never share a millisecond.
  stream->created_ms = std::max(now, impl_->last_created_ms + 1);
  // From now, not from the creation time, which may lie a few ms ahead (see above); without a
  // delay never, whatever the clock does later.
  if (options_.create_stream_ms > 0) stream->active_ms = now + options_.create_stream_ms;
  auto table = std::make_shared<ShardTable>();
  for (uint32_t i = 0; i < shard_count; ++i) {
    auto shard = std::make_shared<ShardState>();
    shard->desc.index = i;
    std::tie(shard->desc.starting_hash_key, shard->desc.ending_hash_key) =
        UniformHashRange(i, shard_count);
    shard->desc.created_ms = stream->created_ms;
    table->by_index.push_back(std::move(shard));
  }
  table->IndexOpenShards();
  stream->shards = std::move(table);
  rocksdb::WriteBatch batch;
  batch.Put(impl_->meta_cf, std::string(kStreamPrefix) + std::string(name),
            StreamMetaJson(*stream, *stream->shards).dump());
  batch.Put(impl_->meta_cf, SettingsKey(stream->id), EncodeStreamSettings(stream->settings));
  std::string next_id;
  PutFixed32BE(&next_id, stream->id + 1);
  batch.Put(impl_->meta_cf, kNextStreamIdKey, next_id);
  rocksdb::WriteOptions wo;
  wo.sync = true;  // metadata is rare and must never be lost
  RETURN_IF_ERROR(impl_->WriteMeta(wo, &batch, now, "creating stream"));
  impl_->next_stream_id = stream->id + 1;
  impl_->last_created_ms = stream->created_ms;
  impl_->by_id[stream->id] = stream;
  const bool longer = stream->settings.retention_ms > options_.retention_ms;
  impl_->by_name[stream->name] = std::move(stream);
  if (longer) RETURN_IF_ERROR(impl_->FitRecordsTtl(options_.retention_ms));
  spdlog::info("stream created stream={} shards={}", name, shard_count);
  return Status::OK();
}

Status StreamStore::DeleteStream(std::string_view name) {
  std::unique_lock lock(impl_->meta_mu);
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) {
    return StreamNotFound(name);
  }
  const int64_t now = options_.clock->NowMillis();
  const StreamState& stream = *it->second;
  if (stream.Status(now) == StreamStatus::kCreating) return NotActive(stream, now);
  const uint32_t id = stream.id;
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->meta_cf, std::string(kStreamPrefix) + std::string(name));
  batch.Delete(impl_->meta_cf, SettingsKey(id));
  for (const auto& shard : stream.shards->by_index) {
    batch.Delete(impl_->meta_cf, TrimKey(id, shard->desc.index));
    batch.Delete(impl_->meta_cf, LastKey(id, shard->desc.index));
  }
  // The records become unreachable with the metadata (ids are never reused); the range
  // tombstone lets FIFO compaction's age-out reclaim them without readers ever seeing them. Its
  // start must keep counter 0, outside ShardOfRecord's domain.
  batch.DeleteRange(impl_->records_cf, RecordKey(id, 0, 0).slice(),
                    RecordKey(id + 1, 0, 0).slice());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(impl_->WriteMeta(wo, &batch, now, "deleting stream"));
  if (options_.delete_stream_ms > 0) {
    DeletingStream& gone = impl_->deleting[stream.name];
    gone.description = Describe(stream, *stream.shards, now);
    gone.description.status = StreamStatus::kDeleting;
    gone.gone_ms = now + options_.delete_stream_ms;
  }
  impl_->by_id.erase(id);
  impl_->by_name.erase(it);
  spdlog::info("stream deleted stream={}", name);
  return Status::OK();
}

Result<StreamDescription> StreamStore::DescribeStream(std::string_view name) const {
  const int64_t now = options_.clock->NowMillis();
  std::shared_lock lock(impl_->meta_mu);
  if (auto it = impl_->by_name.find(name); it != impl_->by_name.end()) {
    return Describe(*it->second, *it->second->shards, now);
  }
  if (auto it = impl_->deleting.find(name);
      it != impl_->deleting.end() && it->second.gone_ms > now) {
    return it->second.description;
  }
  return StreamNotFound(name);
}

Status StreamStore::Reshard(std::string_view name, const ReshardPlanner& planner) {
  std::unique_lock lock(impl_->meta_mu);
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) return StreamNotFound(name);
  StreamState& stream = *it->second;
  const int64_t now = options_.clock->NowMillis();
  if (stream.Status(now) != StreamStatus::kActive) return NotActive(stream, now);
  ASSIGN_OR_RETURN(ReshardPlan plan, planner(Describe(stream, *stream.shards, now)));
  if (plan.close.empty() && plan.created.empty()) return Status::OK();
  // The account's limit counts open shards, as AWS's does.
  uint64_t open_shards = 0;
  for (const auto& [_, s] : impl_->by_name) open_shards += s->shards->open.size();
  const auto opened = static_cast<uint64_t>(std::count_if(plan.created.begin(), plan.created.end(),
                                                          [](const auto& s) { return s.open(); }));
  if (opened > plan.close.size() &&
      open_shards + opened - plan.close.size() > options_.shard_limit) {
    return ShardLimitExceeded(open_shards, options_.shard_limit, opened - plan.close.size());
  }
  RETURN_IF_ERROR(impl_->ApplyReshard(&stream, plan, now));
  if (options_.update_stream_ms > 0) stream.updating_until_ms = now + options_.update_stream_ms;
  spdlog::info("stream resharded stream={} closed={} created={} open={}", name, plan.close.size(),
               plan.created.size(), stream.shards->open.size());
  return Status::OK();
}

Status StreamStore::Impl::ApplyReshard(StreamState* stream, const ReshardPlan& plan,
                                       int64_t now_ms) {
  // The new table shares the shards that stay (their counters are live) and adds the new ones.
  auto table = std::make_shared<ShardTable>(*stream->shards);
  for (const ShardDescription& d : plan.created) {
    if (d.index != table->by_index.size()) return Status::Internal("reshard plan out of order");
    auto shard = std::make_shared<ShardState>();
    shard->desc = d;
    shard->desc.created_ms = now_ms;
    if (d.ending_counter) {
      shard->ending_counter = *d.ending_counter;
      shard->desc.closed_ms = now_ms;
    }
    table->by_index.push_back(std::move(shard));
  }
  for (uint32_t index : plan.close) {
    if (index >= table->by_index.size() || !table->by_index[index]->desc.open()) {
      return Status::Internal("reshard plan closes a shard that is not open");
    }
  }
  // Closing happens under write_mu, as PutRecords routes and appends: no write comes between
  // reading a closed shard's last counter and swapping in the table that routes past it.
  std::lock_guard write_lock(write_mu);
  RETURN_IF_ERROR(ResumeWrites(now_ms));
  std::vector<std::pair<ShardState*, uint64_t>> closing;
  for (uint32_t index : plan.close) {
    ShardState* shard = table->by_index[index].get();
    closing.emplace_back(shard, shard->last_counter.load());
    shard->desc.ending_counter = closing.back().second;
    shard->desc.closed_ms = now_ms;
  }
  table->IndexOpenShards();
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf, std::string(kStreamPrefix) + stream->name,
            StreamMetaJson(*stream, *table).dump());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (auto s = db->Write(wo, &batch); !s.ok()) {
    for (auto [shard, _] : closing) {
      shard->desc.ending_counter.reset();
      shard->desc.closed_ms = 0;
    }
    return WriteFailed(s, "resharding");
  }
  for (auto [shard, ending] : closing) shard->ending_counter.store(ending);
  stream->shards = std::move(table);
  return Status::OK();
}

Status StreamStore::UpdateStreamSettings(std::string_view name, const SettingsUpdate& update) {
  std::unique_lock lock(impl_->meta_mu);
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) {
    return StreamNotFound(name);
  }
  StreamState& stream = *it->second;
  const int64_t now = options_.clock->NowMillis();
  if (stream.Status(now) != StreamStatus::kActive) return NotActive(stream, now);
  StreamSettings settings = stream.settings;
  RETURN_IF_ERROR(update(&settings));
  if (settings.retention_ms <= 0) return Status::InvalidArgument("retention must be positive");
  if (settings == stream.settings) return Status::OK();
  rocksdb::WriteBatch batch;
  batch.Put(impl_->meta_cf, SettingsKey(stream.id), EncodeStreamSettings(settings));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(
      impl_->WriteMeta(wo, &batch, options_.clock->NowMillis(), "updating stream settings"));
  const bool retention_changed = settings.retention_ms != stream.settings.retention_ms;
  // A change of capacity mode takes a while on AWS: the stream is UPDATING meanwhile.
  if (settings.mode != stream.settings.mode && options_.update_stream_ms > 0) {
    stream.updating_until_ms = now + options_.update_stream_ms;
  }
  stream.settings = std::move(settings);
  if (retention_changed) {
    RETURN_IF_ERROR(impl_->FitRecordsTtl(options_.retention_ms));
    spdlog::info("stream retention changed stream={} retention_ms={}", name,
                 stream.settings.retention_ms);
  }
  return Status::OK();
}

std::vector<std::string> StreamStore::ListStreams() const {
  const int64_t now = options_.clock->NowMillis();
  std::shared_lock lock(impl_->meta_mu);
  std::vector<std::string> names;
  for (const auto& [name, _] : impl_->by_name) names.push_back(name);
  for (const auto& [name, gone] : impl_->deleting) {
    if (gone.gone_ms > now) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status StreamStore::PutRecords(std::string_view stream_name, std::span<const PutEntry> entries,
                               std::vector<PutResult>* results) {
  if (entries.empty()) return Status::InvalidArgument("Records must contain at least one entry");
  if (entries.size() > kMaxPutRecordsEntries) {
    return Status::InvalidArgument("Records has " + std::to_string(entries.size()) +
                                   " entries; the limit is 500");
  }
  size_t total = 0;
  for (const auto& e : entries) total += e.partition_key.size() + e.data.size();
  if (total > kMaxPutRecordsBytes) {
    return Status::InvalidArgument("request of " + std::to_string(total) +
                                   " bytes exceeds the 5 MiB limit");
  }
  ASSIGN_OR_RETURN(auto stream, impl_->FindUsable(stream_name, options_.clock->NowMillis()));

  // Validate and hash outside the write lock: MD5 is the costliest step per record. Routing to
  // a shard waits for the lock, under which no reshard can move the hash ranges.
  results->assign(entries.size(), PutResult{});
  std::vector<std::optional<HashKey>> hashes(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const PutEntry& e = entries[i];
    Status& st = (*results)[i].status;
    if (e.partition_key.empty() || e.partition_key.size() > kMaxPartitionKeyLength) {
      st = Status::InvalidArgument("PartitionKey must have 1 to 256 characters, has " +
                                   std::to_string(e.partition_key.size()));
      continue;
    }
    // Keys travel as JSON strings (GetRecords, the processor's dead letters): bytes that are
    // not UTF-8 could not be read back.
    if (!simdjson::validate_utf8(e.partition_key.data(), e.partition_key.size())) {
      st = Status::InvalidArgument("PartitionKey must be valid UTF-8");
      continue;
    }
    if (e.data.size() > kMaxRecordDataBytes) {
      st = Status::InvalidArgument("record data of " + std::to_string(e.data.size()) +
                                   " bytes exceeds the 1 MiB limit");
      continue;
    }
    HashKey h;
    if (e.explicit_hash_key) {
      auto parsed = ParseHashKey(*e.explicit_hash_key);
      if (!parsed.ok()) {
        st = Status::InvalidArgument("ExplicitHashKey: " + parsed.status().message());
        continue;
      }
      h = *parsed;
    } else {
      h = PartitionKeyHash(e.partition_key);
    }
    hashes[i] = h;
  }

  std::lock_guard lock(impl_->write_mu);
  const int64_t now = options_.clock->NowMillis();
  RETURN_IF_ERROR(impl_->ResumeWrites(now));
  const ShardTable& table = *stream->shards;
  // Counters and arrival times for this batch, per shard touched, published after the write. A
  // batch touches few shards: a short vector beats a hash map.
  struct Next {
    ShardState* shard;
    uint64_t counter;
    int64_t arrival_ms;
    uint64_t bytes = 0;
  };
  std::vector<Next> next;
  // Reserving the batch's size spares the copies of a doubling buffer. Besides the partition
  // keys and data, a record takes its key, its value's header and the batch's tag and lengths,
  // and each shard touched (at most one per record) its "last/" counter: under 64 bytes in all.
  constexpr size_t kBatchBytesPerRecord = 64;
  rocksdb::WriteBatch batch(total + entries.size() * kBatchBytesPerRecord, 0, 0, 0);
  std::string header;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!hashes[i]) continue;
    ShardState* shard = table.Route(*hashes[i]);
    auto slot =
        std::find_if(next.begin(), next.end(), [&](const Next& n) { return n.shard == shard; });
    if (slot == next.end()) {
      slot = next.insert(next.end(),
                         Next{shard, shard->last_counter.load(), shard->last_arrival_ms.load()});
    }
    uint64_t counter = ++slot->counter;
    slot->bytes += entries[i].partition_key.size() + entries[i].data.size();
    int64_t arrival = std::max(now, slot->arrival_ms);
    slot->arrival_ms = arrival;
    RecordKey key(stream->id, shard->desc.index, counter);
    header.clear();
    PutFixed64BE(&header, static_cast<uint64_t>(arrival));
    PutVarint64(&header, entries[i].partition_key.size());
    header.append(entries[i].partition_key);
    rocksdb::Slice key_slice = key.slice();
    rocksdb::Slice value_parts[2] = {
        header, rocksdb::Slice(entries[i].data.data(), entries[i].data.size())};
    batch.Put(impl_->records_cf, rocksdb::SliceParts(&key_slice, 1),
              rocksdb::SliceParts(value_parts, 2));
    (*results)[i].sequence_number = SequenceNumber{shard->desc.index, counter, arrival};
  }
  if (next.empty()) return Status::OK();
  for (const Next& n : next) {
    char counter[8];
    EncodeFixed64BE(counter, n.counter);
    batch.Put(impl_->meta_cf, LastKey(stream->id, n.shard->desc.index), rocksdb::Slice(counter, 8));
  }
  auto s = impl_->db->Write(impl_->write_options, &batch);
  if (!s.ok()) return impl_->WriteFailed(s, "appending records");
  for (const Next& n : next) {
    if (options_.count_traffic) {
      const uint64_t records = n.counter - n.shard->last_counter.load();
      n.shard->incoming_records.fetch_add(records, std::memory_order_relaxed);
      n.shard->incoming_bytes.fetch_add(n.bytes, std::memory_order_relaxed);
    }
    n.shard->last_arrival_ms.store(n.arrival_ms);
    n.shard->last_counter.store(n.counter, std::memory_order_release);
  }
  return Status::OK();
}

Result<std::string> StreamStore::GetShardIterator(std::string_view stream_name,
                                                  std::string_view shard_id,
                                                  const IteratorPosition& position) const {
  const int64_t now = options_.clock->NowMillis();
  ASSIGN_OR_RETURN(auto stream, impl_->FindUsable(stream_name, now));
  ASSIGN_OR_RETURN(uint32_t index, ShardIndexFromId(shard_id));
  const ShardState* found = stream.shards->Find(index);
  if (!found) return ShardNotFound(ShardIdFromIndex(index), stream_name);
  const ShardState& shard = *found;
  ShardIterator it;
  it.stream_id = stream->id;
  it.shard_index = index;
  it.issued_ms = now;
  const uint64_t last = shard.last_counter.load(std::memory_order_acquire);
  switch (position.type) {
    case IteratorType::kTrimHorizon:
      // Reads clamp to the horizon as it is then; starting at today's keeps counters exact.
      it.next_counter = shard.first_counter.load();
      break;
    case IteratorType::kLatest:
      it.next_counter = last + 1;
      break;
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber: {
      ASSIGN_OR_RETURN(SequenceNumber seq, SequenceNumber::Parse(position.sequence_number));
      if (seq.shard_index != index) {
        return StartingSequenceNumberOfOtherShard(ShardIdFromIndex(seq.shard_index),
                                                  ShardIdFromIndex(index));
      }
      // Only numbers this shard issued (or the one it issues next, where a consumer that read
      // everything resumes): a position past them would skip records yet to come, and the
      // arithmetic below must not wrap.
      const bool after = position.type == IteratorType::kAfterSequenceNumber;
      if (seq.counter > last + (after ? 0 : 1)) {
        return StartingSequenceNumberNotFromStream(position.sequence_number,
                                                   ShardIdFromIndex(index), stream_name);
      }
      it.next_counter = seq.counter + after;
      break;
    }
    case IteratorType::kAtTimestamp: {
      if (position.timestamp_ms > it.issued_ms) {
        return TimestampInFuture(position.timestamp_ms, it.issued_ms);
      }
      const uint64_t first = shard.first_counter.load();
      it.next_counter = first > last ? last + 1
                                     : impl_->LowerBoundByTime(stream->id, index, first, last,
                                                               position.timestamp_ms);
      break;
    }
  }
  return impl_->signer->Encode(it);
}

Result<GetRecordsResult> StreamStore::GetRecords(std::string_view token, int limit,
                                                 const RecordVisitor& visit, uint64_t skip) const {
  if (limit < 1 || limit > kMaxGetRecordsLimit) {
    return Status::InvalidArgument("Limit must be between 1 and 10000, got " +
                                   std::to_string(limit));
  }
  const int64_t now = options_.clock->NowMillis();
  ASSIGN_OR_RETURN(ShardIterator it, impl_->signer->Decode(token, now));
  auto stream = impl_->FindById(it.stream_id);
  if (!stream) return IteratorStreamGone(ShardIdFromIndex(it.shard_index));
  const ShardState* found = stream.shards->Find(it.shard_index);
  if (!found) return InvalidShardIterator();
  const ShardState& shard = *found;

  const uint64_t last = shard.last_counter.load(std::memory_order_acquire);
  // Saturating: no skip wraps a position around to the trim horizon.
  const uint64_t start = it.next_counter + std::min(skip, UINT64_MAX - it.next_counter);
  uint64_t next = std::max(start, shard.first_counter.load());
  int64_t last_arrival = 0;
  uint64_t read_records = 0;
  uint64_t read_bytes = 0;
  if (next <= last) {
    const uint64_t end = std::min(last, next + static_cast<uint64_t>(limit) - 1) + 1;
    RecordKey begin_key(stream->id, it.shard_index, next);
    RecordKey end_key(stream->id, it.shard_index, end);
    rocksdb::Slice upper = end_key.slice();
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    ro.fill_cache = false;  // a scan reads each block once; keep the cache for point lookups
    std::unique_ptr<rocksdb::Iterator> iter(impl_->db->NewIterator(ro, impl_->records_cf));
    RecordView rec;
    rec.sequence_number.shard_index = it.shard_index;
    size_t bytes = 0;
    bool any = false;
    for (iter->Seek(begin_key.slice()); iter->Valid(); iter->Next()) {
      rec.sequence_number.counter = DecodeFixed64BE(iter->key().data() + 8);
      if (!DecodeRecordValue(iter->value(), &rec.arrival_ms, &rec.partition_key, &rec.data)) {
        return Status::Corruption("record " + rec.sequence_number.ToString() + " is malformed");
      }
      rec.sequence_number.arrival_ms = rec.arrival_ms;
      // AWS's cap on a call; a record is at most 1 MiB, so every call returns at least one.
      bytes += rec.partition_key.size() + rec.data.size();
      if (bytes > kMaxGetRecordsBytes && any) break;
      any = true;
      visit(rec);
      ++read_records;
      read_bytes += rec.partition_key.size() + rec.data.size();
      last_arrival = rec.arrival_ms;
      next = rec.sequence_number.counter + 1;
    }
    RETURN_IF_ERROR(FromRocks(iter->status(), "reading shard"));
  }
  if (options_.count_traffic) {
    shard.get_records_calls.fetch_add(1, std::memory_order_relaxed);
    shard.outgoing_records.fetch_add(read_records, std::memory_order_relaxed);
    shard.outgoing_bytes.fetch_add(read_bytes, std::memory_order_relaxed);
    shard.iterator_age_ms.store(read_records > 0 ? std::max<int64_t>(0, now - last_arrival) : 0,
                                std::memory_order_relaxed);
  }
  GetRecordsResult result;
  result.shard_index = it.shard_index;
  result.next_counter = next;
  // Read to a closed shard's end: no iterator, and where its hash keys went instead.
  if (const uint64_t ending = shard.ending_counter.load(); next > ending) {
    // The reshard that closed the shard published its table before releasing meta_mu, which
    // the lookup takes: the table found now has the children.
    auto current = impl_->FindById(it.stream_id);
    if (!current) return IteratorStreamGone(ShardIdFromIndex(it.shard_index));
    for (const auto& s : current.shards->by_index) {
      const ShardDescription& d = s->desc;
      if (d.parent != it.shard_index && d.adjacent_parent != it.shard_index) continue;
      ChildShard child{d.index, {*d.parent}, d.starting_hash_key, d.ending_hash_key};
      if (d.adjacent_parent) child.parents.push_back(*d.adjacent_parent);
      result.child_shards.push_back(std::move(child));
    }
    return result;
  }
  ShardIterator next_it = it;
  next_it.next_counter = next;
  next_it.issued_ms = now;
  result.next_iterator = impl_->signer->Encode(next_it);
  result.millis_behind_latest = next <= last ? std::max<int64_t>(0, now - last_arrival) : 0;
  return result;
}

Status StreamStore::TrimExpired() {
  std::lock_guard trim_lock(impl_->trim_mu);
  const int64_t now = options_.clock->NowMillis();
  // Each stream with the cutoff of its own retention, as it is now.
  struct Trimmed {
    uint32_t id;
    std::shared_ptr<const ShardTable> shards;
    int64_t cutoff;
  };
  std::vector<Trimmed> streams;
  {
    std::shared_lock lock(impl_->meta_mu);
    for (const auto& [id, s] : impl_->by_id) {
      streams.push_back({id, s->shards, now - s->settings.retention_ms});
    }
  }
  rocksdb::WriteBatch batch;
  std::vector<std::pair<ShardState*, uint64_t>> moved;
  for (const auto& [id, shards, cutoff] : streams) {
    for (const auto& shard : shards->by_index) {
      const uint64_t first = shard->first_counter.load();
      const uint64_t last = shard->last_counter.load(std::memory_order_acquire);
      if (first > last) continue;
      uint64_t horizon = impl_->LowerBoundByTime(id, shard->desc.index, first, last, cutoff);
      if (horizon == first) continue;
      std::string value;
      PutFixed64BE(&value, horizon);
      batch.Put(impl_->meta_cf, TrimKey(id, shard->desc.index), value);
      moved.emplace_back(shard.get(), horizon);
    }
  }
  if (!moved.empty()) {
    RETURN_IF_ERROR(impl_->WriteMeta(rocksdb::WriteOptions(), &batch, now, "trimming"));
    for (auto [shard, horizon] : moved) {
      shard->trimmed_records.fetch_add(horizon - shard->first_counter.load(),
                                       std::memory_order_relaxed);
      shard->first_counter.store(horizon);
    }
    spdlog::info("trimmed expired records shards={}", moved.size());
  }
  // Bound how long a memtable can hold records, so that FIFO's file age-out (1.5x the longest
  // retention, never shorter than the default) never drops a file holding records that are still
  // within retention.
  if (now - impl_->last_flush_ms > options_.retention_ms / 4) {
    impl_->last_flush_ms = now;
    rocksdb::FlushOptions fo;
    fo.wait = false;
    RETURN_IF_ERROR(FromRocks(impl_->db->Flush(fo, impl_->records_cf), "flushing records"));
  }
  return Status::OK();
}

std::vector<ShardMetrics> StreamStore::Metrics() const {
  std::vector<Impl::StreamRef> streams;
  {
    std::shared_lock lock(impl_->meta_mu);
    for (const auto& [name, s] : impl_->by_name) streams.push_back({s, s->shards});
  }
  std::vector<ShardMetrics> out;
  for (const auto& ref : streams) {
    for (const auto& shard : ref.shards->by_index) {
      ShardMetrics m;
      m.stream = ref->name;
      m.shard_id = ShardIdFromIndex(shard->desc.index);
      m.open = shard->ending_counter.load() == ShardState::kOpenShard;
      m.incoming_records = shard->incoming_records.load(std::memory_order_relaxed);
      m.incoming_bytes = shard->incoming_bytes.load(std::memory_order_relaxed);
      m.get_records_calls = shard->get_records_calls.load(std::memory_order_relaxed);
      m.outgoing_records = shard->outgoing_records.load(std::memory_order_relaxed);
      m.outgoing_bytes = shard->outgoing_bytes.load(std::memory_order_relaxed);
      m.iterator_age_ms = shard->iterator_age_ms.load(std::memory_order_relaxed);
      m.trimmed_records = shard->trimmed_records.load(std::memory_order_relaxed);
      const uint64_t first = shard->first_counter.load();
      const uint64_t last = shard->last_counter.load();
      m.retained_records = last >= first ? last - first + 1 : 0;
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace pinstream
