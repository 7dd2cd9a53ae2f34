#include "archive/object_store.h"

#include "archive/directory_store.h"
#include "archive/s3_store.h"

namespace pinstream {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view location,
                                                     const S3Options& s3) {
  if (location.starts_with("s3://")) {
    ASSIGN_OR_RETURN(S3Config config, ResolveS3Config(s3));
    ASSIGN_OR_RETURN(auto store, S3Store::Open(location, std::move(config)));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  ASSIGN_OR_RETURN(auto store, DirectoryStore::Open(std::string(location)));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace pinstream
