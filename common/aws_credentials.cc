#include "common/aws_credentials.h"

#include <map>

#include "common/secret_file.h"

namespace pinstream {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<AwsCredential>> ParseAwsCredentials(std::string_view text) {
  std::vector<AwsCredential> profiles;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';' || indented) continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return Status::InvalidArgument("line " + std::to_string(line_no) + ": unclosed section");
      }
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = Trim(name.substr(8));
      profiles.push_back(AwsCredential{std::string(name), "", ""});
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": not key = value");
    }
    if (profiles.empty()) {
      return Status::InvalidArgument("line " + std::to_string(line_no) +
                                     ": a value before any [profile]");
    }
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string_view value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") profiles.back().access_key_id = value;
    if (key == "aws_secret_access_key") profiles.back().secret_access_key = value;
  }
  std::vector<AwsCredential> out;
  std::map<std::string, std::string> secret_of;
  for (auto& p : profiles) {
    if (p.access_key_id.empty() && p.secret_access_key.empty()) continue;
    if (p.access_key_id.empty() || p.secret_access_key.empty()) {
      return Status::InvalidArgument("profile '" + p.profile + "' has only one of " +
                                     "aws_access_key_id and aws_secret_access_key");
    }
    auto [it, fresh] = secret_of.emplace(p.access_key_id, p.secret_access_key);
    if (!fresh && it->second != p.secret_access_key) {
      return Status::InvalidArgument("access key id " + p.access_key_id +
                                     " has two different secrets");
    }
    if (fresh) out.push_back(std::move(p));
  }
  if (out.empty()) return Status::InvalidArgument("no profile with an access key pair");
  return out;
}

Result<std::vector<AwsCredential>> LoadAwsCredentialsFile(std::string_view path) {
  ASSIGN_OR_RETURN(std::string text, ReadSecretFile(path, "AWS credentials file"));
  auto parsed = ParseAwsCredentials(text);
  if (!parsed.ok()) return parsed.status().WithContext(std::string(path));
  return parsed;
}

}  // namespace pinstream
