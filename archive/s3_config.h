#pragma once

#include <string>

#include "archive/object_store.h"
#include "common/result.h"

namespace pinstream {

// Everything an S3 request needs, resolved once from S3Options and the standard AWS places.
struct S3Config {
  std::string endpoint_url;  // without a trailing '/', e.g. "http://127.0.0.1:4568"
  std::string region;
  std::string access_key_id;  // empty: requests go unsigned (a public bucket)
  std::string secret_access_key;
  std::string session_token;
};

// Resolves `options` as the AWS CLI does, first found wins:
//  - region: options.region, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's `region` in
//    ~/.aws/config ($AWS_CONFIG_FILE), else "us-east-1";
//  - endpoint: options.endpoint_url, $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, the profile's
//    `endpoint_url`, else "https://s3.<region>.amazonaws.com";
//  - credentials: $AWS_ACCESS_KEY_ID + $AWS_SECRET_ACCESS_KEY (+ $AWS_SESSION_TOKEN), else the
//    profile's pair in ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE), else in ~/.aws/config;
//    the profile is options.profile, $AWS_PROFILE, else "default".
// InvalidArgument for half a key pair in the environment or a named profile that has none.
// Reads the environment and files; thread-safe as long as nobody changes the environment.
Result<S3Config> ResolveS3Config(const S3Options& options);

}  // namespace pinstream
