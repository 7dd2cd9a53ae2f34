#pragma once

#include "stream/http_message.h"

namespace pinstream {

// CORS as AWS's Kinesis endpoint answers it, so that browser SDKs can call the gateway from any
// page: a request with an `Origin` header is allowed from everywhere. A preflight (OPTIONS with
// Origin) is answered 200 with an empty body that allows what it asks for (its
// Access-Control-Request-Headers and -Method echoed) for 172800 s; every other reply to a request
// with Origin carries `Access-Control-Allow-Origin: *` and exposes the headers SDKs read
// (x-amzn-RequestId, x-amz-id-2, ...). Requests without Origin are left alone.
//
// There is nothing to protect by refusing origins: a browser sends no ambient credentials to the
// gateway (it authenticates by SigV4 or an API key the page would have to hold anyway).
//
// Plain functions, thread-safe.

// Whether `req` is a CORS preflight.
bool IsCorsPreflight(const HttpRequest& req);

// The preflight's reply (status, body and CORS headers); `req` must be a preflight.
void AnswerCorsPreflight(const HttpRequest& req, HttpResponse* res);

// Adds the CORS headers of an actual (non-preflight) reply when `req` carries Origin.
void AddCorsHeaders(const HttpRequest& req, HttpResponse* res);

}  // namespace pinstream
