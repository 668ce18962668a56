// The front end (front_end.h) on the plain port, over real sockets on 127.0.0.1: clients
// that send their request head slowly, or nothing, wait in the front end instead of
// holding civetweb's worker threads, so a request sent beside dozens of them is answered
// while they are still open; at the connection bound the oldest waiting one makes room;
// civetweb's loopback port answers nobody but the front end's relays; handlers see the
// client's own address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "http/http_client.h"
#include "http/server.h"

namespace agx {
namespace {

using testutil::HttpConnection;
using testutil::HttpResult;
using testutil::Request;

class FrontEndTest : public ::testing::Test {
 protected:
  void Start(int max_connections = 256, int request_timeout_ms = 20000) {
    std::vector<Route> routes;
    routes.push_back({"/ping", {"GET"}, [](const HttpRequest& req) {
                        return HttpResponse{200, "text/plain", {}, "pong from " + req.remote_addr};
                      }});
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.threads = 2;  // a few dozen slow clients are many times the workers
    options.request_timeout_ms = request_timeout_ms;
    options.max_connections = max_connections;
    auto s = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(s.ok()) << s.error();
    server_ = std::move(s).value();
  }

  std::unique_ptr<HttpServer> server_;
};

// The review's case: 40 half-sent request heads (and here 24 silent connections besides)
// delayed a request by 59.6 s, one web.request_timeout per wave of web.threads of them.
TEST_F(FrontEndTest, ARequestIsAnsweredWhileDozensOfSlowAndSilentClientsAreHeld) {
  Start();
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 40; ++i) {
    held.push_back(std::make_unique<HttpConnection>(server_->port()));
    ASSERT_TRUE(held.back()->SendRaw("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  for (int i = 0; i < 24; ++i) {
    held.push_back(std::make_unique<HttpConnection>(server_->port()));
    ASSERT_TRUE(held.back()->connected());
  }
  // The slow ones keep sending a byte now and then; the request is answered meanwhile.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(held[i]->SendRaw("a"));
  const HttpResult r = Request(server_->port(), "GET", "/ping");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "pong from 127.0.0.1");
  // Answered while they were all held: none has been closed by the server.
  for (auto& c : held) EXPECT_TRUE(c->PeekOpen());
  const HttpStats s = server_->http_stats();
  EXPECT_EQ(s.bad_requests + s.no_request + s.too_many_connections, 0u);
}

TEST_F(FrontEndTest, AtTheBoundTheOldestWaitingConnectionMakesRoom) {
  Start(/*max_connections=*/3);
  HttpConnection oldest(server_->port());
  ASSERT_TRUE(oldest.SendRaw("GET /ping HTTP/1.1\r\n"));  // part of a head
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // accepted first
  HttpConnection a(server_->port());
  HttpConnection b(server_->port());
  ASSERT_TRUE(a.connected() && b.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // A fourth connection with a request: the oldest waiting one is closed for it, with a
  // 400 (part of its head had come).
  EXPECT_EQ(Request(server_->port(), "GET", "/ping").status, 200);
  const std::string dropped = oldest.ReadUntilClose();
  EXPECT_EQ(dropped.rfind("HTTP/1.1 400 ", 0), 0u) << dropped;
  EXPECT_TRUE(a.PeekOpen());
  EXPECT_TRUE(b.PeekOpen());
  const HttpStats s = server_->http_stats();
  EXPECT_EQ(s.bad_requests, 1u);
  EXPECT_EQ(s.too_many_connections, 0u);
}

TEST_F(FrontEndTest, TheLoopbackPortAnswersOnlyTheFrontEndsRelays) {
  Start();
  ASSERT_NE(server_->backend_port(), server_->port());
  const HttpResult direct = Request(server_->backend_port(), "GET", "/ping");
  EXPECT_EQ(direct.status, 403);
  EXPECT_THAT(direct.body, ::testing::Not(::testing::HasSubstr("pong")));
  // From another loopback address it is closed before anything is read.
  HttpConnection other(server_->backend_port(), "127.0.0.2", 0);
  ASSERT_TRUE(other.connected());
  other.SendRaw("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(other.ReadUntilClose(), ::testing::Not(::testing::HasSubstr("pong")));
  EXPECT_EQ(Request(server_->port(), "GET", "/ping").status, 200);
}

TEST_F(FrontEndTest, HandlersSeeTheClientsAddress) {
  Start();
  HttpConnection from3(server_->port(), "127.0.0.3", 0);
  ASSERT_TRUE(from3.connected());
  const HttpResult r = from3.Request("GET", "/ping");
  EXPECT_EQ(r.body, "pong from 127.0.0.3");
}

}  // namespace
}  // namespace agx
