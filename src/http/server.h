#pragma once
// HttpServer: the only wrapper around civetweb. Routes are HTTP-agnostic functions from a
// request value to a response value, so the handlers in ingest/exposition/app never see
// civetweb. Body size limits are enforced here while reading (civetweb has no such option),
// for Content-Length and chunked bodies alike.
// Thread-safe: handlers run concurrently, each civetweb worker's on its own companion
// thread with an 8 MiB stack (civetweb's workers have 100 KiB, full_stack.h).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/tls_options.h"

namespace agx {

struct HttpRequest {
  std::string method;  ///< "GET", "POST", …
  std::string path;    ///< without query string
  std::string query;   ///< raw query string, may be empty
  std::string remote_addr;  ///< with TLS, the front end's (127.0.0.1)
  int remote_port = 0;
  /// Lower-cased header names.
  std::map<std::string, std::string> headers;
  std::string body;  ///< already limited to the route's max_body_bytes

  std::string_view Header(std::string_view lower_name) const;
};

/// The server owns framing: handler headers named Content-Length, Transfer-Encoding,
/// Connection or Date, and headers containing CR/LF, are dropped (logged). 204 and 304
/// responses are sent without a body.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Builds the reply for an error the server finds itself (413 body too large, 429 too many
/// concurrent requests), so a route can answer in its own format and count it. `req` has
/// the method, path and headers but no body. Also 408 when the body does not arrive within
/// request_timeout (the reply is sent, the connection closed), and 499 (nginx's "client
/// closed request") when the client closes while sending the body: that reply is not sent,
/// the call is for counting.
using HttpErrorHandler =
    std::function<HttpResponse(const HttpRequest& req, int status, std::string_view message)>;

/// A limit on requests in progress, shared by the routes that hold one. A request takes
/// its slot before its body is read, so slow or large uploads count, and a full server
/// answers 429 without reading the body. Thread-safe (one atomic counter).
class Admission {
 public:
  explicit Admission(int max_in_flight) : max_(max_in_flight) {}
  bool TryEnter() {
    if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= max_) {
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  }
  void Leave() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
  int in_flight() const { return in_flight_.load(std::memory_order_acquire); }
  int max() const { return max_; }

 private:
  const int max_;
  std::atomic<int> in_flight_{0};
};

/// HEAD on a route that lists GET but not HEAD runs the handler with method "GET" and sends
/// the headers (with the GET body's Content-Length) but no body.
struct Route {
  std::string path;                  ///< exact path
  std::vector<std::string> methods;  ///< others get 405 with an Allow header
  HttpHandler handler;
  std::size_t max_body_bytes = 0;  ///< 0: bodies are not read; over the limit: 413
  std::shared_ptr<Admission> admission = nullptr;  ///< optional; when full: 429 with Retry-After: 1
  HttpErrorHandler on_error = nullptr;   ///< optional; default: a text/plain reply
};

/// Connections and requests the server turned away before any route saw them: what
/// civetweb or the front end answers itself, and connections that never sent a complete
/// request. Plain
/// counts since start (the app mirrors them into agent_exporter_http_rejected_total).
struct HttpStats {
  /// 400: a malformed, oversized or incomplete request head, including one that did not
  /// all arrive within request_timeout (a slow client).
  std::uint64_t bad_requests = 0;
  /// Any other status civetweb answered itself (411, 505, …).
  std::uint64_t other_errors = 0;
  /// Connections closed before a request arrived: idle past request_timeout, opened and
  /// closed by the client (e.g. a TCP probe), or closed to make room for a new one.
  std::uint64_t no_request = 0;
  /// 400 for a request whose body length is ambiguous (framing.h: conflicting
  /// Content-Length, Content-Length with Transfer-Encoding, …); the connection is closed.
  std::uint64_t ambiguous_framing = 0;
  /// Connections closed at once because max_connections were open, none of them waiting
  /// for its request head (all busy with requests).
  std::uint64_t too_many_connections = 0;
};

struct HttpServerOptions {
  std::string listen_address = ":9478";  ///< HOST:PORT, ":PORT", port 0 = ephemeral
  int threads = 8;
  /// A request head must arrive within it, and then its body within it (slow clients).
  int request_timeout_ms = 30000;
  int idle_timeout_ms = 500;  ///< idle keep-alive connections are closed after it (an idle
                              ///< connection holds a worker thread); also the time a later
                              ///< request's head on such a connection has to arrive
  /// Connections open at once (front_end.h): when reached, the oldest one still waiting
  /// for its first request head is closed to make room, or the new one if none waits.
  int max_connections = 256;
  /// Serve HTTPS on listen_address.
  std::optional<TlsOptions> tls = std::nullopt;
};

class HttpServer {
 public:
  /// Binds and starts serving. Fails with a clear message (e.g. address in use), as
  /// "cannot listen on <address>: <reason>" for address problems; also rejects invalid
  /// routes (path not starting with '/', no methods, no handler, duplicate path).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   std::vector<Route> routes);
  ~HttpServer();  ///< stops accepting, waits for running handlers

  /// The bound port (useful with port 0).
  int port() const;
  /// TLS handshakes (zeros without TLS).
  TlsStats tls_stats() const;
  /// Requests and connections refused before routing.
  HttpStats http_stats() const;
  /// civetweb's own loopback port behind the front end.
  int backend_port() const;

 private:
  HttpServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
