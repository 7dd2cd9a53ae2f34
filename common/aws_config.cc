#include "common/aws_config.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/aws_credentials.h"

namespace pinstream {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string HomeFile(const char* env_name, const char* home_relative) {
  std::string path = Env(env_name);
  if (!path.empty()) return path;
  const std::string home = Env("HOME");
  return home.empty() ? "" : home + "/" + home_relative;
}

// Reads a file that may be absent: empty when it is.
std::string ReadOptionalFile(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `key = value` of an INI section ("[name]" or "[profile name]"), as the AWS files write
// them; indented lines are sub-values of the key above and never match.
std::string IniValue(std::string_view text, std::string_view profile, std::string_view key) {
  bool in_section = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) continue;
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = Trim(name.substr(8));
      in_section = name == profile;
      continue;
    }
    if (!in_section) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(line.substr(0, eq)) == key) return std::string(Trim(line.substr(eq + 1)));
  }
  return "";
}

// The profile's key pair from a credentials-format file; false when it has none.
Result<bool> ProfileCredentials(const std::string& path, const std::string& profile,
                                AwsConfig* config) {
  const std::string text = ReadOptionalFile(path);
  if (text.empty()) return false;
  if (IniValue(text, profile, "aws_access_key_id").empty()) return false;
  ASSIGN_OR_RETURN(std::vector<AwsCredential> creds, LoadAwsCredentialsFile(path));
  for (const AwsCredential& c : creds) {
    if (c.profile != profile) continue;
    config->access_key_id = c.access_key_id;
    config->secret_access_key = c.secret_access_key;
    config->session_token = IniValue(text, profile, "aws_session_token");
    return true;
  }
  return false;
}

}  // namespace

Result<AwsConfig> ResolveAwsConfig(const AwsConfigRequest& request) {
  AwsConfig config;
  std::string profile = request.profile;
  if (profile.empty()) profile = Env("AWS_PROFILE");
  const bool named_profile = !profile.empty();
  if (profile.empty()) profile = "default";
  const std::string config_path = HomeFile("AWS_CONFIG_FILE", ".aws/config");
  const std::string config_text = ReadOptionalFile(config_path);

  config.region = request.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (config.region.empty()) config.region = Env(name);
  }
  if (config.region.empty()) config.region = IniValue(config_text, profile, "region");
  if (config.region.empty()) config.region = "us-east-1";

  config.endpoint_url = request.endpoint_url;
  std::string service_variable = "AWS_ENDPOINT_URL_";
  for (char c : request.service) {
    service_variable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const std::string& name : {service_variable, std::string("AWS_ENDPOINT_URL")}) {
    if (config.endpoint_url.empty()) config.endpoint_url = Env(name.c_str());
  }
  if (config.endpoint_url.empty()) {
    config.endpoint_url = IniValue(config_text, profile, "endpoint_url");
  }
  if (config.endpoint_url.empty()) {
    config.endpoint_url = "https://" + request.service + "." + config.region + ".amazonaws.com";
  }
  while (!config.endpoint_url.empty() && config.endpoint_url.back() == '/') {
    config.endpoint_url.pop_back();
  }

  const std::string env_key = Env("AWS_ACCESS_KEY_ID");
  const std::string env_secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!env_key.empty() || !env_secret.empty()) {
    if (env_key.empty() || env_secret.empty()) {
      return Status::InvalidArgument(
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    }
    config.access_key_id = env_key;
    config.secret_access_key = env_secret;
    config.session_token = Env("AWS_SESSION_TOKEN");
    return config;
  }
  ASSIGN_OR_RETURN(bool found,
                   ProfileCredentials(HomeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
                                      profile, &config));
  if (!found) {
    ASSIGN_OR_RETURN(found, ProfileCredentials(config_path, profile, &config));
  }
  if (!found && named_profile) {
    return Status::InvalidArgument("AWS profile '" + profile + "' has no credentials");
  }
  return config;
}

}  // namespace pinstream
