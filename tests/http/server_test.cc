// HttpServer routing, responses and lifecycle, over real sockets on 127.0.0.1.
#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http/http_client.h"

namespace agx {
namespace {

using ::testing::HasSubstr;
using testutil::HttpConnection;
using testutil::HttpResult;
using testutil::Request;

std::unique_ptr<HttpServer> MustStart(std::vector<Route> routes, int threads = 4) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.threads = threads;
  auto server = HttpServer::Start(options, std::move(routes));
  EXPECT_TRUE(server.ok()) << server.error();
  return server.ok() ? std::move(server).value() : nullptr;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Route> routes;
    routes.push_back({"/hello", {"GET"}, [this](const HttpRequest& req) {
                        ++hello_calls_;
                        std::lock_guard<std::mutex> lock(mu_);
                        last_hello_method_ = req.method;
                        HttpResponse resp;
                        resp.content_type = "text/plain; version=0.0.4";
                        resp.headers.emplace_back("X-Extra", "yes");
                        resp.body = "hello\n";
                        return resp;
                      }});
    routes.push_back(
        {"/inspect", {"GET", "POST", "PUT", "DELETE", "OPTIONS"}, [](const HttpRequest& req) {
           HttpResponse resp;
           resp.body = "method=" + req.method + "\nquery=" + req.query +
                       "\ncustom=" + std::string(req.Header("x-custom-header")) +
                       "\nremote=" + req.remote_addr + "\n";
           return resp;
         }});
    routes.push_back({"/throw", {"GET"}, [](const HttpRequest&) -> HttpResponse {
                        throw std::runtime_error("boom");
                      }});
    routes.push_back({"/status", {"GET"}, [](const HttpRequest& req) {
                        HttpResponse resp;
                        resp.status = std::stoi(req.query.substr(req.query.find('=') + 1));
                        resp.body = "x";
                        return resp;
                      }});
    routes.push_back({"/headers", {"GET"}, [](const HttpRequest&) {
                        HttpResponse resp;
                        resp.headers = {{"Content-Length", "999"},       {"Date", "yesterday"},
                                        {"Connection", "upgrade"},       {"Bad\r\nName", "v"},
                                        {"X-Split", "a\r\nInjected: 1"}, {"X-Fine", "b"}};
                        resp.body = "ok";
                        return resp;
                      }});
    server_ = MustStart(std::move(routes));
    ASSERT_NE(server_, nullptr);
    port_ = server_->port();
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> hello_calls_{0};
  std::mutex mu_;
  std::string last_hello_method_;  // guarded by mu_
};

TEST_F(HttpServerTest, BindsEphemeralPort) { EXPECT_GT(port_, 0); }

TEST_F(HttpServerTest, GetRouteReturnsBodyAndContentType) {
  HttpResult r = Request(port_, "GET", "/hello");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(r.Header("content-length"), "6");
  EXPECT_EQ(r.Header("x-extra"), "yes");
}

TEST_F(HttpServerTest, ServerOwnsFramingAndDropsUnsafeHeaders) {
  HttpResult r = Request(port_, "GET", "/headers");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.Header("content-length"), "2");
  EXPECT_THAT(r.Header("date"),
              ::testing::MatchesRegex("[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]+ "
                                      "[0-9][0-9]:[0-9][0-9]:[0-9][0-9] GMT"));
  EXPECT_EQ(r.Header("connection"), "close");  // the client asked for close
  EXPECT_EQ(r.headers.count("injected"), 0u);
  EXPECT_EQ(r.headers.count("x-split"), 0u);
  EXPECT_EQ(r.Header("x-fine"), "b");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  for (const char* path : {"/", "/nope", "/hello/", "/hello/x", "/hell"}) {
    SCOPED_TRACE(path);
    HttpResult r = Request(port_, "GET", path);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "not found\n");
  }
  EXPECT_EQ(hello_calls_, 0);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  HttpResult r = Request(port_, "POST", "/hello", {}, "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  EXPECT_EQ(r.body, "method not allowed\n");
  EXPECT_EQ(hello_calls_, 0);

  r = Request(port_, "PATCH", "/inspect");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, POST, PUT, DELETE, OPTIONS, HEAD");
}

TEST_F(HttpServerTest, HeadRunsGetHandlerWithoutBody) {
  HttpResult r = Request(port_, "HEAD", "/hello");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.Header("content-length"), "6");
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(hello_calls_, 1);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(last_hello_method_, "GET");
}

TEST_F(HttpServerTest, HandlerSeesEveryListedMethod) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "OPTIONS"}) {
    SCOPED_TRACE(method);
    HttpResult r = Request(port_, method, "/inspect");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr(std::string("method=") + method + "\n"));
  }
}

TEST_F(HttpServerTest, QueryStringIsSplitOff) {
  HttpResult r = Request(port_, "GET", "/inspect?a=1&b=x%20y");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("query=a=1&b=x%20y\n"));
}

TEST_F(HttpServerTest, HeaderNamesAreLowerCasedAndRemoteAddrFilled) {
  HttpResult r = Request(port_, "GET", "/inspect", {{"X-CUSTOM-Header", "Value 1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("custom=Value 1\n"));
  EXPECT_THAT(r.body, HasSubstr("remote=127.0.0.1\n"));
}

TEST_F(HttpServerTest, ReasonPhrases) {
  struct Case {
    int status;
    const char* reason;
  };
  const Case cases[] = {
      {200, "OK"},
      {202, "Accepted"},
      {204, "No Content"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {413, "Request Entity Too Large"},
      {415, "Unsupported Media Type"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {503, "Service Unavailable"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    HttpResult r = Request(port_, "GET", "/status?code=" + std::to_string(c.status));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.reason, c.reason);
    if (c.status == 204) {
      EXPECT_EQ(r.headers.count("content-length"), 0u);
    } else {
      EXPECT_EQ(r.body, "x");
    }
  }
}

TEST_F(HttpServerTest, InvalidStatusFromHandlerIs500) {
  HttpResult r = Request(port_, "GET", "/status?code=42");
  EXPECT_EQ(r.status, 500);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServerKeepsServing) {
  HttpResult r = Request(port_, "GET", "/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "internal server error\n");
  r = Request(port_, "GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  HttpConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  HttpResult first = conn.Request("GET", "/hello");
  ASSERT_EQ(first.error, "");
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.Header("connection"), "close");
  HttpResult second = conn.Request("GET", "/inspect?n=2");
  ASSERT_EQ(second.error, "");
  EXPECT_EQ(second.status, 200);
  EXPECT_THAT(second.body, HasSubstr("query=n=2\n"));
  HttpResult third = conn.Request("GET", "/nope");
  EXPECT_EQ(third.status, 404);
}

TEST_F(HttpServerTest, FiftyConcurrentRequestsAreAllAnswered) {
  constexpr int kClients = 50;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &results] {
      results[i] = Request(port_, "GET", "/inspect?i=" + std::to_string(i));
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[i].error, "");
    EXPECT_EQ(results[i].status, 200);
    EXPECT_THAT(results[i].body, HasSubstr("query=i=" + std::to_string(i) + "\n"));
  }
}

TEST(HttpServerStartTest, PortInUseIsAnErrorNamingTheAddress) {
  auto first = MustStart({{"/", {"GET"}, [](const HttpRequest&) { return HttpResponse{}; }}});
  ASSERT_NE(first, nullptr);
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(first->port());
  auto second = HttpServer::Start(options, {});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr("cannot listen on " + options.listen_address + ": "));
  // The first server is unaffected.
  EXPECT_EQ(Request(first->port(), "GET", "/").status, 200);
}

TEST(HttpServerStartTest, InvalidOptionsAreErrors) {
  struct Case {
    const char* name;
    HttpServerOptions options;
    std::vector<Route> routes;
    const char* want;
  };
  const HttpHandler ok = [](const HttpRequest&) { return HttpResponse{}; };
  std::vector<Case> cases;
  cases.push_back({"ipv6", {"[::1]:0", 2, 1000}, {}, "cannot listen on [::1]:0: IPv6"});
  cases.push_back({"hostname", {"example.com:0", 2, 1000}, {}, "cannot listen on example.com:0"});
  cases.push_back({"threads", {"127.0.0.1:0", 0, 1000}, {}, "threads"});
  cases.push_back({"timeout", {"127.0.0.1:0", 2, 0}, {}, "timeout"});
  cases.push_back({"relative path", {"127.0.0.1:0", 2, 1000}, {{"x", {"GET"}, ok}}, "'/'"});
  cases.push_back({"no methods", {"127.0.0.1:0", 2, 1000}, {{"/x", {}, ok}}, "no methods"});
  cases.push_back({"no handler", {"127.0.0.1:0", 2, 1000}, {{"/x", {"GET"}, {}}}, "no handler"});
  cases.push_back({"duplicate",
                   {"127.0.0.1:0", 2, 1000},
                   {{"/x", {"GET"}, ok}, {"/x", {"POST"}, ok}},
                   "duplicate route /x"});
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto server = HttpServer::Start(c.options, std::move(c.routes));
    ASSERT_FALSE(server.ok());
    EXPECT_THAT(server.error(), HasSubstr(c.want));
  }
}

TEST(HttpServerStartTest, DestructorWaitsForRunningHandler) {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool release = false;
  std::atomic<bool> finished{false};
  auto server = MustStart({{"/block", {"GET"}, [&](const HttpRequest&) {
                              std::unique_lock<std::mutex> lock(mu);
                              started = true;
                              cv.notify_all();
                              cv.wait(lock, [&] { return release; });
                              finished = true;
                              return HttpResponse{};
                            }}});
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  std::thread client([port] { Request(port, "GET", "/block"); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return started; }));
  }
  bool finished_when_destroyed = false;
  std::thread stopper([&] {
    server.reset();
    finished_when_destroyed = finished;
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  client.join();
  EXPECT_TRUE(finished_when_destroyed);
}

TEST(HttpServerStackTest, HandlersRunOnAFullSizeStack) {
  // civetweb's workers have 100 KiB stacks; handlers get 8 MiB (full_stack.h).
  std::vector<Route> routes;
  routes.push_back({"/stack", {"GET"}, [](const HttpRequest&) {
                      pthread_attr_t attr;
                      std::size_t size = 0;
                      pthread_getattr_np(pthread_self(), &attr);
                      pthread_attr_getstacksize(&attr, &size);
                      pthread_attr_destroy(&attr);
                      return HttpResponse{200, "text/plain", {}, std::to_string(size)};
                    }});
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.threads = 2;
  auto server = HttpServer::Start(options, std::move(routes));
  ASSERT_TRUE(server.ok()) << server.error();
  for (int i = 0; i < 3; ++i) {
    const testutil::HttpResult r = testutil::Request((*server)->port(), "GET", "/stack");
    ASSERT_EQ(r.status, 200);
    EXPECT_GE(std::stoull(r.body), std::size_t{8} << 20);
  }
}

}  // namespace
}  // namespace agx
