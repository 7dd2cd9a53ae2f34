#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sinks/processor_store.h"
#include "sinks/table_store.h"

namespace pinstream {

// The `--data` arguments of a command that reads several data directories as one: each names a
// directory or is a shell pattern (`out/instance-*`, glob(3)) standing for the directories it
// matches, in sorted order. NotFound for a pattern that matches nothing; InvalidArgument when a
// directory comes twice (its rows would be read twice).
Result<std::vector<std::string>> ExpandDataDirs(const std::vector<std::string>& args);

// The data directories of the instances of one topology (`pinstream run --instance I
// --instances N`), each a processor store holding that instance's share of every table, opened
// read-only (so they may be read while the processors write them). Owns the stores. Not
// thread-safe; the tables it hands out follow Table's rules.
class PartitionedStores {
 public:
  static Result<std::unique_ptr<PartitionedStores>> Open(const std::vector<std::string>& dirs);

  size_t size() const { return parts_.size(); }
  const std::string& dir(size_t i) const { return parts_[i].dir; }
  ProcessorStore* store(size_t i) { return parts_[i].store.get(); }

 private:
  struct Part {
    std::string dir;
    std::unique_ptr<ProcessorStore> store;
  };
  std::vector<Part> parts_;
};

// One table read across every directory of PartitionedStores as one table: the union of the
// parts' rows, directory by directory in the stores' order.
//
// An append table's union is the table. An upsert table's parts hold disjoint keys when the
// topology reads (or repartitions) by its key, so their union is the table too; a key found in
// two directories means the split was not by that key, and the scan fails with InvalidArgument
// naming the key and both directories (the rows before it were visited). Telling costs memory:
// the encoded keys of every part but the last.
//
// Versions are each directory's own: a version number names one directory's table only, so
// with several directories a scan is by time (each part as of its version current then), or of
// the newest versions.
//
// Borrows the tables, owned by the stores, which must outlive it.
class PartitionedTable {
 public:
  struct Part {
    std::string dir;
    Table* table;
  };
  // Which versions a scan reads: the newest (both unset), `version` (one directory only), or
  // each part's version current at `time_ms`.
  struct At {
    std::optional<int64_t> version;
    std::optional<int64_t> time_ms;
  };

  // The table `name` of every directory: ResourceNotFound naming a directory without it;
  // InvalidArgument naming two directories whose schemas or keys differ.
  static Result<PartitionedTable> Find(PartitionedStores* stores, std::string_view name);
  // The table whose parts are `parts` (at least one, each a directory's table `name`), for a
  // caller that finds them itself: InvalidArgument naming two whose schemas or keys differ.
  static Result<PartitionedTable> Of(std::string_view name, std::vector<Part> parts);

  const TableSpec& spec() const { return parts_.front().table->spec(); }
  bool upsert() const { return parts_.front().table->upsert(); }
  const std::vector<Part>& parts() const { return parts_; }

  // Visits every row of the union as of `at`, decoding only the `wanted` columns when given
  // (Table::Scan's projection; the key columns are decoded anyway). Stops at the first error of
  // `visit`.
  Status Scan(const At& at, const std::vector<bool>* wanted,
              const std::function<Status(const Row&)>& visit) const;

 private:
  explicit PartitionedTable(std::vector<Part> parts) : parts_(std::move(parts)) {}
  std::vector<Part> parts_;  // at least one
};

}  // namespace pinstream
