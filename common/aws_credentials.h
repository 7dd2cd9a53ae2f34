#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace pinstream {

// One access key pair of an AWS shared-credentials file.
struct AwsCredential {
  std::string profile;
  std::string access_key_id;
  std::string secret_access_key;
};

// Parses the AWS shared-credentials format (~/.aws/credentials): INI sections `[name]` (or
// `[profile name]`, as in ~/.aws/config), each with `aws_access_key_id` and
// `aws_secret_access_key`; other keys, comments (`#`, `;`) and indented sub-values are ignored.
// Every profile with a key pair yields one credential. InvalidArgument for a profile with only
// half a pair, two profiles with the same access key id and different secrets, or no pair at all.
Result<std::vector<AwsCredential>> ParseAwsCredentials(std::string_view text);

// ParseAwsCredentials of a file read with ReadSecretFile (a warning when others may read it).
Result<std::vector<AwsCredential>> LoadAwsCredentialsFile(std::string_view path);

}  // namespace pinstream
