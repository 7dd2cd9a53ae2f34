#include "demo/demo_paths.h"

#include <stdlib.h>

#include <filesystem>
#include <vector>

namespace pinstream {

namespace {

namespace fs = std::filesystem;

constexpr char kTopologyFile[] = "topologies/pinterest.json";

}  // namespace

Result<std::string> PrepareDemoDataDir(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) {
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create '" + dir + "': " + ec.message());
    return fs::absolute(dir, ec).lexically_normal().string();
  }
  std::string templ = (fs::temp_directory_path(ec) / "pinstream-demo-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IOError("cannot create a directory like '" + templ + "'");
  }
  return templ;
}

Result<std::string> FindDemoTopology(const std::string& file, const std::string& source_dir) {
  std::error_code ec;
  if (!file.empty()) {
    if (!fs::exists(file, ec)) return Status::ResourceNotFound("no topology file '" + file + "'");
    return file;
  }
  std::vector<fs::path> candidates = {kTopologyFile};
  if (!source_dir.empty()) candidates.push_back(fs::path(source_dir) / kTopologyFile);
  for (const auto& c : candidates) {
    if (fs::exists(c, ec)) return c.string();
  }
  return Status::ResourceNotFound(std::string("no ") + kTopologyFile +
                                  " here or in the source tree; pass --topology FILE");
}

}  // namespace pinstream
