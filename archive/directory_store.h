#pragma once

#include <memory>
#include <string>

#include "archive/object_store.h"

namespace pinstream {

// An ObjectStore in a local directory: the key "a/b/c.json" is the file DIR/a/b/c.json. A Put
// writes a temporary file beside the object (".tmp-<name>-<pid>-<n>": it parses as no archive
// key and List skips it), fsyncs it, renames it into place and fsyncs the folder, so after a
// crash or kill -9 an object is either whole or absent. Temporary files a killed writer left are
// skipped by List and never read; they hold nothing committed.
//
// Not thread-safe (as ObjectStore).
class DirectoryStore final : public ObjectStore {
 public:
  // Creates `root` when missing.
  static Result<std::unique_ptr<DirectoryStore>> Open(std::string root);

  Status Put(std::string_view key, std::string_view body) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  std::string location() const override { return root_; }

  // Whether a file name is one of Put's temporary files.
  static bool IsTemporaryName(std::string_view file_name);

 private:
  explicit DirectoryStore(std::string root) : root_(std::move(root)) {}

  std::string root_;
  uint64_t temp_counter_ = 0;
};

}  // namespace pinstream
