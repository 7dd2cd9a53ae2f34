#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "archive/object_store.h"
#include "common/result.h"

namespace pinstream {

// One page of a ListObjectsV2 answer (<ListBucketResult>). Keys are as the bucket holds them
// (with the prefix); the request asks for no encoding-type, so they are plain text.
struct ListObjectsPage {
  std::vector<ObjectInfo> objects;
  bool is_truncated = false;
  std::string next_continuation_token;
};

// Parses a ListObjectsV2 body with expat; Corruption when it is not that XML.
Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml);

// S3's <Error><Code>..</Code><Message>..</Message></Error>; empty fields when the body is not
// one (a HEAD answer, a proxy's HTML page).
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view xml);

}  // namespace pinstream
