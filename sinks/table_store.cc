#include "sinks/table_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/coding.h"
#include "common/rocksdb_status.h"
#include "common/string_hash.h"
#include "common/time_format.h"
#include "sinks/key_encoding.h"

namespace pinstream {

namespace {

constexpr char kCatalogPrefix[] = "table/";
constexpr char kLogTag = 'v';
constexpr char kRestoreTag = 'r';
constexpr char kAppendTag = 'a';
constexpr char kUpsertTag = 'k';
constexpr size_t kVersionSize = 8;
// Append tables store rows in blocks of about this many bytes: per-row costs of RocksDB (a
// memtable insert, an index entry) are paid per block instead.
constexpr size_t kBlockBytes = 32 << 10;
constexpr size_t kBlockHeaderSize = kVersionSize + 4;

// Reads one EncodeRow encoding from `d`.
bool DecodeRowFrom(Decoder* d, Row* row) {
  uint64_t n;
  if (!d->GetVarint64(&n) || n > d->rest().size()) return false;
  row->resize(n);
  for (auto& v : *row) {
    if (!Value::DecodeFrom(d, &v)) return false;
  }
  return true;
}

// Steps over one Value::EncodeTo encoding without building the value (no string copy, no
// allocation): a scan's projection reads past the columns it does not want.
bool SkipValue(Decoder* d) {
  uint8_t t;
  if (!d->GetByte(&t)) return false;
  uint64_t u;
  std::string_view text;
  switch (static_cast<Type>(t)) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return d->GetByte(&t);
    case Type::kInt:
    case Type::kDouble:
    case Type::kTimestamp:
      return d->GetFixed64BE(&u);
    case Type::kString:
      return d->GetLengthPrefixed(&text);
    case Type::kArray:
      if (!d->GetVarint64(&u) || u > d->rest().size()) return false;
      for (uint64_t i = 0; i < u; ++i) {
        if (!SkipValue(d)) return false;
      }
      return true;
  }
  return false;
}

// Reads one EncodeRow encoding from `d`, decoding only the columns `wanted` names (nullptr:
// all); the others are left null. `row` is reused between rows, so an unwanted cell, never
// assigned, stays the null it was made as.
bool DecodeRowFrom(Decoder* d, const std::vector<bool>* wanted, Row* row) {
  if (wanted == nullptr) return DecodeRowFrom(d, row);
  uint64_t n;
  if (!d->GetVarint64(&n) || n > d->rest().size()) return false;
  if (row->size() != n) row->assign(n, Value());
  for (size_t i = 0; i < n; ++i) {
    if (i < wanted->size() && (*wanted)[i]) {
      if (!Value::DecodeFrom(d, &(*row)[i])) return false;
    } else if (!SkipValue(d)) {
      return false;
    }
  }
  return true;
}

std::string TablePrefix(uint32_t id, char tag) {
  std::string k;
  PutFixed32BE(&k, id);
  k.push_back(tag);
  return k;
}

std::string TableKey(uint32_t id, char tag, uint64_t n) {
  std::string k = TablePrefix(id, tag);
  PutFixed64BE(&k, n);
  return k;
}

// The first key past every key that starts with `prefix` (whose last byte is never 0xff here).
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string KeyText(const std::vector<std::string>& key) {
  return key.empty() ? "no key (append)" : "key (" + Join(key) + ")";
}

std::string ColumnText(const Column& c) {
  return "'" + c.name + "' " + ColumnTypeName(c) + (c.nullable ? "" : " not null");
}

// Why `want` does not match the existing `have`, or "" when they are the same.
std::string DescribeDifference(const TableSpec& have, const TableSpec& want) {
  const auto& a = have.schema.columns();
  const auto& b = want.schema.columns();
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      return "column " + std::to_string(i + 1) + " is " + ColumnText(a[i]) + " in the table but " +
             ColumnText(b[i]) + " in the declaration";
    }
  }
  if (a.size() > b.size()) {
    return "the table has column " + ColumnText(a[b.size()]) + " that the declaration lacks";
  }
  if (b.size() > a.size()) {
    return "the declaration adds column " + ColumnText(b[a.size()]) + " that the table lacks";
  }
  if (have.key_columns != want.key_columns) {
    return "the table has " + KeyText(have.key_columns) + " but the declaration has " +
           KeyText(want.key_columns);
  }
  return "";
}

Status ValidateSpec(const TableSpec& spec) {
  if (spec.name.empty()) return Status::InvalidArgument("a table needs a name");
  const std::string where = "table '" + spec.name + "': ";
  if (spec.schema.size() == 0) return Status::InvalidArgument(where + "a table needs columns");
  std::set<std::string_view> names;
  for (const auto& c : spec.schema.columns()) {
    if (c.name.empty()) return Status::InvalidArgument(where + "a column needs a name");
    if (!names.insert(c.name).second) {
      return Status::InvalidArgument(where + "column '" + c.name + "' appears twice");
    }
  }
  std::set<std::string_view> keys;
  for (const auto& k : spec.key_columns) {
    if (spec.schema.Find(k) < 0) {
      return Status::InvalidArgument(where + "key column '" + k + "' is not in the schema");
    }
    if (!keys.insert(k).second) {
      return Status::InvalidArgument(where + "key column '" + k + "' appears twice");
    }
  }
  return Status::OK();
}

// A RESTORE: version `version` has the contents of version `to`.
struct Restore {
  int64_t version;
  int64_t to;
};

// The row versions visible as of version `v`, as disjoint ranges (lo, hi], newest first.
// Without restores that is (0, v]; a restore R -> T at or below the reading version hides the
// rows of (T, R] (a version's contents are its predecessor's plus its rows, or, for a restore,
// those of its target). `restores` is sorted by version.
struct VisibleRange {
  int64_t lo;  // exclusive
  int64_t hi;  // inclusive
};

std::vector<VisibleRange> VisibleRanges(const std::vector<Restore>& restores, int64_t v) {
  std::vector<VisibleRange> out;
  int64_t hi = v;
  while (hi > 0) {
    auto it = std::upper_bound(restores.begin(), restores.end(), hi,
                               [](int64_t x, const Restore& r) { return x < r.version; });
    if (it == restores.begin()) {
      out.push_back({0, hi});
      break;
    }
    --it;
    if (it->version < hi) out.push_back({it->version, hi});
    hi = it->to;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json TableCommit::ToJson() const {
  nlohmann::ordered_json j;
  j["version"] = version;
  j["timestamp"] = FormatIso8601(time_ms);
  j["operation"] = operation;
  j["rows_added"] = rows_added;
  j["batch_id"] = batch_id;
  j["offsets"] = offsets;
  if (!parameters.is_null()) j["operation_parameters"] = parameters;
  if (restored_version >= 0) j["restored_version"] = restored_version;
  return j;
}

Result<TableCommit> TableCommit::FromJson(const nlohmann::json& j) {
  TableCommit c;
  try {
    c.version = j.at("version").get<int64_t>();
    ASSIGN_OR_RETURN(c.time_ms, ParseTimestampMillis(j.at("timestamp").get<std::string>()));
    c.operation = j.at("operation").get<std::string>();
    c.rows_added = j.at("rows_added").get<int64_t>();
    c.batch_id = j.at("batch_id").get<int64_t>();
    c.offsets = j.at("offsets");
    c.restored_version = j.value("restored_version", int64_t{-1});
    if (auto p = j.find("operation_parameters"); p != j.end()) c.parameters = *p;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed table commit: ") + e.what());
  }
  return c;
}

struct Table::Impl {
  TableSpec spec;
  uint32_t id = 0;
  std::vector<size_t> key_index;  // positions of the key columns
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* rows = nullptr;
  std::string rows_prefix;  // [id] 'a' or [id] 'k'

  // Committed state. Written by Committed under `mu`; `version` is also read lock-free.
  mutable std::mutex mu;
  std::atomic<int64_t> version{0};
  int64_t oldest = 0;             // GUARDED_BY(mu); the oldest version a vacuum left
  std::vector<Restore> restores;  // GUARDED_BY(mu); sorted by version
  // The versions an append table's last vacuum found hidden by REWINDs; the next vacuum scans
  // the blocks again only when they change. Vacuum thread only.
  std::vector<VisibleRange> vacuumed_hidden;
  uint64_t next_seq = 0;  // append tables: the next row id; Committed and Aborted only

  // The batch being staged; commit thread only.
  int64_t staged_version = 0;  // the newest version staged (version when nothing is)
  int64_t staged_rows = 0;     // Stage calls since the last StageCommit
  uint64_t staged_next_seq = 0;
  // What the newest StageCommit or StageRestore put into a batch, for Committed to publish once
  // that batch is written. Rows staged after it belong to the next version.
  int64_t sealed_version = 0;
  uint64_t sealed_next_seq = 0;
  std::vector<Restore> sealed_restores;
  // Append tables: the block being filled, [version:8][row count:4] then the encoded rows, and
  // the row id of its first row. Reused, so staging a row allocates nothing once warm.
  std::string block;
  uint32_t block_rows = 0;
  uint64_t block_first_seq = 0;
  int64_t rows_in_blocks = 0;  // rows already put into the batch in full blocks
  // Upsert tables: encoded key -> encoded row, the last row staged per key (a key upserted many
  // times in one batch is written once).
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> pending;
  std::vector<const std::pair<const std::string, std::string>*> sorted;  // reused
  std::string key_buf;
  std::string value_buf;

  // A table object for `spec` with id `id`, its committed state still empty.
  static std::unique_ptr<Impl> Make(const TableSpec& spec, uint32_t id, rocksdb::DB* db,
                                    rocksdb::ColumnFamilyHandle* meta,
                                    rocksdb::ColumnFamilyHandle* rows) {
    auto impl = std::make_unique<Impl>();
    impl->spec = spec;
    impl->id = id;
    impl->db = db;
    impl->meta = meta;
    impl->rows = rows;
    for (const auto& k : spec.key_columns) {
      impl->key_index.push_back(static_cast<size_t>(spec.schema.Find(k)));
    }
    impl->rows_prefix = TablePrefix(id, impl->upsert() ? kUpsertTag : kAppendTag);
    return impl;
  }

  bool upsert() const { return !spec.key_columns.empty(); }
  std::string Where() const { return "table '" + spec.name + "'"; }

  // Puts the block being filled (if any) into `batch`.
  Status FlushBlock(rocksdb::WriteBatchBase* batch);
  // Puts every staged row into `batch` under version `version`.
  Status FlushStaged(int64_t version, rocksdb::WriteBatchBase* batch);
  void ClearStaged() {
    staged_rows = 0;
    block.clear();
    block_rows = 0;
    rows_in_blocks = 0;
    pending.clear();
  }

  // The version current at `cutoff_ms` and the log entries before it (count, bytes).
  struct Cutoff {
    int64_t version = 0;
    int64_t entries = 0;
    int64_t bytes = 0;
  };
  Result<Cutoff> FindCutoff(int64_t from_version, int64_t newest, int64_t cutoff_ms) const;
  Status VacuumUpsert(int64_t oldest, const std::vector<Restore>& restores, bool dry_run,
                      rocksdb::WriteBatchBase* batch, VacuumStats* stats);
  Status VacuumAppend(int64_t oldest, const std::vector<Restore>& restores, bool dry_run,
                      rocksdb::WriteBatchBase* batch, VacuumStats* stats);
  std::string NoLongerThere(int64_t version, int64_t oldest_version) const {
    return Where() + ": version " + std::to_string(version) +
           " is no longer available (history_retention vacuumed it); the oldest version left is " +
           std::to_string(oldest_version);
  }

  Status ScanAppend(const std::vector<VisibleRange>& ranges, const std::vector<bool>* wanted,
                    const std::function<Status(const Row&)>& visit) const;
  Status ScanUpsert(const std::vector<VisibleRange>& ranges, const std::vector<bool>* wanted,
                    const std::function<Status(const Row&)>& visit) const;
};

Table::Table(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Table::~Table() = default;

const TableSpec& Table::spec() const { return impl_->spec; }
int64_t Table::version() const { return impl_->version.load(std::memory_order_acquire); }
int64_t Table::oldest_version() const {
  std::lock_guard lock(impl_->mu);
  return impl_->oldest;
}
int64_t Table::staged_rows() const { return impl_->staged_rows; }

Status Table::Stage(const Row& row, rocksdb::WriteBatchBase* batch) {
  Impl& t = *impl_;
  const Schema& schema = t.spec.schema;
  if (row.size() != schema.size()) [[unlikely]] {
    return Status::InvalidArgument(t.Where() + " has " + std::to_string(schema.size()) +
                                   " columns but the row has " + std::to_string(row.size()));
  }
  for (size_t i = 0; i < row.size(); ++i) {
    Status s = CheckValue(schema.column(i), row[i]);
    if (!s.ok()) [[unlikely]]
      return s.WithContext(t.Where());
  }
  if (t.upsert()) {
    t.key_buf.clear();
    for (size_t i : t.key_index) EncodeKeyValue(row[i], &t.key_buf);
    auto it = t.pending.find(std::string_view(t.key_buf));
    if (it == t.pending.end()) it = t.pending.emplace(t.key_buf, std::string()).first;
    it->second.clear();
    EncodeRow(row, &it->second);
  } else {
    if (t.block_rows == 0) {
      t.block.clear();
      PutFixed64BE(&t.block, static_cast<uint64_t>(t.staged_version + 1));
      PutFixed32BE(&t.block, 0);  // the row count, set when the block is full
      t.block_first_seq = t.staged_next_seq;
    }
    EncodeRow(row, &t.block);
    ++t.block_rows;
    ++t.staged_next_seq;
    if (t.block.size() >= kBlockBytes) RETURN_IF_ERROR(t.FlushBlock(batch));
  }
  ++t.staged_rows;
  return Status::OK();
}

Status Table::Impl::FlushBlock(rocksdb::WriteBatchBase* batch) {
  if (block_rows == 0) return Status::OK();
  EncodeFixed32BE(block.data() + kVersionSize, block_rows);
  key_buf.assign(rows_prefix);
  PutFixed64BE(&key_buf, block_first_seq);
  RETURN_IF_ERROR(FromRocks(batch->Put(rows, key_buf, block), "staging rows"));
  rows_in_blocks += block_rows;
  block_rows = 0;
  block.clear();
  return Status::OK();
}

Status Table::Impl::FlushStaged(int64_t version, rocksdb::WriteBatchBase* batch) {
  if (!upsert()) return FlushBlock(batch);
  // In key order: the memtable's skip list inserts a sorted run far faster than random keys.
  sorted.clear();
  for (const auto& entry : pending) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* entry : sorted) {
    key_buf.assign(rows_prefix);
    key_buf.append(entry->first);
    PutFixed64BE(&key_buf, ~static_cast<uint64_t>(version));
    RETURN_IF_ERROR(FromRocks(batch->Put(rows, key_buf, entry->second), "staging rows"));
  }
  return Status::OK();
}

Result<std::optional<int64_t>> Table::StageCommit(TableCommit commit,
                                                  rocksdb::WriteBatchBase* batch, bool force) {
  Impl& t = *impl_;
  if (t.staged_rows == 0 && !force) return std::optional<int64_t>();
  commit.version = t.staged_version + 1;
  commit.rows_added =
      t.upsert() ? static_cast<int64_t>(t.pending.size()) : t.rows_in_blocks + t.block_rows;
  RETURN_IF_ERROR(t.FlushStaged(commit.version, batch));
  auto key = TableKey(t.id, kLogTag, static_cast<uint64_t>(commit.version));
  RETURN_IF_ERROR(FromRocks(batch->Put(t.meta, key, commit.ToJson().dump()), "staging a commit"));
  t.staged_version = t.sealed_version = commit.version;
  t.sealed_next_seq = t.staged_next_seq;
  t.ClearStaged();
  return std::optional<int64_t>(commit.version);
}

Result<int64_t> Table::StageRestore(int64_t to_version, TableCommit commit,
                                    rocksdb::WriteBatchBase* batch) {
  Impl& t = *impl_;
  if (t.staged_rows > 0) {
    return Status::InvalidArgument(t.Where() + ": cannot restore while rows are staged");
  }
  if (to_version < 0 || to_version > t.staged_version) {
    return Status::InvalidArgument(t.Where() + " has no version " + std::to_string(to_version) +
                                   " (newest " + std::to_string(t.staged_version) + ")");
  }
  if (const int64_t oldest = oldest_version(); to_version < oldest) {
    return Status::ResourceNotFound(t.NoLongerThere(to_version, oldest));
  }
  commit.version = t.staged_version + 1;
  commit.rows_added = 0;
  commit.restored_version = to_version;
  if (commit.operation.empty()) commit.operation = "RESTORE";
  const auto v = static_cast<uint64_t>(commit.version);
  RETURN_IF_ERROR(FromRocks(batch->Put(t.meta, TableKey(t.id, kLogTag, v), commit.ToJson().dump()),
                            "staging a restore"));
  std::string to;
  PutFixed64BE(&to, static_cast<uint64_t>(to_version));
  RETURN_IF_ERROR(
      FromRocks(batch->Put(t.meta, TableKey(t.id, kRestoreTag, v), to), "staging a restore"));
  t.sealed_restores.push_back({commit.version, to_version});
  t.staged_version = t.sealed_version = commit.version;
  t.sealed_next_seq = t.staged_next_seq;
  return commit.version;
}

void Table::Committed() {
  Impl& t = *impl_;
  {
    std::lock_guard lock(t.mu);
    t.restores.insert(t.restores.end(), t.sealed_restores.begin(), t.sealed_restores.end());
    t.version.store(t.sealed_version, std::memory_order_release);
  }
  t.next_seq = t.sealed_next_seq;
  t.sealed_restores.clear();
}

void Table::Aborted() {
  Impl& t = *impl_;
  t.staged_version = t.sealed_version = t.version.load(std::memory_order_relaxed);
  t.staged_next_seq = t.sealed_next_seq = t.next_seq;
  t.sealed_restores.clear();
  t.ClearStaged();
}

Status Table::Scan(std::optional<int64_t> version,
                   const std::function<Status(const Row&)>& visit) const {
  return Scan(version, nullptr, visit);
}

Status Table::Scan(std::optional<int64_t> version, const std::vector<bool>& wanted,
                   const std::function<Status(const Row&)>& visit) const {
  return Scan(version, &wanted, visit);
}

Status Table::Scan(std::optional<int64_t> version, const std::vector<bool>* wanted,
                   const std::function<Status(const Row&)>& visit) const {
  const Impl& t = *impl_;
  std::vector<VisibleRange> ranges;
  {
    std::lock_guard lock(t.mu);
    const int64_t newest = t.version.load(std::memory_order_relaxed);
    const int64_t v = version.value_or(newest);
    if (v < 0 || v > newest) {
      return Status::InvalidArgument(t.Where() + " has no version " + std::to_string(v) +
                                     " (newest " + std::to_string(newest) + ")");
    }
    if (v < t.oldest) return Status::ResourceNotFound(t.NoLongerThere(v, t.oldest));
    ranges = VisibleRanges(t.restores, v);
  }
  if (ranges.empty()) return Status::OK();
  return t.upsert() ? t.ScanUpsert(ranges, wanted, visit) : t.ScanAppend(ranges, wanted, visit);
}

Status Table::Impl::ScanAppend(const std::vector<VisibleRange>& ranges,
                               const std::vector<bool>* wanted,
                               const std::function<Status(const Row&)>& visit) const {
  // Row ids grow with versions, so the blocks of one version are contiguous and in order.
  std::vector<VisibleRange> ascending(ranges.rbegin(), ranges.rend());
  const int64_t last = ascending.back().hi;
  const std::string end = PrefixEnd(rows_prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, rows));
  size_t r = 0;
  Row row;
  for (it->Seek(rows_prefix); it->Valid(); it->Next()) {
    rocksdb::Slice value = it->value();
    if (value.size() < kBlockHeaderSize) return Status::Corruption(Where() + ": malformed block");
    const auto v = static_cast<int64_t>(DecodeFixed64BE(value.data()));
    if (v > last) break;
    while (ascending[r].hi < v) ++r;
    if (v <= ascending[r].lo) continue;
    const uint32_t count = DecodeFixed32BE(value.data() + kVersionSize);
    Decoder d(std::string_view(value.data(), value.size()).substr(kBlockHeaderSize));
    for (uint32_t i = 0; i < count; ++i) {
      if (!DecodeRowFrom(&d, wanted, &row)) return Status::Corruption(Where() + ": malformed row");
      row.resize(spec.schema.size());  // a row older than an AddColumns has fewer
      RETURN_IF_ERROR(visit(row));
    }
  }
  return FromRocks(it->status(), "scanning " + Where());
}

Status Table::Impl::ScanUpsert(const std::vector<VisibleRange>& ranges,
                               const std::vector<bool>* wanted,
                               const std::function<Status(const Row&)>& visit) const {
  // One key's entries are adjacent, newest first. For each key, seek straight to its newest
  // entry at or below the newest visible version, then past the key.
  const std::string end = PrefixEnd(rows_prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, rows));
  std::string target;
  Row row;
  it->Seek(rows_prefix);
  while (it->Valid()) {
    rocksdb::Slice key = it->key();
    if (key.size() < rows_prefix.size() + kVersionSize) {
      return Status::Corruption(Where() + ": malformed key");
    }
    const auto v = static_cast<int64_t>(~DecodeFixed64BE(key.data() + key.size() - kVersionSize));
    target.assign(key.data(), key.size() - kVersionSize);
    // The newest range that starts below v: v is visible in it, or the range lies below v.
    auto r = std::find_if(ranges.begin(), ranges.end(), [v](const auto& x) { return x.lo < v; });
    if (r != ranges.end() && v <= r->hi) {
      rocksdb::Slice value = it->value();
      if (wanted == nullptr) {
        RETURN_IF_ERROR(DecodeRow(std::string_view(value.data(), value.size()), &row));
      } else {
        Decoder d(std::string_view(value.data(), value.size()));
        if (!DecodeRowFrom(&d, wanted, &row) || !d.empty()) {
          return Status::Corruption(Where() + ": malformed row");
        }
      }
      row.resize(spec.schema.size());  // a row older than an AddColumns has fewer
      RETURN_IF_ERROR(visit(row));
      PutFixed64BE(&target, ~uint64_t{0});  // past every version of this key
    } else if (r != ranges.end()) {
      PutFixed64BE(&target, ~static_cast<uint64_t>(r->hi));
    } else {
      PutFixed64BE(&target, ~uint64_t{0});
    }
    it->Seek(target);
  }
  return FromRocks(it->status(), "scanning " + Where());
}

Result<std::vector<TableCommit>> Table::History() const {
  const Impl& t = *impl_;
  const int64_t newest = version();
  const std::string prefix = TablePrefix(t.id, kLogTag);
  const std::string end = PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(t.db->NewIterator(options, t.meta));
  std::vector<TableCommit> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto j = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
    if (j.is_discarded()) return Status::Corruption(t.Where() + ": malformed commit log entry");
    ASSIGN_OR_RETURN(TableCommit c, TableCommit::FromJson(j));
    if (c.version > newest) break;
    out.push_back(std::move(c));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the history of " + t.Where()));
  return out;
}

nlohmann::ordered_json VacuumStats::ToJson() const {
  nlohmann::ordered_json j;
  j["table"] = table;
  j["kind"] = kind;
  j["oldest_version_before"] = oldest_version_before;
  j["oldest_version"] = oldest_version;
  j["versions_removed"] = versions_removed;
  j["rows_removed"] = rows_removed;
  j["bytes_removed"] = bytes_removed;
  return j;
}

namespace {

bool Visible(const std::vector<VisibleRange>& ranges, int64_t v) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [v](const VisibleRange& r) { return r.lo < v && v <= r.hi; });
}

// The versions from `oldest` on see rows older than `oldest` only through the contents of
// `oldest` itself and of the targets below it of their restores (a version's contents are its
// predecessor's plus its rows, or its restore target's): the visible ranges of those bases.
std::vector<std::vector<VisibleRange>> BaseRanges(const std::vector<Restore>& restores,
                                                  int64_t oldest) {
  std::set<int64_t> bases = {oldest};
  for (const auto& r : restores) {
    if (r.version >= oldest && r.to < oldest) bases.insert(r.to);
  }
  std::vector<std::vector<VisibleRange>> out;
  for (int64_t b : bases) out.push_back(VisibleRanges(restores, b));
  return out;
}

// The versions below `oldest` that no base sees (rows a REWIND hid), as disjoint ranges in
// ascending order.
std::vector<VisibleRange> HiddenRanges(const std::vector<std::vector<VisibleRange>>& bases,
                                       int64_t oldest) {
  std::vector<VisibleRange> covered;
  for (const auto& ranges : bases) {
    for (const auto& r : ranges) {
      if (r.lo < oldest - 1) covered.push_back({r.lo, std::min(r.hi, oldest - 1)});
    }
  }
  std::sort(covered.begin(), covered.end(),
            [](const VisibleRange& a, const VisibleRange& b) { return a.lo < b.lo; });
  std::vector<VisibleRange> hidden;
  int64_t next = 0;  // versions up to `next` are covered or already hidden
  for (const auto& r : covered) {
    if (r.lo > next) hidden.push_back({next, r.lo});
    next = std::max(next, r.hi);
  }
  if (next < oldest - 1) hidden.push_back({next, oldest - 1});
  return hidden;
}

bool SameRanges(const std::vector<VisibleRange>& a, const std::vector<VisibleRange>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return x.lo == y.lo && x.hi == y.hi; });
}

}  // namespace

Result<Table::Impl::Cutoff> Table::Impl::FindCutoff(int64_t from_version, int64_t newest,
                                                    int64_t cutoff_ms) const {
  const std::string end = PrefixEnd(TablePrefix(id, kLogTag));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, meta));
  Cutoff cut;
  cut.version = from_version;
  bool have = false;
  int64_t pending_bytes = 0;  // the size of the candidate's entry, removed if a newer one comes
  for (it->Seek(TableKey(id, kLogTag, static_cast<uint64_t>(from_version))); it->Valid();
       it->Next()) {
    auto j = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
    if (j.is_discarded()) return Status::Corruption(Where() + ": malformed commit log entry");
    ASSIGN_OR_RETURN(TableCommit c, TableCommit::FromJson(j));
    if (c.version > newest || (have && c.time_ms > cutoff_ms)) break;
    if (have) {
      ++cut.entries;
      cut.bytes += pending_bytes;
    }
    have = true;
    cut.version = c.version;
    pending_bytes = static_cast<int64_t>(it->key().size() + it->value().size());
    if (c.time_ms > cutoff_ms) break;  // the oldest entry left is newer than the cutoff
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the history of " + Where()));
  return cut;
}

Status Table::Impl::VacuumUpsert(int64_t oldest, const std::vector<Restore>& restores, bool dry_run,
                                 rocksdb::WriteBatchBase* batch, VacuumStats* stats) {
  const auto bases = BaseRanges(restores, oldest);
  const std::string end = PrefixEnd(rows_prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  options.fill_cache = false;  // a pass over the whole table must not evict the hot blocks
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, rows));
  std::string group, target, run_start, first_removed, last_end;
  std::vector<bool> found(bases.size());
  auto in_group = [&](rocksdb::Slice key) {
    return key.size() == group.size() + kVersionSize && key.starts_with(group);
  };
  auto version_of = [](rocksdb::Slice key) {
    return static_cast<int64_t>(~DecodeFixed64BE(key.data() + key.size() - kVersionSize));
  };
  it->Seek(rows_prefix);
  while (it->Valid()) {
    if (it->key().size() < rows_prefix.size() + kVersionSize) {
      return Status::Corruption(Where() + ": malformed key");
    }
    group.assign(it->key().data(), it->key().size() - kVersionSize);
    if (version_of(it->key()) > oldest) {
      // The versions from `oldest` on are all kept: skip to the key's newest one at or below it.
      target = group;
      PutFixed64BE(&target, ~static_cast<uint64_t>(oldest));
      it->Seek(target);
      if (!it->Valid() || !in_group(it->key())) continue;  // none: the next key's entries
    }
    // One key's entries at or below `oldest`, newest first: each base needs the newest of them
    // it sees; the rest go. Once every base has its entry, the rest of the key goes at once.
    std::fill(found.begin(), found.end(), false);
    bool all_found = false;
    run_start.clear();
    int64_t run_rows = 0;
    for (; it->Valid() && in_group(it->key()); it->Next()) {
      const int64_t v = version_of(it->key());
      bool needed = false;
      for (size_t i = 0; i < bases.size() && !all_found; ++i) {
        if (!found[i] && Visible(bases[i], v)) found[i] = needed = true;
      }
      all_found = all_found || std::all_of(found.begin(), found.end(), [](bool f) { return f; });
      if (needed) continue;
      ++stats->rows_removed;
      stats->bytes_removed += static_cast<int64_t>(it->key().size() + it->value().size());
      if (first_removed.empty()) first_removed = it->key().ToString();
      if (all_found) {
        if (run_start.empty()) run_start = it->key().ToString();
        ++run_rows;
      } else if (!dry_run) {
        RETURN_IF_ERROR(FromRocks(batch->Delete(rows, it->key()), "staging a vacuum"));
      }
    }
    last_end = group;
    PutFixed64BE(&last_end, ~uint64_t{0});  // past every version of the key (no version 0 rows)
    // A range tombstone per key costs every read of the memtable more than a point tombstone
    // does: one for a run of versions, a point delete for a single one (most keys of a table
    // whose keys are rarely updated).
    if (run_rows == 1 && !dry_run) {
      RETURN_IF_ERROR(FromRocks(batch->Delete(rows, run_start), "staging a vacuum"));
    } else if (run_rows > 1 && !dry_run) {
      RETURN_IF_ERROR(FromRocks(batch->DeleteRange(rows, run_start, last_end), "staging a vacuum"));
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "vacuuming " + Where()));
  // One range for a compaction, from the first key that lost a version to the table's end.
  if (!first_removed.empty()) stats->row_ranges.emplace_back(first_removed, end);
  return Status::OK();
}

Status Table::Impl::VacuumAppend(int64_t oldest, const std::vector<Restore>& restores, bool dry_run,
                                 rocksdb::WriteBatchBase* batch, VacuumStats* stats) {
  // Nothing in an append table is superseded: only rows a REWIND hid from every version kept.
  if (restores.empty()) return Status::OK();
  const auto bases = BaseRanges(restores, oldest);
  std::vector<VisibleRange> hidden = HiddenRanges(bases, oldest);
  if (hidden.empty() || SameRanges(hidden, vacuumed_hidden)) return Status::OK();
  const std::string end = PrefixEnd(rows_prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, rows));
  std::string run_start, run_last;
  // Row ids grow with versions, so the hidden blocks of one range are contiguous.
  auto close_run = [&](const std::string& run_end) -> Status {
    stats->row_ranges.emplace_back(run_start, run_end);
    if (!dry_run) {
      RETURN_IF_ERROR(FromRocks(batch->DeleteRange(rows, run_start, run_end), "staging a vacuum"));
    }
    run_start.clear();
    return Status::OK();
  };
  for (it->Seek(rows_prefix); it->Valid(); it->Next()) {
    rocksdb::Slice value = it->value();
    if (value.size() < kBlockHeaderSize) return Status::Corruption(Where() + ": malformed block");
    const auto v = static_cast<int64_t>(DecodeFixed64BE(value.data()));
    if (v >= oldest) break;
    const bool seen = std::any_of(bases.begin(), bases.end(),
                                  [v](const auto& ranges) { return Visible(ranges, v); });
    if (seen) {
      if (!run_start.empty()) RETURN_IF_ERROR(close_run(it->key().ToString()));
      continue;
    }
    if (run_start.empty()) run_start = it->key().ToString();
    run_last = it->key().ToString();
    stats->rows_removed += DecodeFixed32BE(value.data() + kVersionSize);
    stats->bytes_removed += static_cast<int64_t>(it->key().size() + value.size());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "vacuuming " + Where()));
  if (!run_start.empty()) {
    // Just past the last hidden block's key: rows appended meanwhile keep their keys.
    std::string run_end = run_last;
    EncodeFixed64BE(run_end.data() + rows_prefix.size(),
                    DecodeFixed64BE(run_last.data() + rows_prefix.size()) + 1);
    RETURN_IF_ERROR(close_run(run_end));
  }
  if (!dry_run) vacuumed_hidden = std::move(hidden);
  return Status::OK();
}

Result<VacuumStats> Table::StageVacuum(int64_t cutoff_ms, bool dry_run,
                                       rocksdb::WriteBatchBase* batch) {
  Impl& t = *impl_;
  VacuumStats stats;
  stats.table = t.spec.name;
  stats.kind = t.upsert() ? "upsert" : "append";
  int64_t from;
  std::vector<Restore> restores;
  {
    std::lock_guard lock(t.mu);
    from = t.oldest;
    restores = t.restores;
  }
  stats.oldest_version_before = from;
  ASSIGN_OR_RETURN(const Impl::Cutoff cut, t.FindCutoff(from, version(), cutoff_ms));
  stats.oldest_version = cut.version;
  stats.versions_removed = cut.entries;
  stats.bytes_removed = cut.bytes;
  // The rows below the oldest version only change when it moves (new rows have newer
  // versions), and the last vacuum's deletes went in one write with its log entries'.
  if (cut.version == from) return stats;
  if (!dry_run) {
    {
      std::lock_guard lock(t.mu);
      t.oldest = cut.version;  // refused from now on, before their rows go
    }
    RETURN_IF_ERROR(
        FromRocks(batch->DeleteRange(t.meta, TableKey(t.id, kLogTag, static_cast<uint64_t>(from)),
                                     TableKey(t.id, kLogTag, static_cast<uint64_t>(cut.version))),
                  "staging a vacuum"));
  }
  RETURN_IF_ERROR(t.upsert() ? t.VacuumUpsert(cut.version, restores, dry_run, batch, &stats)
                             : t.VacuumAppend(cut.version, restores, dry_run, batch, &stats));
  return stats;
}

Result<int64_t> Table::VersionAt(int64_t time_ms) const {
  ASSIGN_OR_RETURN(std::vector<TableCommit> history, History());
  std::optional<int64_t> found;
  for (const auto& c : history) {
    if (c.time_ms > time_ms) break;
    found = c.version;
  }
  if (!found) {
    const std::string oldest = history.empty() ? std::string("none")
                                               : std::to_string(history.front().version) + " (" +
                                                     FormatIso8601(history.front().time_ms) + ")";
    return Status::ResourceNotFound(impl_->Where() + " has no version as of " +
                                    FormatIso8601(time_ms) + "; the oldest version left is " +
                                    oldest);
  }
  return *found;
}

TableStore::TableStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                       rocksdb::ColumnFamilyHandle* rows, Clock* clock)
    : db_(db), meta_(meta), rows_(rows), clock_(clock) {}

TableStore::~TableStore() = default;

namespace {

// The last key at or below `target` that starts with `prefix`, if any.
Result<std::optional<std::string>> LastKeyWithPrefix(rocksdb::DB* db,
                                                     rocksdb::ColumnFamilyHandle* cf,
                                                     const std::string& prefix,
                                                     const std::string& target) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekForPrev(target);
  std::optional<std::string> out;
  if (it->Valid() && it->key().starts_with(prefix)) out = it->key().ToString();
  RETURN_IF_ERROR(FromRocks(it->status(), "loading the tables"));
  return out;
}

}  // namespace

// The row id past an append table's last committed block. Blocks of a version above
// `version` (written ahead by a run whose commit never came, see TableStore::Load) sit past
// it, at the tail, and are stepped over.
Result<uint64_t> TableStore::CommittedRowEnd(const Table::Impl& t, int64_t version) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), rows_));
  const std::string where = "loading table '" + t.spec.name + "'";
  for (it->SeekForPrev(TableKey(t.id, kAppendTag, UINT64_MAX));
       it->Valid() && it->key().starts_with(t.rows_prefix); it->Prev()) {
    rocksdb::Slice key = it->key();
    rocksdb::Slice value = it->value();
    if (key.size() != t.rows_prefix.size() + 8 || value.size() < kBlockHeaderSize) {
      return Status::Corruption("table '" + t.spec.name + "': malformed block");
    }
    if (static_cast<int64_t>(DecodeFixed64BE(value.data())) > version) continue;
    return DecodeFixed64BE(key.data() + t.rows_prefix.size()) +
           DecodeFixed32BE(value.data() + kVersionSize);
  }
  RETURN_IF_ERROR(FromRocks(it->status(), where));
  return uint64_t{0};
}

Status TableStore::DropUncommittedRows() {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), rows_));
  for (const auto& [name, table] : tables_) {
    const Table::Impl& t = *table->impl_;
    if (t.upsert()) continue;
    const std::string from = TableKey(t.id, kAppendTag, t.next_seq);
    it->Seek(from);
    if (!it->Valid() || !it->key().starts_with(t.rows_prefix)) continue;
    RETURN_IF_ERROR(FromRocks(batch.DeleteRange(rows_, from, PrefixEnd(t.rows_prefix)),
                              "dropping uncommitted rows"));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "looking for uncommitted rows"));
  if (batch.Count() == 0) return Status::OK();
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "dropping uncommitted rows");
}

Status TableStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(kCatalogPrefix); it->Valid() && it->key().starts_with(kCatalogPrefix); it->Next()) {
    TableSpec spec;
    spec.name = it->key().ToString().substr(sizeof(kCatalogPrefix) - 1);
    uint32_t id = 0;
    try {
      auto j = nlohmann::json::parse(it->value().ToStringView());
      id = j.at("id").get<uint32_t>();
      ASSIGN_OR_RETURN(spec.schema, Schema::FromJson(j.at("schema")));
      spec.key_columns = j.at("key").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      return Status::Corruption("catalog entry of table '" + spec.name + "': " + e.what());
    }
    RETURN_IF_ERROR(ValidateSpec(spec).WithContext("catalog"));
    auto impl = Table::Impl::Make(spec, id, db_, meta_, rows_);

    const std::string log_prefix = TablePrefix(id, kLogTag);
    ASSIGN_OR_RETURN(auto last_log,
                     LastKeyWithPrefix(db_, meta_, log_prefix, TableKey(id, kLogTag, UINT64_MAX)));
    if (!last_log || last_log->size() != log_prefix.size() + kVersionSize) {
      return Status::Corruption("table '" + spec.name + "' has no commit log");
    }
    const auto version = static_cast<int64_t>(DecodeFixed64BE(last_log->data() + 5));
    impl->version = version;
    {
      // A vacuum deletes the log entries before the oldest version it keeps.
      std::unique_ptr<rocksdb::Iterator> first(db_->NewIterator(rocksdb::ReadOptions(), meta_));
      first->Seek(log_prefix);
      if (first->Valid() && first->key().size() == log_prefix.size() + kVersionSize &&
          first->key().starts_with(log_prefix)) {
        impl->oldest =
            static_cast<int64_t>(DecodeFixed64BE(first->key().data() + log_prefix.size()));
      }
      RETURN_IF_ERROR(FromRocks(first->status(), "loading table '" + spec.name + "'"));
    }
    impl->staged_version = impl->sealed_version = version;

    const std::string restore_prefix = TablePrefix(id, kRestoreTag);
    std::unique_ptr<rocksdb::Iterator> rit(db_->NewIterator(rocksdb::ReadOptions(), meta_));
    for (rit->Seek(restore_prefix); rit->Valid() && rit->key().starts_with(restore_prefix);
         rit->Next()) {
      if (rit->key().size() != restore_prefix.size() + kVersionSize || rit->value().size() != 8) {
        return Status::Corruption("table '" + spec.name + "': malformed restore entry");
      }
      impl->restores.push_back(
          {static_cast<int64_t>(DecodeFixed64BE(rit->key().data() + restore_prefix.size())),
           static_cast<int64_t>(DecodeFixed64BE(rit->value().data()))});
    }
    RETURN_IF_ERROR(FromRocks(rit->status(), "loading the restores of table '" + spec.name + "'"));

    if (!impl->upsert()) {
      ASSIGN_OR_RETURN(impl->next_seq, CommittedRowEnd(*impl, version));
      impl->staged_next_seq = impl->sealed_next_seq = impl->next_seq;
    }
    next_table_id_ = std::max(next_table_id_, id + 1);
    tables_[spec.name] = std::unique_ptr<Table>(new Table(std::move(impl)));
  }
  return FromRocks(it->status(), "loading the tables");
}

Result<Table*> TableStore::Declare(const TableSpec& spec) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  if (Table* existing = Find(spec.name)) {
    std::string diff = DescribeDifference(existing->spec(), spec);
    if (!diff.empty()) {
      return Status::InvalidArgument("table '" + spec.name +
                                     "' exists with another schema: " + diff);
    }
    return existing;
  }
  const uint32_t id = next_table_id_;
  nlohmann::json entry = {{"id", id}, {"schema", spec.schema.ToJson()}, {"key", spec.key_columns}};
  TableCommit create;
  create.version = 0;
  create.time_ms = clock_->NowMillis();
  create.operation = "CREATE TABLE";
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(meta_, std::string(kCatalogPrefix) + spec.name, entry.dump()),
                            "creating table '" + spec.name + "'"));
  RETURN_IF_ERROR(FromRocks(batch.Put(meta_, TableKey(id, kLogTag, 0), create.ToJson().dump()),
                            "creating table '" + spec.name + "'"));
  RETURN_IF_ERROR(
      FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "creating table '" + spec.name + "'"));
  next_table_id_ = id + 1;
  auto& table = tables_[spec.name];
  table.reset(new Table(Table::Impl::Make(spec, id, db_, meta_, rows_)));
  return table.get();
}

Status TableStore::AddColumns(std::string_view name, const std::vector<Column>& columns) {
  Table* table = Find(name);
  if (!table) return Status::ResourceNotFound("no table '" + std::string(name) + "'");
  TableSpec spec = table->spec();
  for (const Column& c : columns) {
    if (!c.nullable) {
      return Status::InvalidArgument("table '" + spec.name + "': an added column ('" + c.name +
                                     "') must be nullable: the rows already there have none");
    }
    spec.schema.Add(c);
  }
  RETURN_IF_ERROR(ValidateSpec(spec));
  const uint32_t id = table->impl_->id;
  nlohmann::json entry = {{"id", id}, {"schema", spec.schema.ToJson()}, {"key", spec.key_columns}};
  RETURN_IF_ERROR(FromRocks(db_->Put(rocksdb::WriteOptions(), meta_,
                                     std::string(kCatalogPrefix) + spec.name, entry.dump()),
                            "adding columns to table '" + spec.name + "'"));
  table->impl_->spec = std::move(spec);
  return Status::OK();
}

Table* TableStore::Find(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.get();
}

std::vector<Table*> TableStore::List() const {
  std::vector<Table*> out;
  for (const auto& [_, t] : tables_) out.push_back(t.get());
  return out;
}

}  // namespace pinstream
