#pragma once

#include <string>

#include "common/result.h"

namespace pinstream {

// What a client of one AWS service asks for; empty fields are looked up (ResolveAwsConfig).
struct AwsConfigRequest {
  // The service's endpoint prefix: "s3", "kinesis". It names the endpoint variable
  // ($AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL_KINESIS) and AWS's default host.
  std::string service;
  std::string endpoint_url;  // e.g. "http://127.0.0.1:4568"; empty: looked up
  std::string region;
  std::string profile;
};

// Everything a signed request to one AWS service needs, resolved once.
struct AwsConfig {
  std::string
      endpoint_url;  // without a trailing '/', e.g. "https://kinesis.eu-west-1.amazonaws.com"
  std::string region;
  std::string access_key_id;  // empty: requests go unsigned (a public bucket, a local emulator)
  std::string secret_access_key;
  std::string session_token;  // sent as X-Amz-Security-Token when set

  bool has_credentials() const { return !access_key_id.empty(); }
};

// Resolves `request` as the AWS CLI does, first found wins:
//  - region: request.region, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's `region` in
//    ~/.aws/config ($AWS_CONFIG_FILE), else "us-east-1";
//  - endpoint: request.endpoint_url, $AWS_ENDPOINT_URL_<SERVICE>, $AWS_ENDPOINT_URL, the
//    profile's `endpoint_url`, else "https://<service>.<region>.amazonaws.com";
//  - credentials: $AWS_ACCESS_KEY_ID + $AWS_SECRET_ACCESS_KEY (+ $AWS_SESSION_TOKEN), else the
//    profile's pair (+ aws_session_token) in ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE),
//    else in ~/.aws/config; the profile is request.profile, $AWS_PROFILE, else "default".
// InvalidArgument for half a key pair in the environment or a named profile that has none.
// The one place the archive (S3) and the Kinesis sources find their AWS settings. Reads the
// environment and files; thread-safe as long as nobody changes the environment.
Result<AwsConfig> ResolveAwsConfig(const AwsConfigRequest& request);

}  // namespace pinstream
