#include "runtime/instance_marker.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pinstream {

namespace {

std::filesystem::path MarkerPath(const std::string& data_dir) {
  return std::filesystem::path(data_dir) / kInstanceMarkerFile;
}

}  // namespace

Result<std::optional<InstanceSplit>> ReadInstanceMarker(const std::string& data_dir) {
  const std::filesystem::path path = MarkerPath(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    // RocksDB's CURRENT: a store that every earlier run read whole.
    if (std::filesystem::exists(std::filesystem::path(data_dir) / "CURRENT", ec)) {
      return std::optional<InstanceSplit>(InstanceSplit{});
    }
    return std::optional<InstanceSplit>();
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::IOError("cannot read " + path.string());
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    auto split =
        MakeInstanceSplit(j.at("instance").get<int64_t>(), j.at("instances").get<int64_t>());
    if (!split.ok()) return split.status().WithContext(path.string());
    return std::optional<InstanceSplit>(*split);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(path.string() + ": " + e.what());
  }
}

Status CheckInstanceMarker(const std::string& data_dir, const InstanceSplit& split) {
  ASSIGN_OR_RETURN(std::optional<InstanceSplit> recorded, ReadInstanceMarker(data_dir));
  if (!recorded || *recorded == split) return Status::OK();
  return Status::InvalidArgument(
      "data directory '" + data_dir + "' holds the tables and checkpoint of " +
      recorded->ToString() + ", and this run is " + split.ToString() +
      ": its shards differ, so it would read some records twice and others never. Run it as " +
      recorded->ToString() + " (--instance " + std::to_string(recorded->instance) +
      " --instances " + std::to_string(recorded->instances) +
      "), or start the new split over fresh data directories");
}

Status WriteInstanceMarker(const std::string& data_dir, const InstanceSplit& split) {
  const std::filesystem::path path = MarkerPath(data_dir);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Status::OK();
  // Written aside and renamed, so that a crash leaves the whole file or none.
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"instance", split.instance}, {"instances", split.instances}}.dump()
        << "\n";
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

}  // namespace pinstream
