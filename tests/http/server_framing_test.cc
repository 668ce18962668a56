// Request smuggling: a request whose body length two parsers could read differently
// (conflicting Content-Length, Content-Length with Transfer-Encoding, …) gets 400, the
// connection is closed, no route sees it, and it is counted in
// HttpStats::ambiguous_framing. Raw bytes over real sockets on 127.0.0.1, as a proxy in
// front would forward them; plus the table of framing.h's rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http/framing.h"
#include "http/http_client.h"
#include "http/server.h"

namespace agx {
namespace {

using ::testing::HasSubstr;
using testutil::HttpConnection;

int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class HttpFramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Route> routes;
    routes.push_back({"/echo", {"POST"}, [this](const HttpRequest& req) {
                        ++calls_;
                        return HttpResponse{200, "text/plain", {}, "echo:" + req.body};
                      },
                      1024});
    routes.push_back({"/smuggled", {"GET"}, [this](const HttpRequest&) {
                        ++calls_;
                        return HttpResponse{200, "text/plain", {}, "smuggled"};
                      }});
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.threads = 2;
    auto server = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
  }

  /// Sends `bytes` on a fresh connection and reads until the server closes it.
  std::string Exchange(const std::string& bytes) {
    HttpConnection c(server_->port());
    EXPECT_TRUE(c.SendRaw(bytes));
    return c.ReadUntilClose();
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
};

// What a smuggler sends: the body length a proxy in front reads (the second
// Content-Length, or the chunked body) covers a second request that a server reading the
// other header would take as the next one on the connection.
TEST_F(HttpFramingTest, AmbiguousBodyLengthsGet400AndTheConnectionIsClosed) {
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string len = std::to_string(smuggled.size());
  struct Case {
    const char* name;
    std::string request;
  };
  const Case cases[] = {
      {"two Content-Length values",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: " + len +
           "\r\n\r\n" + smuggled},
      {"a Content-Length list",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0, " + len + "\r\n\r\n" + smuggled},
      {"Content-Length then chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n" + smuggled},
      {"chunked then Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: " + len +
           "\r\n\r\n0\r\n\r\n" + smuggled},
      {"identity with Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n" +
           smuggled},
      {"Transfer-Encoding twice",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
       "\r\n\r\n0\r\n\r\n" + smuggled},
      {"chunked in HTTP/1.0",
       "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
      {"digits then junk", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x" + len +
                               "\r\n\r\n" + smuggled},
      {"a signed length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n" + smuggled},
  };
  std::uint64_t refused = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string reply = Exchange(c.request);
    EXPECT_THAT(reply.substr(0, 13), ::testing::MatchesRegex("HTTP/1\\.[01] 400 "));
    EXPECT_THAT(reply, HasSubstr("Connection: close"));
    // One reply (each has one Date header), and the smuggled request was never served.
    EXPECT_EQ(CountOf(reply, "\r\nDate: "), 1) << reply;
    EXPECT_THAT(reply, ::testing::Not(HasSubstr("smuggled")));
    ++refused;
  }
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_EQ(server_->http_stats().ambiguous_framing, refused);
}

TEST_F(HttpFramingTest, UnambiguousRequestsAreServedOnAKeptAliveConnection) {
  HttpConnection c(server_->port());
  // One length, the same length twice (RFC 9110 §8.6 lets it count as one), chunked alone.
  ASSERT_TRUE(c.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"));
  EXPECT_EQ(c.ReadResponse(false).body, "echo:ab");
  ASSERT_TRUE(c.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_EQ(c.ReadResponse(false).body, "echo:abc");
  ASSERT_TRUE(c.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd"));
  EXPECT_EQ(c.ReadResponse(false).body, "echo:abcd");
  ASSERT_TRUE(c.SendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse(false).body, "echo:xy");
  ASSERT_TRUE(c.SendRaw("GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse(false).body, "smuggled");
  EXPECT_EQ(calls_.load(), 5);
  EXPECT_EQ(server_->http_stats().ambiguous_framing, 0u);
}

TEST(AmbiguousFramingTest, Rules) {
  using http_internal::AmbiguousFraming;
  using http_internal::HeaderView;
  struct Case {
    std::vector<HeaderView> headers;
    const char* version;
    bool ambiguous;
  };
  const Case cases[] = {
      {{}, "1.1", false},
      {{{"Content-Length", "10"}}, "1.1", false},
      {{{"content-length", " 10 "}}, "1.0", false},
      {{{"Content-Length", "10"}, {"CONTENT-LENGTH", "10"}}, "1.1", false},
      {{{"Content-Length", "10,10"}}, "1.1", false},
      {{{"Transfer-Encoding", "chunked"}}, "1.1", false},
      {{{"Transfer-Encoding", "CHUNKED "}}, "1.1", false},
      {{{"Content-Length", "10"}, {"Content-Length", "11"}}, "1.1", true},
      {{{"Content-Length", "10, 11"}}, "1.1", true},
      {{{"Content-Length", "10,"}}, "1.1", true},
      {{{"Content-Length", ""}}, "1.1", true},
      {{{"Content-Length", "-1"}}, "1.1", true},
      {{{"Content-Length", "1 0"}}, "1.1", true},
      {{{"Content-Length", "1234567890123456789"}}, "1.1", true},
      {{{"Content-Length", "0"}, {"Transfer-Encoding", "chunked"}}, "1.1", true},
      {{{"Transfer-Encoding", "chunked"}, {"Content-Length", "0"}}, "1.1", true},
      {{{"Transfer-Encoding", "chunked"}}, "1.0", true},
      {{{"Transfer-Encoding", "gzip, chunked"}}, "1.1", true},
      {{{"Transfer-Encoding", "identity"}}, "1.1", true},
      {{{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, "1.1", true},
  };
  for (const Case& c : cases) {
    std::string trace;
    for (const auto& [n, v] : c.headers) trace += std::string(n) + ": " + std::string(v) + "; ";
    SCOPED_TRACE(trace + c.version);
    EXPECT_EQ(!AmbiguousFraming(c.headers, c.version).empty(), c.ambiguous);
  }
}

}  // namespace
}  // namespace agx
