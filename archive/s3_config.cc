#include "archive/s3_config.h"

namespace pinstream {

Result<S3Config> ResolveS3Config(const S3Options& options) {
  return ResolveAwsConfig(
      AwsConfigRequest{"s3", options.endpoint_url, options.region, options.profile});
}

}  // namespace pinstream
