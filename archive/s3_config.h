#pragma once

#include "archive/object_store.h"
#include "common/aws_config.h"
#include "common/result.h"

namespace pinstream {

// Everything an S3 request needs: the shared AWS settings, for the "s3" service.
using S3Config = AwsConfig;

// ResolveAwsConfig for S3 with the `archive`/`batch` flags in `options` (endpoint, region,
// profile); unset ones come from $AWS_ENDPOINT_URL_S3, $AWS_REGION, ~/.aws/... as the AWS CLI
// finds them, else "https://s3.<region>.amazonaws.com".
Result<S3Config> ResolveS3Config(const S3Options& options);

}  // namespace pinstream
