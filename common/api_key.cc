#include "common/api_key.h"

#include <cstdlib>
#include <cstring>

#include "common/secret_file.h"

namespace pinstream {

Result<std::string> LoadApiKey(std::string_view key_file) {
  if (key_file.empty()) {
    const char* env = std::getenv(kApiKeyEnv);
    return std::string(env == nullptr ? "" : env);
  }
  ASSIGN_OR_RETURN(std::string key, ReadSecretFile(key_file, "API key file"));
  while (!key.empty() && std::strchr(" \t\r\n\f\v", key.back()) != nullptr) key.pop_back();
  if (key.empty()) {
    return Status::InvalidArgument("API key file '" + std::string(key_file) + "' is empty");
  }
  return key;
}

}  // namespace pinstream
