#include "http/server.h"

#include <civetweb.h>

#include <mutex>
#include <string>

#include "common/log.h"
#include "http/dispatch.h"
#include "http/listen_address.h"

namespace agx {

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

struct HttpServer::Impl {
  http_internal::RouteTable routes;
  mg_context* ctx = nullptr;
  int port = 0;

  // mg_stop joins the worker threads, so running handlers finish before the routes die.
  ~Impl() {
    if (ctx != nullptr) {
      mg_stop(ctx);
    }
  }
};

namespace {

int BeginRequest(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const auto* routes = static_cast<const http_internal::RouteTable*>(info->user_data);
  // Returning non-zero tells civetweb the request is fully handled (no file serving).
  return http_internal::ServeRequest(conn, *routes);
}

int LogMessage(const mg_connection* conn, const char* message) {
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
  auto ports = http_internal::ToCivetwebListeningPort(
      addr, mg_check_feature(MG_FEATURES_IPV6) != 0);
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
  for (Route& r : routes) {
    std::string path = r.path;
    if (!server->impl_->routes.emplace(path, std::move(r)).second) {
      return Error{"duplicate route " + path};
    }
  }

  const std::string threads = std::to_string(options.threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const char* civet_options[] = {
      "listening_ports", ports->c_str(),   "num_threads",       threads.c_str(),
      "request_timeout_ms", timeout.c_str(), "enable_keep_alive", "yes",
      nullptr};
  mg_callbacks callbacks{};
  callbacks.begin_request = &BeginRequest;
  callbacks.log_message = &LogMessage;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = &server->impl_->routes;
  init.configuration_options = civet_options;
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof(error_text)};

  server->impl_->ctx = mg_start2(&init, &error);
  if (server->impl_->ctx == nullptr) {
    std::string reason = error_text[0] != '\0' ? error_text : "civetweb failed to start";
    return Error{"cannot listen on " + addr + ": " + reason};
  }
  mg_server_port bound[1] = {};
  if (mg_get_server_ports(server->impl_->ctx, 1, bound) < 1) {
    return Error{"cannot listen on " + addr + ": no listening port after start"};
  }
  server->impl_->port = bound[0].port;
  log::Info("listening", {{"address", addr}, {"port", std::to_string(bound[0].port)}});
  return server;
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port; }

}  // namespace agx
