#pragma once

#include <memory>
#include <string>

#include "archive/object_store.h"
#include "archive/s3_config.h"

namespace pinstream {

// An ObjectStore in an S3 bucket under a prefix, spoken through libcurl: path-style URLs
// (endpoint/bucket/key, as local S3 servers want), every request signed by libcurl's own SigV4
// (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3") unless there are no credentials. Put is one
// PutObject (S3 makes an object visible whole or not at all), List pages through
// ListObjectsV2 with continuation tokens. An S3 error comes back as a Status whose message starts
// with S3's error code ("NoSuchBucket: The specified bucket does not exist"); transport errors
// and 5xx answers are retried a few times with backoff first. The bucket is never created: a
// missing one is an error, as it is for the S3 sink connector.
//
// Not thread-safe: the store owns one curl handle (and its connection cache).
class S3Store final : public ObjectStore {
 public:
  // `location` is "s3://bucket[/prefix]".
  static Result<std::unique_ptr<S3Store>> Open(std::string_view location, S3Config config);
  ~S3Store() override;

  Status Put(std::string_view key, std::string_view body) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  std::string location() const override;

 private:
  struct Answer {
    long http_status = 0;
    std::string body;
  };
  S3Store(std::string bucket, std::string prefix, S3Config config, void* curl);

  // One request, retried on transport errors and 5xx; `path_and_query` starts after the
  // bucket ("/key" or "?list-type=2&..."). An HTTP error is an Answer, not a Status.
  Result<Answer> Perform(std::string_view method, const std::string& path_and_query,
                         std::string_view body);
  Result<Answer> PerformOnce(std::string_view method, const std::string& url,
                             std::string_view body);
  // The Status of a non-2xx answer, naming what was asked.
  Status ErrorStatus(const Answer& answer, std::string_view what) const;
  std::string ObjectPath(std::string_view key) const;

  std::string bucket_;
  std::string prefix_;  // "" or ending in '/'
  S3Config config_;
  void* curl_;  // CURL*, owned
};

}  // namespace pinstream
