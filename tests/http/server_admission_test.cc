// HttpServer admission (Route::admission) and server-found errors (Route::on_error): a slow
// upload holds its slot while its body is read, a full route answers 429 with Retry-After
// without reading the body, and 413/429 replies come from the route's error handler.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http/http_client.h"
#include "http/server.h"

namespace agx {
namespace {

using testutil::HttpConnection;
using testutil::HttpResult;
using testutil::Request;

class HttpAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admission_ = std::make_shared<Admission>(1);
    std::vector<Route> routes;
    routes.push_back({"/ingest", {"POST"},
                      [](const HttpRequest& req) {
                        return HttpResponse{200, "text/plain", {}, "got " + req.body + "\n"};
                      },
                      64, admission_,
                      [](const HttpRequest& req, int status, std::string_view message) {
                        return HttpResponse{status, "application/json", {},
                                            "{\"path\":\"" + req.path + "\",\"error\":\"" +
                                                std::string(message) + "\"}"};
                      }});
    routes.push_back({"/plain", {"POST"},
                      [](const HttpRequest&) { return HttpResponse{}; }, 4, nullptr, nullptr});
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.threads = 4;
    auto server = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
  }

  /// Waits (up to 10 s) until `n` requests hold a slot: a slot is taken when a worker picks
  /// the request up, and given back just after the reply is sent.
  int WaitInFlight(int n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (admission_->in_flight() != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return admission_->in_flight();
  }

  std::shared_ptr<Admission> admission_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpAdmissionTest, ASlowUploadHoldsTheOnlySlotAndOthersGet429WithoutBeingRead) {
  HttpConnection slow(server_->port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.SendRaw(
      "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));  // 7 bytes owed
  // Wait until the slow request holds the slot before sending another: a request sent
  // earlier may reach a worker first and take it (then the slow one gets the 429).
  ASSERT_EQ(WaitInFlight(1), 1);
  // Every other request is now turned away.
  HttpResult busy = Request(server_->port(), "POST", "/ingest", {}, "quick");
  ASSERT_EQ(busy.status, 429) << busy.error << busy.body;
  EXPECT_EQ(busy.Header("retry-after"), "1");
  EXPECT_EQ(busy.Header("content-type"), "application/json");
  EXPECT_EQ(busy.body,
            "{\"path\":\"/ingest\",\"error\":\"too many concurrent requests, retry later\"}");
  EXPECT_EQ(admission_->in_flight(), 1);

  ASSERT_TRUE(slow.SendRaw("defghij"));
  HttpResult done = slow.ReadResponse(false);
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(done.body, "got abcdefghij\n");
  // The slot is free again: it is released just after the reply is sent, so the next
  // request waits for that (sent at once, it got 429 in one run on 2 cores).
  EXPECT_EQ(WaitInFlight(0), 0);
  EXPECT_EQ(Request(server_->port(), "POST", "/ingest", {}, "quick").status, 200);
}

TEST_F(HttpAdmissionTest, AClientThatGoesAwayMidBodyReleasesItsSlot) {
  {
    HttpConnection gone(server_->port());
    ASSERT_TRUE(gone.SendRaw("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  HttpResult r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = Request(server_->port(), "POST", "/ingest", {}, "ok");
    if (r.status == 200 && admission_->in_flight() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(admission_->in_flight(), 0);
}

TEST_F(HttpAdmissionTest, OversizedBodiesAreAnsweredByTheRoutesErrorHandler) {
  HttpResult r = Request(server_->port(), "POST", "/ingest", {}, std::string(65, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.body,
            "{\"path\":\"/ingest\",\"error\":\"request body of 65 bytes exceeds the limit of 64\"}");
  // Without a handler: plain text naming the limit.
  r = Request(server_->port(), "POST", "/plain", {}, "12345");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "request body of 5 bytes exceeds the limit of 4\n");
  EXPECT_EQ(WaitInFlight(0), 0);
}

}  // namespace
}  // namespace agx
