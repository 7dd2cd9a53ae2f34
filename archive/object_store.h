#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace pinstream {

// One object of a store, as a listing names it.
struct ObjectInfo {
  std::string key;  // relative to the store's root (the directory, or the S3 prefix)
  int64_t size = 0;
};

// Where archived objects live: a local directory or an S3 bucket and prefix. Objects are
// written whole or not at all (a temporary file renamed into place; one S3 PUT), so a reader
// never sees half an object and a writer killed at any instant leaves none.
//
// Not thread-safe: a store belongs to one thread (the S3 store keeps one curl handle).
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Writes `body` as the object `key` ("topics/t/partition=0/t+0+0000000000.json"), replacing
  // an object of that key.
  virtual Status Put(std::string_view key, std::string_view body) = 0;
  // The object's bytes; ResourceNotFound when there is none.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Every object whose key starts with `prefix`, in bytewise key order.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
  // The store as a user names it: the directory, or "s3://bucket/prefix".
  virtual std::string location() const = 0;
};

// How to reach an S3 endpoint. Empty fields come from the standard AWS environment
// (AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, AWS_PROFILE) and the shared files (~/.aws/credentials, ~/.aws/config).
struct S3Options {
  std::string endpoint_url;  // e.g. "http://127.0.0.1:4568"; empty: AWS's for the region
  std::string region;
  std::string profile;
};

// Opens `location`: "s3://bucket[/prefix]" is an S3 store (path-style requests, signed with
// libcurl's SigV4); anything else is a directory, created when missing.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view location,
                                                     const S3Options& s3 = {});

}  // namespace pinstream
