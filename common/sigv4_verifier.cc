#include "common/sigv4_verifier.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <optional>

#include "common/hmac.h"
#include "common/url_encoding.h"

namespace pinstream {

namespace sigv4 {

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(const unsigned char* data, size_t n) {
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

}  // namespace

// The path with "." and ".." segments resolved and empty segments dropped (as botocore's
// normpath does), a trailing slash kept; then each segment encoded once more, so the path as
// sent (encoded once by the client) ends up encoded twice, as AWS wants for all but S3.
std::string CanonicalUri(std::string_view raw_path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= raw_path.size()) {
    size_t slash = raw_path.find('/', pos);
    if (slash == std::string_view::npos) slash = raw_path.size();
    std::string_view seg = raw_path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string path;
  for (auto seg : segments) path += "/" + UriEncode(seg, false);
  if (path.empty()) return "/";
  if (raw_path.ends_with('/')) path += '/';
  return path;
}

std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos < raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view pair = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    params.emplace_back(UriEncode(PercentDecode(key), false),
                        UriEncode(PercentDecode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string HexSha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return ToHex(digest.data(), digest.size());
}

std::string Sign(std::string_view secret, std::string_view date, std::string_view region,
                 std::string_view service, std::string_view string_to_sign) {
  const std::string k_date = HmacSha256("AWS4" + std::string(secret), date);
  const std::string k_region = HmacSha256(k_date, region);
  const std::string k_service = HmacSha256(k_region, service);
  const std::string k_signing = HmacSha256(k_service, "aws4_request");
  const std::string sig = HmacSha256(k_signing, string_to_sign);
  return ToHex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

}  // namespace sigv4

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The header's values (every header of that name, in order), joined with ',', each trimmed
// and with runs of spaces collapsed; nullopt when the request has no such header.
std::optional<std::string> CanonicalHeaderValue(const SigV4Request& r, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : r.headers) {
    if (Lower(n) != name) continue;
    std::string value;
    bool space = false;
    for (char c : Trim(v)) {
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space && !value.empty()) value += ' ';
      space = false;
      value += c;
    }
    out = out ? *out + "," + value : value;
  }
  return out;
}

// "20150830T123600Z" as Unix milliseconds.
std::optional<int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// RFC 7231's IMF-fixdate ("Sun, 30 Aug 2015 12:36:00 GMT") as an X-Amz-Date string.
std::optional<std::string> AmzDateFromHttpDate(std::string_view s) {
  std::tm tm{};
  const std::string text(s);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  char buf[17];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf);
}

std::string FormatAmzDate(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[17];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

struct AuthorizationHeader {
  std::string_view credential;
  std::string_view signed_headers;
  std::string_view signature;
};

}  // namespace

SigV4Verifier::SigV4Verifier(const std::vector<AwsCredential>& credentials) {
  for (const auto& c : credentials) secret_by_key_id_.emplace(c.access_key_id, c.secret_access_key);
}

int SigV4Verifier::HttpStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kMissingAuthenticationToken:
    case Status::Code::kAccessDenied:
      return 403;
    default:
      return 400;
  }
}

Status SigV4Verifier::Verify(const SigV4Request& r, int64_t now_ms) const {
  std::optional<std::string> authorization = CanonicalHeaderValue(r, "authorization");
  if (!authorization || authorization->empty()) {
    return Status::MissingAuthenticationToken("Missing Authentication Token");
  }
  const std::string& header = *authorization;
  std::string_view rest = header;
  if (!rest.starts_with(kAlgorithm) ||
      (rest.size() > kAlgorithm.size() && rest[kAlgorithm.size()] != ' ')) {
    const size_t space = rest.find(' ');
    return Status::IncompleteSignature("Unsupported AWS 'algorithm': '" +
                                       std::string(rest.substr(0, space)) + "'.");
  }
  rest.remove_prefix(kAlgorithm.size());

  AuthorizationHeader auth;
  std::string problems;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view part = Trim(rest.substr(0, comma));
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status::IncompleteSignature(
          "'" + std::string(part) +
          "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + header +
          "'.");
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "Credential") auth.credential = value;
    if (key == "SignedHeaders") auth.signed_headers = value;
    if (key == "Signature") auth.signature = value;
  }
  if (auth.credential.empty()) problems += "Authorization header requires 'Credential' parameter. ";
  if (auth.signature.empty()) problems += "Authorization header requires 'Signature' parameter. ";
  if (auth.signed_headers.empty()) {
    problems += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  std::optional<std::string> amz_date = CanonicalHeaderValue(r, "x-amz-date");
  if (!amz_date) {
    if (auto date = CanonicalHeaderValue(r, "date")) {
      amz_date = AmzDateFromHttpDate(*date);
      if (!amz_date) amz_date = *date;  // reported as malformed below
    }
  }
  if (!amz_date) {
    problems +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header. ";
  }
  if (!problems.empty()) {
    return Status::IncompleteSignature(problems + "Authorization=" + header);
  }

  // Credential=AKID/yyyymmdd/region/service/aws4_request
  std::vector<std::string_view> scope;
  for (std::string_view c = auth.credential;;) {
    const size_t slash = c.find('/');
    scope.push_back(c.substr(0, slash));
    if (slash == std::string_view::npos) break;
    c.remove_prefix(slash + 1);
  }
  if (scope.size() != 5) {
    return Status::IncompleteSignature(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(auth.credential) + "'");
  }
  if (scope[4] != "aws4_request") {
    return Status::IncompleteSignature(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
        std::string(scope[4]) + "'.");
  }
  auto secret = secret_by_key_id_.find(scope[0]);
  if (secret == secret_by_key_id_.end()) {
    return Status::UnrecognizedClient("The security token included in the request is invalid.");
  }
  const std::optional<int64_t> signed_ms = ParseAmzDate(*amz_date);
  if (!signed_ms) {
    return Status::IncompleteSignature("Date must be in ISO-8601 'basic format'. Got '" +
                                       *amz_date + "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  if (scope[1] != std::string_view(*amz_date).substr(0, 8)) {
    return Status::InvalidSignature(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(scope[1]) + "' != '" + amz_date->substr(0, 8) + "', from '" + *amz_date + "'.");
  }
  if (*signed_ms < now_ms - kMaxSkewMs) {
    return Status::InvalidSignature("Signature expired: " + *amz_date + " is now earlier than " +
                                    FormatAmzDate(now_ms - kMaxSkewMs) + " (" +
                                    FormatAmzDate(now_ms) + " - 5 min.)");
  }
  if (*signed_ms > now_ms + kMaxSkewMs) {
    return Status::InvalidSignature("Signature not yet current: " + *amz_date +
                                    " is still later than " + FormatAmzDate(now_ms + kMaxSkewMs) +
                                    " (" + FormatAmzDate(now_ms) + " + 5 min.)");
  }

  // The canonical request, its headers in SignedHeaders' order (which the signer sorted).
  std::string canonical;
  canonical.reserve(512);
  canonical.append(r.method).append("\n");
  canonical.append(sigv4::CanonicalUri(r.path)).append("\n");
  canonical.append(sigv4::CanonicalQuery(r.query)).append("\n");
  bool host_signed = false;
  for (std::string_view names = auth.signed_headers;;) {
    const size_t semi = names.find(';');
    const std::string name = Lower(names.substr(0, semi));
    host_signed |= name == "host" || name == ":authority";
    canonical.append(name).append(":");
    canonical.append(CanonicalHeaderValue(r, name).value_or("")).append("\n");
    if (semi == std::string_view::npos) break;
    names.remove_prefix(semi + 1);
  }
  if (!host_signed) {
    return Status::IncompleteSignature(
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  canonical.append("\n").append(Lower(auth.signed_headers)).append("\n");
  canonical.append(sigv4::HexSha256(r.body));

  const std::string string_to_sign = std::string(kAlgorithm) + "\n" + *amz_date + "\n" +
                                     std::string(auth.credential.substr(scope[0].size() + 1)) +
                                     "\n" + sigv4::HexSha256(canonical);
  const std::string expected =
      sigv4::Sign(secret->second, scope[1], scope[2], scope[3], string_to_sign);
  if (!ConstantTimeEquals(expected, auth.signature)) {
    return Status::InvalidSignature(kSignatureMismatch);
  }
  return Status::OK();
}

}  // namespace pinstream
