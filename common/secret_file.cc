#include "common/secret_file.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pinstream {

Result<std::string> ReadSecretFile(std::string_view path_view, std::string_view what) {
  const std::string path(path_view);
  const std::string named = std::string(what) + " '" + path + "'";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Status::InvalidArgument(named + ": " + strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(named + " is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("{} is accessible to its group or others path={} mode={:o}; chmod 600 it", what,
                 path, st.st_mode & 0777);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + named);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("cannot read " + named);
  return ss.str();
}

}  // namespace pinstream
