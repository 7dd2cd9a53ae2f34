#include "stream/cors.h"

namespace pinstream {

namespace {

// AWS's list (kinesalite's, captured from AWS): what a browser script may read of a reply.
constexpr char kExposedHeaders[] =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date";
// Two days, as AWS answers: browsers cap it lower anyway (Chrome at 2 h).
constexpr char kMaxAgeSeconds[] = "172800";

bool HasOrigin(const HttpRequest& req) { return req.FindHeader("Origin") != nullptr; }

}  // namespace

bool IsCorsPreflight(const HttpRequest& req) { return req.method == "OPTIONS" && HasOrigin(req); }

void AnswerCorsPreflight(const HttpRequest& req, HttpResponse* res) {
  res->status = 200;
  res->content_type.clear();
  res->body.clear();
  res->headers.push_back({"Access-Control-Allow-Origin", "*"});
  if (const std::string* h = req.FindHeader("Access-Control-Request-Headers")) {
    res->headers.push_back({"Access-Control-Allow-Headers", *h});
  }
  if (const std::string* m = req.FindHeader("Access-Control-Request-Method")) {
    res->headers.push_back({"Access-Control-Allow-Methods", *m});
  }
  res->headers.push_back({"Access-Control-Max-Age", kMaxAgeSeconds});
}

void AddCorsHeaders(const HttpRequest& req, HttpResponse* res) {
  if (!HasOrigin(req)) return;
  res->SetHeader("Access-Control-Allow-Origin", "*");
  res->SetHeader("Access-Control-Expose-Headers", kExposedHeaders);
}

}  // namespace pinstream
