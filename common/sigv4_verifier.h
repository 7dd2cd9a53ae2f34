#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_credentials.h"
#include "common/status.h"

namespace pinstream {

// An HTTP request as SigV4 sees it, borrowed from whatever server received it: the views must
// outlive the Verify() call.
struct SigV4Request {
  std::string_view method;  // "POST"
  std::string_view path;    // as sent, before '?', still percent-encoded: "/"
  std::string_view query;   // as sent, after '?' (without it); "" when none
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // as received, any case
  std::string_view body;
};

// Verifies AWS Signature Version 4 (the `Authorization: AWS4-HMAC-SHA256 ...` header) as AWS's
// JSON services do, against the key pairs of a shared-credentials file: the canonical request
// (method; the path normalized and each segment URI-encoded, as for every service but S3; the
// query sorted; the signed headers lower-cased with trimmed, collapsed values; the body's
// SHA-256), the string to sign with X-Amz-Date (or Date) and the credential scope, the HMAC
// chain of the secret, and a constant-time comparison. The scope's region and service are taken
// as the client gives them: this is one local endpoint for any region.
//
// Errors carry AWS's types and messages; HttpStatus() gives the status AWS answers them with:
//   MissingAuthenticationTokenException  403  no Authorization header
//   IncompleteSignatureException         400  a malformed Authorization header or date
//   UnrecognizedClientException          400  an access key id not in the file
//   InvalidSignatureException            400  a wrong signature, or a date more than 5 minutes
//                                             from now ("Signature expired: ..." / "... not yet
//                                             current: ...")
// (AWS's common-errors tables list MissingAuthenticationToken as 403; Kinesis answers the
// others 400.)
//
// Immutable after construction: Verify() is safe from any number of threads.
class SigV4Verifier {
 public:
  static constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;

  explicit SigV4Verifier(const std::vector<AwsCredential>& credentials);

  Status Verify(const SigV4Request& request, int64_t now_ms) const;

  // 403 or 400 for Verify()'s errors (see above); 200 for OK.
  static int HttpStatus(const Status& status);

 private:
  std::map<std::string, std::string, std::less<>> secret_by_key_id_;
};

// Building blocks, exposed for tests and for signing (the URI encoding is UriEncode in
// common/url_encoding.h).
namespace sigv4 {
std::string CanonicalUri(std::string_view raw_path);
std::string CanonicalQuery(std::string_view raw_query);
std::string HexSha256(std::string_view data);
// The hex signature of `string_to_sign` under `secret` for the scope's date, region, service.
std::string Sign(std::string_view secret, std::string_view date, std::string_view region,
                 std::string_view service, std::string_view string_to_sign);
}  // namespace sigv4

}  // namespace pinstream
