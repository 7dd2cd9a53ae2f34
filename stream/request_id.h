#pragma once

#include "stream/http_message.h"

namespace pinstream {

// The identifiers AWS puts on every Kinesis reply: `x-amzn-RequestId`, a random (version 4)
// UUID such as "3f0b2c1e-9a4d-4c6e-8f2a-0b1c2d3e4f50", which SDKs report with errors and users
// quote to support; and `x-amz-id-2`, 72 random bytes in base64 (96 characters), as AWS and
// kinesalite send it.
//
// The bytes come from OpenSSL's RAND_bytes, fetched in blocks into a per-thread buffer (a call
// costs microseconds whatever its size). Thread-safe.
struct AwsRequestIds {
  static constexpr char kRequestIdHeader[] = "x-amzn-RequestId";
  static constexpr char kId2Header[] = "x-amz-id-2";

  // Appends both headers to `res`; with `with_id_2` false only the request id (AWS leaves
  // x-amz-id-2 off a CORS preflight's reply).
  static void AddTo(HttpResponse* res, bool with_id_2 = true);
};

}  // namespace pinstream
