// HttpServer::http_stats(): what the server refuses before any route sees it (malformed,
// slow or oversized request heads, connections that never send a request) is counted;
// requests the routes answer, errors included, are not. Real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "http/http_client.h"
#include "http/server.h"

namespace agx {
namespace {

using testutil::HttpConnection;
using testutil::HttpResult;
using testutil::Request;

class HttpStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Route> routes;
    routes.push_back({"/ok", {"GET"}, [](const HttpRequest&) { return HttpResponse{}; }});
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.threads = 4;
    options.request_timeout_ms = 300;  // slow clients are cut quickly
    auto server = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
  }

  /// Waits (up to 10 s) until `field` reaches `want`: counts are updated on the server's
  /// threads as connections end.
  std::uint64_t WaitFor(std::uint64_t HttpStats::*field, std::uint64_t want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_->http_stats().*field < want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return server_->http_stats().*field;
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpStatsTest, RequestsTheRoutesAnswerAreNotCounted) {
  EXPECT_EQ(Request(server_->port(), "GET", "/ok").status, 200);
  EXPECT_EQ(Request(server_->port(), "GET", "/missing").status, 404);
  EXPECT_EQ(Request(server_->port(), "POST", "/ok", {}, "x").status, 405);
  // A keep-alive connection that served a request and then idles out is not counted.
  {
    HttpConnection c(server_->port());
    EXPECT_EQ(c.Request("GET", "/ok", {}, "").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // past the idle timeout
  }
  // A TCP probe after it is counted (no request): once it is, the idle connection closed
  // before it has been seen too, so a wrong count of it would show here (a sleep and an
  // expected 0 could pass before the server had looked at it).
  { HttpConnection probe(server_->port()); }
  EXPECT_EQ(WaitFor(&HttpStats::no_request, 1), 1u);
  const HttpStats s = server_->http_stats();
  EXPECT_EQ(s.bad_requests, 0u);
  EXPECT_EQ(s.other_errors, 0u);
  EXPECT_EQ(s.no_request, 1u);
}

TEST_F(HttpStatsTest, AHeadThatDoesNotArriveInTimeIsA400AndCounted) {
  HttpConnection slow(server_->port());
  ASSERT_TRUE(slow.SendRaw("GET /ok HTTP/1.1\r\nHost: x\r\n"));  // never finished
  const HttpResult r = slow.ReadResponse(false);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(WaitFor(&HttpStats::bad_requests, 1), 1u);
  // The server still answers.
  EXPECT_EQ(Request(server_->port(), "GET", "/ok").status, 200);
}

TEST_F(HttpStatsTest, MalformedAndOversizedHeadsAreCountedOnce) {
  struct Case {
    const char* name;
    std::string head;
    int status;
    std::uint64_t HttpStats::*field;
  };
  const Case cases[] = {
      {"not HTTP", "THIS IS NOT HTTP\r\n\r\n", 400, &HttpStats::bad_requests},
      {"64 KiB header",
       "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n", 400,
       &HttpStats::bad_requests},
      {"unknown version", "GET /ok HTTP/9.9\r\nHost: x\r\n\r\n", 505, &HttpStats::other_errors},
  };
  std::uint64_t bad = 0, other = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpConnection conn(server_->port());
    ASSERT_TRUE(conn.SendRaw(c.head));
    // civetweb echoes the request's protocol in its status line ("HTTP/NOT HTTP\r\n\r 400
    // Bad Request" for the first case), so the reply is read raw.
    const std::string reply = conn.ReadUntilClose();
    EXPECT_NE(reply.substr(0, 64).find(" " + std::to_string(c.status) + " "), std::string::npos)
        << reply.substr(0, 64);
    ++(c.field == &HttpStats::bad_requests ? bad : other);
    EXPECT_EQ(WaitFor(c.field, c.field == &HttpStats::bad_requests ? bad : other),
              c.field == &HttpStats::bad_requests ? bad : other);
  }
  // Answered connections are not also counted as connections without a request: a probe
  // after them is counted, and only it.
  { HttpConnection probe(server_->port()); }
  EXPECT_EQ(WaitFor(&HttpStats::no_request, 1), 1u);
  EXPECT_EQ(Request(server_->port(), "GET", "/ok").status, 200);
}

TEST_F(HttpStatsTest, ConnectionsThatNeverSendARequestAreCounted) {
  {
    HttpConnection idle(server_->port());  // holds a worker until request_timeout
    ASSERT_TRUE(idle.connected());
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
  { HttpConnection probe(server_->port()); }  // a TCP probe: open, close
  EXPECT_EQ(WaitFor(&HttpStats::no_request, 2), 2u);
  EXPECT_EQ(server_->http_stats().bad_requests, 0u);
}

}  // namespace
}  // namespace agx
