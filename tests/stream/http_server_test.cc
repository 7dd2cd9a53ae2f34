// HttpServer on its own, with handlers that misbehave: what the gateway relies on from its
// transport whatever the routes do.
#include "stream/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <stdexcept>
#include <string>

#include "tests/test_util.h"

namespace pinstream {
namespace {

// Renders every server-made error as "<status> <message>".
void RenderPlain(const HttpRequest&, int status, std::string_view message, HttpResponse* res) {
  res->content_type = "text/plain";
  res->body = std::to_string(status) + " " + std::string(message);
}

TEST(HttpServerTest, AThrowingHandlerIs500AndTheServerKeepsServing) {
  auto server = HttpServer::Start(
      HttpServer::Options{},
      [](const HttpRequest& req, HttpResponse* res) {
        if (req.path == "/throw") throw std::runtime_error("boom");
        if (req.path == "/throw-int") throw 7;
        res->content_type = "text/plain";
        res->body = "ok " + std::string(req.Body());
      },
      RenderPlain);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client c("127.0.0.1", (*server)->port());
  c.set_read_timeout(10);
  for (const char* path : {"/throw", "/throw-int"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body, "500 internal error");
  }
  auto r = c.Post("/echo", "body", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok body");
}

TEST(HttpServerTest, BodiesArePaddedAndQueriesSplit) {
  auto server = HttpServer::Start(
      HttpServer::Options{},
      [](const HttpRequest& req, HttpResponse* res) {
        const bool padded =
            req.body_padding == HttpServer::kBodyPadding &&
            req.body.size() == req.Body().size() + HttpServer::kBodyPadding &&
            req.body.find_first_not_of('\0', req.Body().size()) == std::string::npos;
        res->body = req.path + "|" + req.query + "|" + (padded ? "padded" : "not padded") + "|" +
                    std::string(req.Header("x-CASE"));
      },
      RenderPlain);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client c("127.0.0.1", (*server)->port());
  auto r = c.Post("/a/b?x=1&y=2", {{"X-Case", "v"}}, "abc", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "/a/b|x=1&y=2|padded|v");
}

TEST(HttpServerTest, StopIsIdempotentAndClosesConnections) {
  auto server = HttpServer::Start(
      HttpServer::Options{}, [](const HttpRequest&, HttpResponse* res) { res->body = "ok"; },
      RenderPlain);
  ASSERT_TRUE(server.ok());
  httplib::Client c("127.0.0.1", (*server)->port());
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/"));
  EXPECT_EQ((*server)->open_connections(), 1u);
  (*server)->Stop();
  (*server)->Stop();
  EXPECT_EQ((*server)->open_connections(), 0u);
}

}  // namespace
}  // namespace pinstream
