#include "http/server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/log.h"
#include "http/dispatch.h"
#include "http/front_end.h"
#include "http/listen_address.h"

namespace agx {

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

namespace {

// The largest request head civetweb reads (its max_request_size, the default of 16 KiB);
// the front end relays a head once it is complete or longer than this.
constexpr std::size_t kMaxHeadBytes = 16 * 1024;

// Opens and closes one TCP connection to the listener, waking civetweb's accept poll.
void PokeListener(const sockaddr_in& addr) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    close(fd);
  }
}

// civetweb's master thread polls the listening socket with a fixed 2 s timeout and checks the
// stop flag only between polls, so a bare mg_stop takes up to 2 s. Connecting to ourselves
// while mg_stop runs wakes it at once. mg_stop also joins the workers, so running handlers
// finish first.
void StopServer(mg_context* ctx, const sockaddr_in& wake_addr) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  std::thread waker([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopped) {
      lock.unlock();
      PokeListener(wake_addr);
      lock.lock();
      cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopped; });
    }
  });
  mg_stop(ctx);
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
  }
  cv.notify_all();
  waker.join();
}

// The address a local client reaches the listener on: the bound host, or loopback for the
// wildcard.
sockaddr_in WakeAddress(const std::string& civet_ports, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::size_t colon = civet_ports.rfind(':');
  if (colon != std::string::npos) {
    in_addr host{};
    if (inet_pton(AF_INET, civet_ports.substr(0, colon).c_str(), &host) == 1 &&
        host.s_addr != htonl(INADDR_ANY)) {
      addr.sin_addr = host;
    }
  }
  return addr;
}

}  // namespace

namespace {

// What request callbacks see (civetweb's user_data).
struct Shared {
  http_internal::RouteTable routes;
  int request_timeout_ms = 30000;
  // Only the front end's relay connections may use civetweb's loopback port.
  std::atomic<const http_internal::FrontEnd*> frontend{nullptr};
  // HttpStats, updated from civetweb's threads.
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> other_errors{0};
  std::atomic<std::uint64_t> no_request{0};
  std::atomic<std::uint64_t> ambiguous_framing{0};
};

// The state of the connection a worker thread serves. civetweb serves each connection on
// one worker thread from init_connection to connection_closed (and resets its own
// per-connection user data between requests), so per-thread state is per-connection state.
thread_local int tl_requests_begun = 0;   // requests begun on the current connection
thread_local bool tl_in_request = false;  // between begin_request and end_request

}  // namespace

struct HttpServer::Impl {
  Shared shared;
  mg_context* ctx = nullptr;
  int port = 0;
  sockaddr_in wake_addr{};
  std::unique_ptr<http_internal::FrontEnd> frontend_owner;

  ~Impl() {
    frontend_owner.reset();  // closes relayed connections first
    if (ctx != nullptr) {
      StopServer(ctx, wake_addr);
    }
  }
};

namespace {

Shared* SharedOf(const mg_connection* conn) {
  return static_cast<Shared*>(mg_get_user_data(mg_get_context(conn)));
}

int InitConnection(const mg_connection*, void** conn_data) {
  *conn_data = nullptr;
  tl_requests_begun = 0;
  tl_in_request = false;
  return 0;
}

// An error civetweb is about to answer. Counted only when it is civetweb's own, found while
// reading a request (our handlers build their replies themselves); civetweb then sends
// its default reply.
int HttpError(mg_connection* conn, int status, const char*) {
  if (tl_in_request) return 1;
  ++tl_requests_begun;  // answered: not a connection without a request
  Shared* shared = SharedOf(conn);
  if (shared == nullptr) return 1;
  if (status == 400) {
    shared->bad_requests.fetch_add(1, std::memory_order_relaxed);
  } else {
    shared->other_errors.fetch_add(1, std::memory_order_relaxed);
  }
  return 1;
}

void EndRequest(const mg_connection*, int) { tl_in_request = false; }

void ConnectionClosed(const mg_connection* conn) {
  if (tl_requests_begun == 0) {
    if (Shared* shared = SharedOf(conn)) shared->no_request.fetch_add(1, std::memory_order_relaxed);
  }
  tl_requests_begun = 0;
  tl_in_request = false;
}

int BeginRequest(mg_connection* conn) {
  ++tl_requests_begun;
  tl_in_request = true;
  const mg_request_info* info = mg_get_request_info(conn);
  auto* shared = static_cast<Shared*>(info->user_data);
  const http_internal::FrontEnd* f = shared->frontend.load();
  const std::optional<http_internal::ClientAddress> client =
      f != nullptr ? f->RelayedClient(info->remote_addr, info->remote_port) : std::nullopt;
  if (!client) {
    // Someone on this host connected to the internal side directly.
    log::Warn("refused a connection to the HTTP server's internal port",
              {{"remote_addr", info->remote_addr},
               {"remote_port", std::to_string(info->remote_port)}});
    mg_send_http_error(conn, 403, "%s", "this port serves only agent_exporter's front end\n");
    return 403;
  }
  if (const int refused = http_internal::RefuseAmbiguousFraming(conn, client->ip); refused != 0) {
    shared->ambiguous_framing.fetch_add(1, std::memory_order_relaxed);
    return refused;
  }
  // Returning non-zero tells civetweb the request is fully handled (no file serving).
  return http_internal::ServeRequest(conn, shared->routes, shared->request_timeout_ms,
                                     client->ip, client->port);
}

// Set while mg_start2 runs on this thread: civetweb reports the specific bind failure only
// through log_message, and its returned error text is generic.
thread_local std::string* start_messages = nullptr;

int LogMessage(const mg_connection* conn, const char* message) {
  if (start_messages != nullptr && start_messages->empty()) {
    *start_messages = message;  // the first one is the cause, later ones are consequences
  }
  log::Debug("civetweb", {{"msg", message}});
  return 1;  // handled: civetweb must not print to stderr itself
}

void InitCivetwebOnce() {
  static std::once_flag once;
  // Never paired with mg_exit_library: the library stays initialised for the process.
  std::call_once(once, [] { mg_init_library(0); });
}

Status ValidateRoutes(const std::vector<Route>& routes) {
  for (const Route& r : routes) {
    if (r.path.empty() || r.path.front() != '/') {
      return Error{"route path \"" + r.path + "\" must start with '/'"};
    }
    if (r.methods.empty()) {
      return Error{"route " + r.path + " has no methods"};
    }
    if (!r.handler) {
      return Error{"route " + r.path + " has no handler"};
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      std::vector<Route> routes) {
  const std::string& addr = options.listen_address;
  InitCivetwebOnce();
  auto ports =
      http_internal::ToCivetwebListeningPort(addr, mg_check_feature(MG_FEATURES_IPV6) != 0);
  if (!ports.ok()) {
    return Error{"cannot listen on " + addr + ": " + ports.error()};
  }
  if (options.threads < 1) {
    return Error{"HTTP server threads must be at least 1, got " + std::to_string(options.threads)};
  }
  if (options.request_timeout_ms < 1) {
    return Error{"HTTP request timeout must be positive, got " +
                 std::to_string(options.request_timeout_ms) + " ms"};
  }
  if (Status valid = ValidateRoutes(routes); !valid.ok()) {
    return Error{valid.error()};
  }

  std::unique_ptr<HttpServer> server(new HttpServer());
  server->impl_ = std::make_unique<Impl>();
  server->impl_->shared.request_timeout_ms = options.request_timeout_ms;
  // civetweb serves loopback only, behind the front end.
  const std::string public_ports = *ports;
  *ports = std::string(http_internal::FrontEnd::kRelayHost) + ":0";
  for (Route& r : routes) {
    std::string path = r.path;
    if (!server->impl_->shared.routes.emplace(path, std::move(r)).second) {
      return Error{"duplicate route " + path};
    }
  }

  const std::string threads = std::to_string(options.threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const std::string idle = std::to_string(std::max(1, options.idle_timeout_ms));
  const std::string max_head = std::to_string(kMaxHeadBytes);
  const std::string relay_only =
      std::string("-0.0.0.0/0,+") + http_internal::FrontEnd::kRelayHost;
  std::vector<const char*> civet_options = {
      "listening_ports", ports->c_str(),
      "num_threads", threads.c_str(),
      "request_timeout_ms", timeout.c_str(),
      "keep_alive_timeout_ms", idle.c_str(),
      "enable_keep_alive", "yes",
      // Headers and body go out in two writes: with Nagle on, the body waits for the
      // client's delayed ACK (40 ms a request).
      "tcp_nodelay", "1",
      // The front end hands over heads up to this size; larger ones get civetweb's 400.
      "max_request_size", max_head.c_str(),
      // civetweb's loopback port closes a connection from any other address at once,
      // before a worker reads from it; BeginRequest then checks the exact relay address.
      "access_control_list", relay_only.c_str(),
      nullptr};
  mg_callbacks callbacks{};
  callbacks.begin_request = &BeginRequest;
  callbacks.end_request = &EndRequest;
  callbacks.log_message = &LogMessage;
  callbacks.http_error = &HttpError;
  callbacks.init_connection = &InitConnection;
  callbacks.connection_closed = &ConnectionClosed;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = &server->impl_->shared;
  init.configuration_options = civet_options.data();
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof(error_text)};

  std::string messages;
  start_messages = &messages;
  server->impl_->ctx = mg_start2(&init, &error);
  start_messages = nullptr;
  if (server->impl_->ctx == nullptr) {
    std::string reason = !messages.empty()       ? messages
                         : error_text[0] != '\0' ? error_text
                                                 : "civetweb failed to start";
    return Error{"cannot listen on " + addr + ": " + reason};
  }
  mg_server_port bound[1] = {};
  if (mg_get_server_ports(server->impl_->ctx, 1, bound) < 1) {
    return Error{"cannot listen on " + addr + ": no listening port after start"};
  }
  server->impl_->port = bound[0].port;
  server->impl_->wake_addr = WakeAddress(*ports, bound[0].port);
  // public_ports is civetweb syntax: "PORT" (every interface) or "HOST:PORT" (IPv4).
  const std::size_t colon = public_ports.rfind(':');
  const std::string host = colon == std::string::npos ? "" : public_ports.substr(0, colon);
  if (host.find('[') != std::string::npos) {
    return Error{"cannot listen on " + addr + ": IPv6 addresses are not supported"};
  }
  const int public_port =
      std::stoi(colon == std::string::npos ? public_ports : public_ports.substr(colon + 1));
  http_internal::FrontEndOptions front;
  front.tls = options.tls;
  front.head_timeout_ms = options.request_timeout_ms;
  front.max_connections = options.max_connections;
  front.max_head_bytes = kMaxHeadBytes;
  auto frontend = http_internal::FrontEnd::Start(host, public_port, front, bound[0].port);
  if (!frontend.ok()) return Error{"cannot listen on " + addr + ": " + frontend.error()};
  server->impl_->frontend_owner = std::move(frontend.value());
  server->impl_->shared.frontend.store(server->impl_->frontend_owner.get());
  server->impl_->port = server->impl_->frontend_owner->port();
  log::Info("listening", {{"address", addr},
                          {"port", std::to_string(server->impl_->port)},
                          {"tls", options.tls ? "true" : "false"}});
  return server;
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port; }

int HttpServer::backend_port() const { return ntohs(impl_->wake_addr.sin_port); }

HttpStats HttpServer::http_stats() const {
  const Shared& s = impl_->shared;
  const http_internal::FrontEndStats f = impl_->frontend_owner->stats();
  HttpStats out;
  out.bad_requests = s.bad_requests.load(std::memory_order_relaxed) + f.bad_requests;
  out.other_errors = s.other_errors.load(std::memory_order_relaxed);
  out.no_request = s.no_request.load(std::memory_order_relaxed) + f.no_request;
  out.ambiguous_framing = s.ambiguous_framing.load(std::memory_order_relaxed);
  out.too_many_connections = f.refused;
  return out;
}

TlsStats HttpServer::tls_stats() const { return impl_->frontend_owner->stats().tls; }

}  // namespace agx
