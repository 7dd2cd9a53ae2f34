#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace pinstream {

// Kinesis's CBOR wire (`application/x-amz-cbor-1.1`, the Java SDKs' default) translated to and
// from the JSON shapes KinesisApi speaks, so that one API serves both wires:
//
//   - Blobs (record Data) travel as CBOR byte strings, where JSON carries base64 text: a request's
//     byte strings become base64 strings, a reply's `Data` strings become byte strings again.
//   - Timestamps travel as integer epoch milliseconds (the Java SDKs write tag 1 and the
//     milliseconds, and read replies with getLongValue()), where JSON carries epoch seconds: a
//     request's numeric `*Timestamp` members are divided by 1000, a reply's multiplied.
//   - Tags are dropped on the way in (tag 1 marks the timestamps above); replies carry none.
//
// Decoding is bounded as the JSON routes' parsing is: maps and arrays nesting deeper than
// kMaxJsonDepth are refused before nlohmann's (recursive) reader goes deeper, and so is a
// declared length that the body is too short to hold.
//
// Plain functions, thread-safe.

// The request object of a CBOR body; InvalidArgument when it is not well-formed CBOR, nests too
// deep or is not a map.
Result<nlohmann::json> DecodeCborRequest(std::string_view body);

// The CBOR body of a reply object as KinesisApi (or an error) shaped it for JSON.
std::string EncodeCborReply(nlohmann::json reply);

}  // namespace pinstream
