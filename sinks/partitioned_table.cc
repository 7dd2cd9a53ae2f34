#include "sinks/partitioned_table.h"

#include <glob.h>

#include <filesystem>
#include <set>
#include <unordered_map>

#include "common/json_dump.h"
#include "sinks/key_encoding.h"

namespace pinstream {

namespace {

bool IsPattern(std::string_view arg) { return arg.find_first_of("*?[") != std::string_view::npos; }

// The key columns' indexes in the schema.
Result<std::vector<size_t>> KeyIndexes(const TableSpec& spec) {
  std::vector<size_t> keys;
  for (const std::string& name : spec.key_columns) {
    const int i = spec.schema.Find(name);
    if (i < 0) return Status::Corruption("table '" + spec.name + "': no key column '" + name + "'");
    keys.push_back(static_cast<size_t>(i));
  }
  return keys;
}

}  // namespace

Result<std::vector<std::string>> ExpandDataDirs(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  for (const std::string& arg : args) {
    if (!IsPattern(arg)) {
      dirs.push_back(arg);
      continue;
    }
    glob_t found{};
    const int rc = glob(arg.c_str(), GLOB_ONLYDIR, nullptr, &found);
    if (rc == 0) {
      for (size_t i = 0; i < found.gl_pathc; ++i) dirs.emplace_back(found.gl_pathv[i]);
    }
    globfree(&found);
    if (rc == GLOB_NOMATCH) {
      return Status::ResourceNotFound("--data '" + arg + "' matches no directory");
    }
    if (rc != 0) return Status::IOError("--data '" + arg + "': the pattern could not be read");
  }
  std::set<std::string> seen;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    std::filesystem::path canonical = std::filesystem::weakly_canonical(dir, ec);
    if (!seen.insert(ec ? dir : canonical.string()).second) {
      return Status::InvalidArgument("--data '" + dir +
                                     "' is given twice: its rows would be read twice");
    }
  }
  return dirs;
}

Result<std::unique_ptr<PartitionedStores>> PartitionedStores::Open(
    const std::vector<std::string>& dirs) {
  if (dirs.empty()) return Status::InvalidArgument("--data DIR is required");
  auto stores = std::unique_ptr<PartitionedStores>(new PartitionedStores());
  for (const std::string& dir : dirs) {
    auto store = ProcessorStore::Open(dir, /*read_only=*/true);
    if (!store.ok()) {
      return dirs.size() > 1 ? store.status().WithContext("'" + dir + "'") : store.status();
    }
    stores->parts_.push_back(Part{dir, std::move(*store)});
  }
  return stores;
}

Result<PartitionedTable> PartitionedTable::Find(PartitionedStores* stores, std::string_view name) {
  std::vector<Part> parts;
  for (size_t i = 0; i < stores->size(); ++i) {
    Table* table = stores->store(i)->tables()->Find(name);
    if (table == nullptr) {
      std::string msg = "table '" + std::string(name) + "' not found";
      if (stores->size() > 1) msg += " in '" + stores->dir(i) + "'";
      return Status::ResourceNotFound(msg);
    }
    parts.push_back(Part{stores->dir(i), table});
  }
  return Of(name, std::move(parts));
}

Result<PartitionedTable> PartitionedTable::Of(std::string_view name, std::vector<Part> parts) {
  if (parts.empty()) return Status::InvalidArgument("table '" + std::string(name) + "': no parts");
  for (const Part& part : parts) {
    if (!(part.table->spec() == parts.front().table->spec())) {
      return Status::InvalidArgument("table '" + std::string(name) + "' differs between '" +
                                     parts.front().dir + "' and '" + part.dir +
                                     "' (schema or key): they are not instances of one topology");
    }
  }
  return PartitionedTable(std::move(parts));
}

Status PartitionedTable::Scan(const At& at, const std::vector<bool>* wanted,
                              const std::function<Status(const Row&)>& visit) const {
  if (at.version && parts_.size() > 1) {
    return Status::InvalidArgument(
        "a version names one data directory's table (each directory numbers its own); with "
        "several, read by time (--timestamp) or the newest");
  }
  if (parts_.size() == 1) {
    // One directory reads as its table does, without a wrapper around `visit` per row.
    const Table& table = *parts_.front().table;
    std::optional<int64_t> version = at.version;
    if (at.time_ms) {
      ASSIGN_OR_RETURN(version, table.VersionAt(*at.time_ms));
    }
    return wanted != nullptr ? table.Scan(version, *wanted, visit) : table.Scan(version, visit);
  }
  std::vector<size_t> keys;
  if (upsert()) {
    ASSIGN_OR_RETURN(keys, KeyIndexes(spec()));
  }
  std::vector<bool> decode;
  if (wanted != nullptr) {
    decode = *wanted;
    decode.resize(spec().schema.size(), false);
    for (size_t k : keys) decode[k] = true;
  }
  // Encoded key -> the part that holds it.
  std::unordered_map<std::string, size_t> owner;
  std::string key;
  Status stopped;
  for (size_t p = 0; p < parts_.size(); ++p) {
    const Table& table = *parts_[p].table;
    std::optional<int64_t> version = at.version;
    if (at.time_ms) {
      auto v = table.VersionAt(*at.time_ms);
      if (!v.ok()) {
        return parts_.size() > 1 ? v.status().WithContext("'" + parts_[p].dir + "'") : v.status();
      }
      version = *v;
    }
    const bool remember = !keys.empty() && p + 1 < parts_.size();
    auto each = [&](const Row& row) -> Status {
      if (!keys.empty()) {
        key.clear();
        for (size_t k : keys) EncodeKeyValue(row[k], &key);
        auto it = owner.find(key);
        if (it != owner.end()) {
          nlohmann::ordered_json shown;
          for (size_t k : keys) shown[spec().schema.column(k).name] = row[k].ToJson();
          stopped = Status::InvalidArgument("table '" + spec().name + "': key " + DumpJson(shown) +
                                            " is in both '" + parts_[it->second].dir + "' and '" +
                                            parts_[p].dir +
                                            "': the instances did not split the table by its key");
          return stopped;
        }
        if (remember) owner.emplace(key, p);
      }
      stopped = visit(row);
      return stopped;
    };
    Status s = wanted != nullptr ? table.Scan(version, decode, each) : table.Scan(version, each);
    // The visitor's own stop (or a key found twice) goes back as it is, the store's errors with
    // the directory that gave them.
    if (!stopped.ok()) return stopped;
    if (!s.ok()) return parts_.size() > 1 ? s.WithContext("'" + parts_[p].dir + "'") : s;
  }
  return Status::OK();
}

}  // namespace pinstream
