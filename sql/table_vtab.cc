#include "sql/table_vtab.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "sql/column_cells.h"
#include "sql/row_index.h"
#include "sql/sql_types.h"

namespace pinstream {

PartitionedTable::At VersionsOf(const TimeTravel& travel) {
  PartitionedTable::At at;
  if (travel.as_of_ms) {
    at.time_ms = travel.as_of_ms;
  } else {
    at.version = travel.version;
  }
  return at;
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

constexpr uint32_t kNoRow = RowIndex::kNoRow;

// A table's rows are read in chunks of this many, each published once full, so that a scan
// can start on the first rows while the loading thread reads the rest.
constexpr size_t kChunkRows = size_t{1} << 16;

struct Chunk {
  std::vector<ColumnCells> columns;  // the columns read, in schema order
  size_t rows = 0;
};

// The columns of a table a connection uses, read as of one version by a loading thread: the
// schema's column i is chunk->columns[slot[i]] (slot -1: not read). Chunks are immutable once
// published. indexes[i] indexes column i: those a plan probes are built by the loading thread
// once it has read every row (the tables of a join index in parallel, off SQLite's thread),
// any other on SQLite's thread on first use; either is read only once the load is done.
struct LoadedRows {
  std::vector<int> slot;
  std::vector<bool> index_ahead;  // the columns the loading thread indexes
  // A cursor scans the table in full: it is the outer loop of the join, most likely, and the
  // indexes ahead would go unused (SQLite weighs plans that probe every table of a join, and does
  // not say which it chose). A probe that comes after all builds its index on first use.
  std::atomic<bool> scanned{false};
  std::atomic<bool> cancel{false};  // the statement is gone: stop reading

  std::mutex mu;
  std::condition_variable published;
  std::vector<std::unique_ptr<Chunk>> chunks;  // GUARDED_BY(mu) until done
  bool done = false;                           // GUARDED_BY(mu)
  Status status;                               // GUARDED_BY(mu)
  size_t rows = 0;                             // once done

  std::vector<std::unique_ptr<RowIndex>> indexes;  // by schema column

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
  // Indexes `column` (read, INTEGER or TEXT) over every chunk; once the load is done.
  void BuildIndex(int column, const Column& def) {
    std::vector<const ColumnCells*> cells;
    for (const auto& c : chunks) cells.push_back(&c->columns[slot[column]]);
    indexes[column] = std::make_unique<RowIndex>(cells, kChunkRows, def.type == Type::kInt);
  }
};

bool Indexable(const Column& c) { return c.type == Type::kInt || c.type == Type::kString; }

// colUsed's last bit stands for every column from 63 on.
bool Uses(uint64_t col_used, size_t column) {
  return (col_used >> (column < 63 ? column : 63)) & 1;
}

// The loading thread's work: reads `table` as of `at` into `out`, chunk by chunk.
void Load(const PartitionedTable* table, PartitionedTable::At at, LoadedRows* out) {
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
  Status st = table->Scan(at, &wanted, [&](const Row& row) -> Status {
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
  if (st.ok() && !out->scanned.load(std::memory_order_relaxed)) {
    // No chunk is published after this one: the thread reads them without the lock.
    for (size_t i = 0; i < schema.size(); ++i) {
      if (out->index_ahead[i]) out->BuildIndex(static_cast<int>(i), schema.column(i));
    }
  }
  std::lock_guard lock(out->mu);
  out->status = st;
  out->rows = rows;
  out->done = true;
  out->published.notify_all();
}

// The index on `column`, built now if the loading thread did not; waits for the load.
Result<const RowIndex*> IndexOn(LoadedRows* rows, int column, const Column& def) {
  RETURN_IF_ERROR(rows->WaitDone());
  if (!rows->indexes[column]) rows->BuildIndex(column, def);
  return rows->indexes[column].get();
}

struct Vtab : sqlite3_vtab {
  TableModule* module = nullptr;
  const TableSpec* spec = nullptr;        // the first directory's, as declared to SQLite
  std::optional<PartitionedTable> table;  // unset: `missing` says why (a directory lacks it)
  Status missing;                         // reported when a statement reads the table
  uint64_t col_used = 0;                  // the union of what the statements planned so far use
  uint64_t probed = 0;          // the columns (0 to 62) a plan so far looks up by equality
  int64_t estimated_rows = -1;  // from the commit log, on first plan
  uint64_t loaded_cols = 0;     // what `loaded` holds
  std::shared_ptr<LoadedRows> loaded;
  std::thread loader;  // fills `loaded`; borrows `table`, which must not move meanwhile

  void StopLoading() {
    if (loaded) loaded->cancel = true;
    if (loader.joinable()) loader.join();
  }
};

struct Cursor : sqlite3_vtab_cursor {
  std::shared_ptr<LoadedRows> rows;
  const RowIndex* index = nullptr;  // following a chain of equal keys: the row is `row`
  uint32_t row = 0;                 // (the row is also chunk_no and offset, as for a scan)
  bool single = false;              // the chain is `row` alone
  // The index of the last column probed, kept to skip a lookup per probe, and the row the
  // last probe found: the next probe tries the row after it first (sql/row_index.h).
  int probed_column = -1;
  const RowIndex* probed_index = nullptr;
  uint32_t last_match = kNoRow;
  size_t chunk_no = 0;  // the row: row `offset` of chunk `chunk_no`
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
  const TableSpec* spec = module->tables()->SpecOf(argv[2]);
  if (spec == nullptr) {
    *err = sqlite3_mprintf("no table %s in the store", argv[2]);
    return SQLITE_ERROR;
  }
  std::string ddl = "CREATE TABLE x(";
  const Schema& schema = spec->schema;
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
  vtab->spec = spec;
  // Declared for every table of any directory; one that some directory lacks (or has with
  // another schema) fails only the statements that read it.
  auto table = module->tables()->Find(argv[2]);
  if (table.ok()) {
    vtab->table.emplace(std::move(*table));
  } else {
    vtab->missing = table.status();
  }
  *out = vtab;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  Vtab* v = AsVtab(vtab);
  v->StopLoading();  // the thread borrows the table
  delete v;
  return SQLITE_OK;
}

int64_t EstimateRows(const std::optional<PartitionedTable>& table) {
  if (!table) return 1;
  int64_t rows = 0;
  for (const PartitionedTable::Part& part : table->parts()) {
    auto history = part.table->History();
    if (!history.ok()) return 1'000'000;
    for (const TableCommit& c : *history) rows += c.rows_added;  // upserts: an upper bound
  }
  return rows > 0 ? rows : 1;
}

int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  Vtab* v = AsVtab(vtab);
  v->col_used |= info->colUsed;
  if (v->estimated_rows < 0) v->estimated_rows = EstimateRows(v->table);
  const Schema& schema = v->spec->schema;
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
    if (c.iColumn < 63) v->probed |= uint64_t{1} << c.iColumn;
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
  if (!v->table) return v->missing;
  v->StopLoading();  // a later statement needs more columns: no cursor reads the old rows
  auto loaded = std::make_shared<LoadedRows>();
  const size_t width = v->spec->schema.size();
  loaded->slot.assign(width, -1);
  loaded->index_ahead.assign(width, false);
  loaded->indexes.resize(width);
  int next = 0;
  for (size_t i = 0; i < width; ++i) {
    if (Uses(v->col_used, i)) loaded->slot[i] = next++;
    loaded->index_ahead[i] = i < 63 && ((v->probed >> i) & 1);
  }
  v->loaded = loaded;
  v->loaded_cols = v->col_used;
  v->loader = std::thread([table = &*v->table, at = VersionsOf(v->module->travel()), loaded] {
    Load(table, at, loaded.get());
  });
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
// (a probe of another type: SQLite's comparison rules decide, over a full scan). Sets
// c->index and c->single.
Result<std::optional<uint32_t>> Probe(Cursor* c, int column, const Column& def,
                                      sqlite3_value* probe) {
  c->single = false;
  const int type = sqlite3_value_type(probe);
  if (type == SQLITE_NULL) return std::optional<uint32_t>(kNoRow);  // = NULL is never true
  int64_t key = 0;
  std::string_view text;
  if (def.type == Type::kInt) {
    if (type == SQLITE_INTEGER) {
      key = sqlite3_value_int64(probe);
    } else if (type == SQLITE_FLOAT) {
      const double d = sqlite3_value_double(probe);
      if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) return std::optional<uint32_t>(kNoRow);
      key = static_cast<int64_t>(d);
    } else {
      return std::optional<uint32_t>();
    }
  } else {
    if (type != SQLITE_TEXT) return std::optional<uint32_t>();
    const auto* chars = reinterpret_cast<const char*>(sqlite3_value_text(probe));
    text = std::string_view(chars, sqlite3_value_bytes(probe));
  }
  if (c->probed_column != column) {
    ASSIGN_OR_RETURN(c->probed_index, IndexOn(c->rows.get(), column, def));
    c->probed_column = column;
    c->last_match = kNoRow;
  }
  c->index = c->probed_index;
  const uint32_t near = c->last_match + 1;  // kNoRow + 1 is row 0
  const uint32_t row = def.type == Type::kInt ? c->index->FindInt(key, near, &c->single)
                                              : c->index->FindString(text, near, &c->single);
  if (row != kNoRow) c->last_match = row;
  return std::optional<uint32_t>(row);
}

// Points the cursor's cells at `row`, found by a probe: the load is done.
void PointAt(Cursor* c, uint32_t row) {
  c->chunk_no = row / kChunkRows;
  c->offset = row % kChunkRows;
  c->chunk = c->rows->chunks[c->chunk_no].get();
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
    auto start = Probe(c, column, v->spec->schema.column(column), argv[0]);
    if (!start.ok()) return fail(start.status());
    if (*start) {
      c->row = **start;
      c->eof = c->row == kNoRow;
      if (!c->eof) PointAt(c, c->row);
      return SQLITE_OK;
    }
  }
  c->rows->scanned.store(true, std::memory_order_relaxed);
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
    if (!c->eof) PointAt(c, c->row);
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
  c->chunk->columns[c->rows->slot[column]].Result(ctx, c->offset);
  return SQLITE_OK;
}

int RowId(sqlite3_vtab_cursor* cursor, sqlite_int64* out) {
  const Cursor* c = AsCursor(cursor);
  *out = static_cast<sqlite_int64>(c->chunk_no * kChunkRows + c->offset);
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
