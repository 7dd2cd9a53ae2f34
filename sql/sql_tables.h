#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sinks/partitioned_table.h"
#include "sinks/table_store.h"

namespace pinstream {

// The tables an SQL session can name: those of one or more data directories read as one, each
// table the union of its parts (sinks/partitioned_table.h: an upsert key in two directories is
// an error, versions are each directory's own). One directory is the one-part case, read as its
// Table is.
//
// Borrows the stores, which must outlive it (and every PartitionedTable it hands out).
// Immutable once built: safe to use from any thread.
class SqlTables {
 public:
  struct Source {
    std::string dir;  // named in errors when there are several
    const TableStore* tables;
  };

  explicit SqlTables(std::vector<Source> sources) : sources_(std::move(sources)) {}
  // One store: its tables as they are.
  explicit SqlTables(const TableStore* tables) : SqlTables({Source{"", tables}}) {}
  // Every directory of `stores`, in their order.
  static SqlTables Of(PartitionedStores* stores);

  size_t parts() const { return sources_.size(); }

  // The name of every table of any directory, sorted: a table missing from some directory is
  // listed too, and is an error only for a query that reads it (Find).
  std::vector<std::string> Names() const;
  // The table `name` of every directory: ResourceNotFound naming a directory without it,
  // InvalidArgument naming two whose schemas or keys differ.
  Result<PartitionedTable> Find(std::string_view name) const;
  // The spec of the table `name` in the first directory that has it; nullptr when none has.
  const TableSpec* SpecOf(std::string_view name) const;

 private:
  std::vector<Source> sources_;  // at least one
};

}  // namespace pinstream
