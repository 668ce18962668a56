// HttpServer request bodies: echo, limits for Content-Length and chunked bodies, clients that
// go away mid-body, and routes that do not read bodies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "http/http_client.h"
#include "http/server.h"

namespace agx {
namespace {

using testutil::HttpConnection;
using testutil::HttpResult;
using testutil::Request;

constexpr std::size_t kLimit = 16;

class HttpServerBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Route> routes;
    routes.push_back({"/echo",
                      {"POST", "PUT"},
                      [this](const HttpRequest& req) {
                        ++echo_calls_;
                        HttpResponse resp;
                        resp.content_type = "application/octet-stream";
                        resp.body = req.body;
                        return resp;
                      },
                      kLimit, nullptr,
                      [this](const HttpRequest&, int status, std::string_view message) {
                        errors_.fetch_add(1);
                        if (status == 499) aborted_.fetch_add(1);
                        return HttpResponse{status, "text/plain", {}, std::string(message)};
                      }});
    routes.push_back({"/nobody", {"POST"}, [](const HttpRequest& req) {
                        HttpResponse resp;
                        resp.status = 202;
                        resp.body = "got " + std::to_string(req.body.size()) + " bytes\n";
                        return resp;
                      }});
    routes.push_back({"/ping", {"GET"}, [](const HttpRequest&) {
                        HttpResponse resp;
                        resp.body = "pong";
                        return resp;
                      }});
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    // One worker: requests are served in order, so when a later request has been answered
    // every earlier connection (e.g. an aborted upload) has been fully processed.
    options.threads = 1;
    auto server = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
    port_ = server_->port();
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> echo_calls_{0};
  std::atomic<int> errors_{0};   // on_error calls
  std::atomic<int> aborted_{0};  // ... with 499
};

TEST_F(HttpServerBodyTest, BodiesUpToTheLimitAreEchoed) {
  struct Case {
    const char* name;
    std::string body;
    bool chunked;
  };
  const Case cases[] = {
      {"empty", "", false},
      {"small", "hello body", false},
      {"exactly at limit", std::string(kLimit, 'a'), false},
      {"chunked small", "hello chunks", true},
      {"chunked exactly at limit", std::string(kLimit, 'b'), true},
      {"chunked empty", "", true},
      {"binary", std::string("a\0b\r\n\xff", 6), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResult r = Request(port_, "POST", "/echo", {}, c.body, c.chunked);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.Header("content-type"), "application/octet-stream");
  }
  EXPECT_EQ(echo_calls_, 7);
}

TEST_F(HttpServerBodyTest, ContentLengthOverLimitIs413WithoutCallingHandler) {
  HttpResult r = Request(port_, "PUT", "/echo", {}, std::string(kLimit + 1, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.reason, "Request Entity Too Large");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(echo_calls_, 0);
}

TEST_F(HttpServerBodyTest, DeclaredHugeContentLengthIs413BeforeReading) {
  // Only the headers are sent: the server must answer without waiting for 10 GB.
  HttpConnection conn(port_);
  ASSERT_TRUE(
      conn.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\nabc"));
  HttpResult r = conn.ReadResponse(false);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(echo_calls_, 0);
}

TEST_F(HttpServerBodyTest, ChunkedOverLimitIs413WithoutCallingHandler) {
  HttpResult r = Request(port_, "POST", "/echo", {}, std::string(kLimit + 1, 'x'), true);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(echo_calls_, 0);
  // The server still serves.
  EXPECT_EQ(Request(port_, "GET", "/ping").body, "pong");
}

TEST_F(HttpServerBodyTest, ClientGoneMidBodySkipsHandler) {
  struct Case {
    const char* name;
    const char* raw;
  };
  const Case cases[] = {
      {"content-length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"},
      {"chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
      {"chunked, no terminator",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    {
      HttpConnection conn(port_);
      ASSERT_TRUE(conn.SendRaw(c.raw));
    }  // closed mid-body
    // The single worker answers this only after it has finished the aborted request.
    EXPECT_EQ(Request(port_, "GET", "/ping").body, "pong");
    EXPECT_EQ(echo_calls_, 0);
  }
  // Each abandoned upload reaches the route's error handler as 499, for its counters. The
  // front end relays each connection on its own, so the last abort may be handled after the
  // ping: wait for it (up to 10 s) rather than expect it at once.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (aborted_ < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(aborted_, 3);
}

TEST(HttpServerSlowClientTest, ABodyThatStopsArrivingGets408AtTheRequestTimeoutAndIsCounted) {
  std::atomic<int> timed_out{0};
  std::vector<Route> routes;
  routes.push_back({"/echo", {"POST"}, [](const HttpRequest& req) {
                      return HttpResponse{200, "text/plain", {}, req.body};
                    },
                    1024, nullptr,
                    [&](const HttpRequest&, int status, std::string_view message) {
                      if (status == 408) ++timed_out;
                      return HttpResponse{status, "text/plain", {}, std::string(message)};
                    }});
  routes.push_back({"/ping", {"GET"}, [](const HttpRequest&) {
                      return HttpResponse{200, "text/plain", {}, "pong"};
                    }});
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.threads = 2;
  options.request_timeout_ms = 300;
  auto server = HttpServer::Start(options, std::move(routes));
  ASSERT_TRUE(server.ok()) << server.error();
  const int port = (*server)->port();
  HttpConnection slow(port);
  // Half the body, then silence while the connection stays open.
  ASSERT_TRUE(slow.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcde"));
  // The server gives up on it instead of holding the worker forever; meanwhile the other
  // worker serves.
  EXPECT_EQ(Request(port, "GET", "/ping").body, "pong");
  HttpResult r = slow.ReadResponse(false);
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.body, "request body not received within web.request_timeout (300 ms)");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(timed_out, 1);
  // And closed after the reply.
  EXPECT_EQ(slow.ReadUntilClose(), "");
}

TEST_F(HttpServerBodyTest, RouteWithoutBodyLimitDoesNotReadBody) {
  HttpResult r = Request(port_, "POST", "/nobody", {}, "ignored payload");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.reason, "Accepted");
  EXPECT_EQ(r.body, "got 0 bytes\n");
  // The unread body would be parsed as the next request: the connection must close.
  EXPECT_EQ(r.Header("connection"), "close");
}

TEST_F(HttpServerBodyTest, KeepAliveAfterReadingABody) {
  HttpConnection conn(port_);
  HttpResult first = conn.Request("POST", "/echo", {}, "one");
  EXPECT_EQ(first.body, "one");
  HttpResult second = conn.Request("POST", "/echo", {}, "two", true);
  EXPECT_EQ(second.body, "two");
  HttpResult third = conn.Request("GET", "/ping");
  EXPECT_EQ(third.body, "pong");
}

}  // namespace
}  // namespace agx
