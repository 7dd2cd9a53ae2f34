#include "common/read_file.h"

#include <fstream>
#include <sstream>

namespace pinstream {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace pinstream
