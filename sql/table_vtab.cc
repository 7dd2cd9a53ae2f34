#include "sql/table_vtab.h"

#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sql/column_cells.h"
#include "sql/sql_types.h"

namespace pinstream {

Result<std::optional<int64_t>> ResolveVersion(const Table& table, const TimeTravel& travel) {
  if (travel.as_of_ms) {
    ASSIGN_OR_RETURN(int64_t v, table.VersionAt(*travel.as_of_ms));
    return std::optional<int64_t>(v);
  }
  return travel.version;
}

void TableModule::RecordError(const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = s;
}

Status TableModule::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

namespace {

constexpr uint32_t kNoRow = UINT32_MAX;

// Rows equal on one column, chained: the first row of each key, then next[row], in row order.
// Integers in an open-addressing table (one probe is one cache line, where a node-based map
// costs two or three misses: the probes of a join are most of its time), strings in a map.
class HashIndex {
 public:
  explicit HashIndex(size_t rows) : next_(rows, kNoRow) {}

  uint32_t next(uint32_t row) const { return next_[row]; }

  // Sets *single when the key has one row: its chain needs no next() (one cache miss less per
  // probe of a unique key, the common join on an id).
  uint32_t FindInt(int64_t key, bool* single) const {
    *single = false;
    if (slots_.empty()) return kNoRow;
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.head == kNoRow) return kNoRow;
      if (s.key == key) {
        *single = s.rows == 1;
        return s.head;
      }
    }
  }
  uint32_t FindString(std::string_view key) const {
    auto it = strings_.find(key);
    return it == strings_.end() ? kNoRow : it->second;
  }

  // Indexes the cells of one column, given as its chunks (each `chunk_rows` rows but the last);
  // nulls equal nothing and are left out.
  void Build(const std::vector<const ColumnCells*>& chunks, size_t chunk_rows, bool ints) {
    const size_t n = next_.size();
    if (ints) {
      size_t capacity = 16;
      while (capacity < 2 * n) capacity <<= 1;
      slots_.assign(capacity, Slot{0, kNoRow, 0});
      mask_ = capacity - 1;
      shift_ = 64 - static_cast<int>(std::countr_zero(capacity));
    } else {
      strings_.reserve(n);
    }
    for (size_t c = chunks.size(); c-- > 0;) {  // backwards, so that each chain is in row order
      const ColumnCells& cells = *chunks[c];
      for (size_t i = cells.size(); i-- > 0;) {
        if (cells.is_null(i)) continue;
        const size_t r = c * chunk_rows + i;
        uint32_t* head;
        if (ints) {
          Slot& slot = InsertInt(cells.int_at(i));
          if (slot.rows < 2) ++slot.rows;
          head = &slot.head;
        } else {
          head = &strings_.try_emplace(cells.text_at(i), kNoRow).first->second;
        }
        next_[r] = *head;
        *head = static_cast<uint32_t>(r);
      }
    }
  }

 private:
  struct Slot {
    int64_t key;
    uint32_t head;  // kNoRow: empty
    uint32_t rows;  // 1, or 2 for two or more
  };
  size_t Hash(int64_t key) const {
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  Slot& InsertInt(int64_t key) {
    for (size_t i = Hash(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.head == kNoRow) {
        s.key = key;
        return s;  // head still kNoRow: the caller links the row in
      }
      if (s.key == key) return s;
    }
  }

  std::vector<uint32_t> next_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  std::unordered_map<std::string_view, uint32_t> strings_;
};

// A table's rows are read in chunks of this many, each published once full, so that a scan
// can start on the first rows while the loading thread reads the rest.
constexpr size_t kChunkRows = size_t{1} << 16;

struct Chunk {
  std::vector<ColumnCells> columns;  // the columns read, in schema order
  size_t rows = 0;
};

// The columns of a table a connection uses, read as of one version by a loading thread: the
// schema's column i is chunk->columns[slot[i]] (slot -1: not read). Chunks are immutable once
// published; `indexes` are built on SQLite's thread once the load is done.
struct LoadedRows {
  std::vector<int> slot;
  std::atomic<bool> cancel{false};  // the statement is gone: stop reading

  std::mutex mu;
  std::condition_variable published;
  std::vector<std::unique_ptr<Chunk>> chunks;  // GUARDED_BY(mu) until done
  bool done = false;                           // GUARDED_BY(mu)
  Status status;                               // GUARDED_BY(mu)
  size_t rows = 0;                             // once done

  std::unordered_map<int, std::unique_ptr<HashIndex>> indexes;

  // Chunk `i` once published; nullptr past the last one, or on an error (then in *st).
  const Chunk* WaitChunk(size_t i, Status* st) {
    std::unique_lock lock(mu);
    published.wait(lock, [&] { return chunks.size() > i || done; });
    if (chunks.size() > i) return chunks[i].get();
    *st = status;
    return nullptr;
  }
  // Waits for the whole table; after it, chunks may be read without the lock.
  Status WaitDone() {
    std::unique_lock lock(mu);
    published.wait(lock, [&] { return done; });
    return status;
  }
  const ColumnCells& cells(uint32_t row, int column) const {
    return chunks[row / kChunkRows]->columns[slot[column]];
  }
};

bool Indexable(const Column& c) { return c.type == Type::kInt || c.type == Type::kString; }

// colUsed's last bit stands for every column from 63 on.
bool Uses(uint64_t col_used, size_t column) {
  return (col_used >> (column < 63 ? column : 63)) & 1;
}

// The loading thread's work: reads `table` as of `version` into `out`, chunk by chunk.
void Load(const Table* table, std::optional<int64_t> version, LoadedRows* out) {
  const Schema& schema = table->spec().schema;
  std::vector<size_t> read;
  std::vector<bool> wanted(schema.size(), false);
  for (size_t i = 0; i < schema.size(); ++i) {
    if (out->slot[i] >= 0) read.push_back(i);
    wanted[i] = out->slot[i] >= 0;
  }
  auto fresh = [&] {
    auto chunk = std::make_unique<Chunk>();
    for (size_t c : read) chunk->columns.emplace_back(schema.column(c));
    return chunk;
  };
  auto publish = [&](std::unique_ptr<Chunk> chunk) {
    std::lock_guard lock(out->mu);
    out->chunks.push_back(std::move(chunk));
    out->published.notify_all();
  };
  const Status cancelled = Status::Unavailable("cancelled");
  std::unique_ptr<Chunk> chunk = fresh();
  size_t rows = 0;
  const Value null;
  Status st = table->Scan(version, wanted, [&](const Row& row) -> Status {
    if (out->cancel.load(std::memory_order_relaxed)) return cancelled;
    for (size_t j = 0; j < read.size(); ++j) {
      const size_t c = read[j];
      RETURN_IF_ERROR(chunk->columns[j].Append(c < row.size() ? row[c] : null));
    }
    ++rows;
    if (rows >= kNoRow) return Status::LimitExceeded("more than 2^32 - 1 rows in one table");
    if (++chunk->rows == kChunkRows) {
      publish(std::move(chunk));
      chunk = fresh();
    }
    return Status::OK();
  });
  if (chunk->rows > 0) publish(std::move(chunk));
  std::lock_guard lock(out->mu);
  out->status = st;
  out->rows = rows;
  out->done = true;
  out->published.notify_all();
}

Result<HashIndex*> IndexOn(LoadedRows* rows, int column, bool ints) {
  auto& index = rows->indexes[column];
  if (!index) {
    RETURN_IF_ERROR(rows->WaitDone());
    std::vector<const ColumnCells*> chunks;
    for (const auto& c : rows->chunks) chunks.push_back(&c->columns[rows->slot[column]]);
    auto built = std::make_unique<HashIndex>(rows->rows);
    built->Build(chunks, kChunkRows, ints);
    index = std::move(built);
  }
  return index.get();
}

struct Vtab : sqlite3_vtab {
  TableModule* module = nullptr;
  const Table* table = nullptr;
  uint64_t col_used = 0;        // the union of what the statements planned so far use
  int64_t estimated_rows = -1;  // from the commit log, on first plan
  uint64_t loaded_cols = 0;     // what `loaded` holds
  std::shared_ptr<LoadedRows> loaded;
  std::thread loader;  // fills `loaded`; borrows `table`

  void StopLoading() {
    if (loaded) loaded->cancel = true;
    if (loader.joinable()) loader.join();
  }
};

struct Cursor : sqlite3_vtab_cursor {
  std::shared_ptr<LoadedRows> rows;
  const HashIndex* index = nullptr;  // following a chain of equal keys: the row is `row`
  uint32_t row = 0;
  bool single = false;  // the chain is `row` alone
  size_t chunk_no = 0;  // a full scan: row `offset` of chunk `chunk_no`
  const Chunk* chunk = nullptr;
  size_t offset = 0;
  bool eof = true;
};

Vtab* AsVtab(sqlite3_vtab* v) { return static_cast<Vtab*>(v); }
Cursor* AsCursor(sqlite3_vtab_cursor* c) { return static_cast<Cursor*>(c); }

void SetError(sqlite3_vtab* vtab, const Status& s) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", s.message().c_str());
  AsVtab(vtab)->module->RecordError(s);
}

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

int Connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
            char** err) {
  auto* module = static_cast<TableModule*>(aux);
  if (argc < 3) return SQLITE_ERROR;
  const Table* table = module->tables()->Find(argv[2]);
  if (table == nullptr) {
    *err = sqlite3_mprintf("no table %s in the store", argv[2]);
    return SQLITE_ERROR;
  }
  std::string ddl = "CREATE TABLE x(";
  const Schema& schema = table->spec().schema;
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i > 0) ddl += ", ";
    ddl += Quote(schema.column(i).name);
    ddl += ' ';
    ddl += SqlDeclaredType(schema.column(i));
  }
  ddl += ")";
  if (int rc = sqlite3_declare_vtab(db, ddl.c_str()); rc != SQLITE_OK) return rc;
  auto* vtab = new Vtab();
  vtab->module = module;
  vtab->table = table;
  *out = vtab;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  Vtab* v = AsVtab(vtab);
  v->StopLoading();  // the thread borrows the table
  delete v;
  return SQLITE_OK;
}

int64_t EstimateRows(const Table& table) {
  auto history = table.History();
  if (!history.ok()) return 1'000'000;
  int64_t rows = 0;
  for (const TableCommit& c : *history) rows += c.rows_added;  // upserts: an upper bound
  return rows > 0 ? rows : 1;
}

int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  Vtab* v = AsVtab(vtab);
  v->col_used |= info->colUsed;
  if (v->estimated_rows < 0) v->estimated_rows = EstimateRows(*v->table);
  const Schema& schema = v->table->spec().schema;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.op != SQLITE_INDEX_CONSTRAINT_EQ || c.iColumn < 0) continue;
    if (!Indexable(schema.column(c.iColumn))) continue;
    const char* collation = sqlite3_vtab_collation(info, i);
    if (collation != nullptr && sqlite3_stricmp(collation, "BINARY") != 0) continue;
    // SQLite checks the constraint again (omit = 0): a probe of another type falls back to a
    // full scan, so the index only has to find a superset of the matches.
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 0;
    info->idxNum = c.iColumn + 1;
    info->estimatedCost = 10.0;
    info->estimatedRows = 10;
    v->col_used |= uint64_t{1} << (c.iColumn < 63 ? c.iColumn : 63);
    return SQLITE_OK;
  }
  info->idxNum = 0;
  info->estimatedCost = static_cast<double>(v->estimated_rows);
  info->estimatedRows = v->estimated_rows;
  return SQLITE_OK;
}

// Starts reading the table on a thread of its own, unless what is (being) read has every
// column the planned statements use.
Status StartLoading(Vtab* v) {
  if (v->loaded && (v->col_used & ~v->loaded_cols) == 0) return Status::OK();
  v->StopLoading();  // a later statement needs more columns: no cursor reads the old rows
  ASSIGN_OR_RETURN(std::optional<int64_t> version, ResolveVersion(*v->table, v->module->travel()));
  auto loaded = std::make_shared<LoadedRows>();
  const size_t width = v->table->spec().schema.size();
  loaded->slot.assign(width, -1);
  int next = 0;
  for (size_t i = 0; i < width; ++i) {
    if (Uses(v->col_used, i)) loaded->slot[i] = next++;
  }
  v->loaded = loaded;
  v->loaded_cols = v->col_used;
  v->loader =
      std::thread([table = v->table, version, loaded] { Load(table, version, loaded.get()); });
  return Status::OK();
}

int Open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  Vtab* v = AsVtab(vtab);
  if (Status s = StartLoading(v); !s.ok()) {
    SetError(vtab, s);
    return SQLITE_ERROR;
  }
  *out = new Cursor();
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* cursor) {
  delete AsCursor(cursor);
  return SQLITE_OK;
}

// The row a probe of `column` by `probe` starts at, or nullopt when the index cannot answer
// (a probe of another type: SQLite's comparison rules decide, over a full scan).
Result<std::optional<uint32_t>> Probe(LoadedRows* rows, int column, const Column& def,
                                      sqlite3_value* probe, const HashIndex** index, bool* single) {
  *single = false;
  const int type = sqlite3_value_type(probe);
  if (type == SQLITE_NULL) return std::optional<uint32_t>(kNoRow);  // = NULL is never true
  if (def.type == Type::kInt) {
    int64_t key;
    if (type == SQLITE_INTEGER) {
      key = sqlite3_value_int64(probe);
    } else if (type == SQLITE_FLOAT) {
      const double d = sqlite3_value_double(probe);
      if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) return std::optional<uint32_t>(kNoRow);
      key = static_cast<int64_t>(d);
    } else {
      return std::optional<uint32_t>();
    }
    ASSIGN_OR_RETURN(*index, IndexOn(rows, column, true));
    return std::optional<uint32_t>((*index)->FindInt(key, single));
  }
  if (type != SQLITE_TEXT) return std::optional<uint32_t>();
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(probe));
  const std::string_view key(text, sqlite3_value_bytes(probe));
  ASSIGN_OR_RETURN(*index, IndexOn(rows, column, false));
  return std::optional<uint32_t>((*index)->FindString(key));
}

// Moves a full scan to its next row from (chunk_no, offset), waiting for chunks as they load.
Status SkipToRow(Cursor* c) {
  while (c->chunk != nullptr && c->offset >= c->chunk->rows) {
    Status st;
    c->chunk = c->rows->WaitChunk(++c->chunk_no, &st);
    c->offset = 0;
    RETURN_IF_ERROR(st);
  }
  c->eof = c->chunk == nullptr;
  return Status::OK();
}

int Filter(sqlite3_vtab_cursor* cursor, int idx_num, const char*, int argc, sqlite3_value** argv) {
  Cursor* c = AsCursor(cursor);
  Vtab* v = AsVtab(cursor->pVtab);
  auto fail = [&](const Status& s) {
    SetError(cursor->pVtab, s);
    return SQLITE_ERROR;
  };
  if (!c->rows) {
    if (Status s = StartLoading(v); !s.ok()) return fail(s);
    c->rows = v->loaded;
  }
  c->index = nullptr;
  if (idx_num > 0 && argc == 1) {
    const int column = idx_num - 1;
    const HashIndex* index = nullptr;
    auto start = Probe(c->rows.get(), column, v->table->spec().schema.column(column), argv[0],
                       &index, &c->single);
    if (!start.ok()) return fail(start.status());
    if (*start) {
      c->index = index;
      c->row = **start;
      c->eof = c->row == kNoRow;
      return SQLITE_OK;
    }
  }
  Status st;
  c->chunk_no = 0;
  c->offset = 0;
  c->chunk = c->rows->WaitChunk(0, &st);
  if (!st.ok()) return fail(st);
  if (Status s = SkipToRow(c); !s.ok()) return fail(s);
  return SQLITE_OK;
}

int Next(sqlite3_vtab_cursor* cursor) {
  Cursor* c = AsCursor(cursor);
  if (c->index != nullptr) {
    c->row = c->single ? kNoRow : c->index->next(c->row);
    c->eof = c->row == kNoRow;
    return SQLITE_OK;
  }
  ++c->offset;
  if (Status s = SkipToRow(c); !s.ok()) {
    SetError(cursor->pVtab, s);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int Eof(sqlite3_vtab_cursor* cursor) { return AsCursor(cursor)->eof ? 1 : 0; }

int ColumnValue(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column) {
  Cursor* c = AsCursor(cursor);
  if (column < 0 || static_cast<size_t>(column) >= c->rows->slot.size() ||
      c->rows->slot[column] < 0) {
    // SQLite's colUsed promised this column was not needed: a bug, said loudly.
    sqlite3_result_error(ctx, "pinstream_table: a column read that was not planned", -1);
    return SQLITE_ERROR;
  }
  if (c->index != nullptr) {
    c->rows->cells(c->row, column).Result(ctx, c->row % kChunkRows);
  } else {
    c->chunk->columns[c->rows->slot[column]].Result(ctx, c->offset);
  }
  return SQLITE_OK;
}

int RowId(sqlite3_vtab_cursor* cursor, sqlite_int64* out) {
  const Cursor* c = AsCursor(cursor);
  *out = static_cast<sqlite_int64>(c->index != nullptr ? c->row
                                                       : c->chunk_no * kChunkRows + c->offset);
  return SQLITE_OK;
}

const sqlite3_module kModule = {
    /*iVersion=*/0,
    /*xCreate=*/Connect,
    /*xConnect=*/Connect,
    /*xBestIndex=*/BestIndex,
    /*xDisconnect=*/Disconnect,
    /*xDestroy=*/Disconnect,
    /*xOpen=*/Open,
    /*xClose=*/Close,
    /*xFilter=*/Filter,
    /*xNext=*/Next,
    /*xEof=*/Eof,
    /*xColumn=*/ColumnValue,
    /*xRowid=*/RowId,
    /*xUpdate=*/nullptr,  // read-only: SQLite refuses writes with "table x may not be modified"
    /*xBegin=*/nullptr,
    /*xSync=*/nullptr,
    /*xCommit=*/nullptr,
    /*xRollback=*/nullptr,
    /*xFindFunction=*/nullptr,
    /*xRename=*/nullptr,
    /*xSavepoint=*/nullptr,
    /*xRelease=*/nullptr,
    /*xRollbackTo=*/nullptr,
    /*xShadowName=*/nullptr,
};

}  // namespace

Status TableModule::Register(sqlite3* db) {
  if (sqlite3_create_module_v2(db, "pinstream_table", &kModule, this, nullptr) != SQLITE_OK) {
    return Status::Internal(std::string("registering the table module: ") + sqlite3_errmsg(db));
  }
  return Status::OK();
}

}  // namespace pinstream
