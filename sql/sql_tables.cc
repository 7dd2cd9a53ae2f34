#include "sql/sql_tables.h"

#include <set>

namespace pinstream {

SqlTables SqlTables::Of(PartitionedStores* stores) {
  std::vector<Source> sources;
  for (size_t i = 0; i < stores->size(); ++i) {
    sources.push_back(Source{stores->dir(i), stores->store(i)->tables()});
  }
  return SqlTables(std::move(sources));
}

std::vector<std::string> SqlTables::Names() const {
  std::set<std::string> names;
  for (const Source& s : sources_) {
    for (const Table* t : s.tables->List()) names.insert(t->spec().name);
  }
  return {names.begin(), names.end()};
}

Result<PartitionedTable> SqlTables::Find(std::string_view name) const {
  std::vector<PartitionedTable::Part> parts;
  for (const Source& s : sources_) {
    Table* table = s.tables->Find(name);
    if (table == nullptr) {
      std::string msg = "table '" + std::string(name) + "' not found";
      if (sources_.size() > 1) msg += " in '" + s.dir + "'";
      return Status::ResourceNotFound(msg);
    }
    parts.push_back(PartitionedTable::Part{s.dir, table});
  }
  return PartitionedTable::Of(name, std::move(parts));
}

const TableSpec* SqlTables::SpecOf(std::string_view name) const {
  for (const Source& s : sources_) {
    if (const Table* t = s.tables->Find(name)) return &t->spec();
  }
  return nullptr;
}

}  // namespace pinstream
