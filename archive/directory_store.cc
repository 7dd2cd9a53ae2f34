#include "archive/directory_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pinstream {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempPrefix = ".tmp-";

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(err));
}

Status WriteAll(int fd, std::string_view body, const std::string& path) {
  while (!body.empty()) {
    ssize_t n = ::write(fd, body.data(), body.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing", path, errno);
    }
    body.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : ErrnoStatus("syncing", dir, err);
}

// Keys are relative paths of plain segments; anything that could leave the root is refused.
Status CheckKey(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') {
    return Status::InvalidArgument("bad object key '" + std::string(key) + "'");
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.starts_with(kTempPrefix)) {
      return Status::InvalidArgument("bad object key '" + std::string(key) + "'");
    }
    start = end + 1;
  }
  return Status::OK();
}

}  // namespace

bool DirectoryStore::IsTemporaryName(std::string_view file_name) {
  return file_name.starts_with(kTempPrefix);
}

Result<std::unique_ptr<DirectoryStore>> DirectoryStore::Open(std::string root) {
  if (root.empty()) return Status::InvalidArgument("empty archive directory");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IOError("creating " + root + ": " + ec.message());
  if (!fs::is_directory(root, ec)) return Status::IOError(root + " is not a directory");
  return std::unique_ptr<DirectoryStore>(new DirectoryStore(std::move(root)));
}

Status DirectoryStore::Put(std::string_view key, std::string_view body) {
  RETURN_IF_ERROR(CheckKey(key));
  const fs::path path = fs::path(root_) / key;
  const std::string dir = path.parent_path().string();
  std::error_code ec;
  // The folders the object needs, each made durable in its parent once (a new partition's).
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("creating " + dir + ": " + ec.message());
    for (fs::path p = dir; p != fs::path(root_) && p.has_parent_path(); p = p.parent_path()) {
      RETURN_IF_ERROR(SyncDirectory(p.parent_path().string()));
    }
  }
  const std::string temp = dir + "/" + std::string(kTempPrefix) + path.filename().string() + "-" +
                           std::to_string(::getpid()) + "-" + std::to_string(temp_counter_++);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", temp, errno);
  Status s = WriteAll(fd, body, temp);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus("syncing", temp, errno);
  if (::close(fd) != 0 && s.ok()) s = ErrnoStatus("closing", temp, errno);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    s = ErrnoStatus("renaming into", path.string(), errno);
  }
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  return SyncDirectory(dir);
}

Result<std::string> DirectoryStore::Get(std::string_view key) {
  RETURN_IF_ERROR(CheckKey(key));
  const std::string path = (fs::path(root_) / key).string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return Status::ResourceNotFound("NoSuchKey: no object '" + std::string(key) + "' in " +
                                      root_);
    }
    return ErrnoStatus("opening", path, errno);
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus("reading", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::vector<ObjectInfo>> DirectoryStore::List(std::string_view prefix) {
  std::vector<ObjectInfo> out;
  // Walk only the folder the prefix reaches into, not the whole root.
  const size_t slash = prefix.rfind('/');
  const std::string sub =
      slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash));
  const fs::path start = sub.empty() ? fs::path(root_) : fs::path(root_) / sub;
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return out;
  fs::recursive_directory_iterator it(start, ec), end;
  if (ec) return Status::IOError("listing " + start.string() + ": " + ec.message());
  const size_t root_len = root_.size() + 1;
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("listing " + start.string() + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    if (IsTemporaryName(it->path().filename().native())) continue;
    std::string key = it->path().string().substr(root_len);
    if (!key.starts_with(prefix)) continue;
    const auto size = it->file_size(ec);
    if (ec) continue;  // removed while listing
    out.push_back({std::move(key), static_cast<int64_t>(size)});
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

}  // namespace pinstream
