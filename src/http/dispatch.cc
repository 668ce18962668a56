#include "http/dispatch.h"

#include <civetweb.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string_view>

#include "common/log.h"
#include "http/framing.h"
#include "http/full_stack.h"

namespace agx::http_internal {
namespace {

constexpr int kClientClosedRequest = 499;  // nginx's convention, for the access log only
constexpr std::size_t kReadChunk = 16 * 1024;

enum class BodyStatus { kComplete, kTooLarge, kAborted, kTimedOut };

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

HttpRequest BuildRequest(const mg_request_info& info, const std::string& remote_addr,
                         int remote_port) {
  HttpRequest req;
  req.method = info.request_method != nullptr ? info.request_method : "";
  // local_uri is URL-decoded and cleaned of "..", NULL for absolute-form requests that do not
  // address this host.
  req.path = info.local_uri != nullptr ? info.local_uri : "";
  req.query = info.query_string != nullptr ? info.query_string : "";
  req.remote_addr = remote_addr;
  req.remote_port = remote_port;
  for (int i = 0; i < info.num_headers; ++i) {
    const mg_header& h = info.http_headers[i];
    if (h.name == nullptr) {
      continue;
    }
    std::string value = h.value != nullptr ? h.value : "";
    auto [it, inserted] = req.headers.try_emplace(Lower(h.name), value);
    if (!inserted) {  // repeated header: combine as RFC 9110 §5.3 allows
      it->second += ", ";
      it->second += value;
    }
  }
  return req;
}

bool Allows(const Route& route, std::string_view method) {
  return std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
}

std::string AllowHeader(const Route& route) {
  std::string allow;
  for (const std::string& m : route.methods) {
    allow += allow.empty() ? "" : ", ";
    allow += m;
  }
  if (Allows(route, "GET") && !Allows(route, "HEAD")) {
    allow += ", HEAD";
  }
  return allow;
}

// Reads the body into `body`, never holding more than limit + 1 bytes. mg_read decodes
// chunked transfer encoding, so both framings share this loop. Each mg_read waits up to
// civetweb's request timeout for its buffer to fill, so the body as a whole gets a deadline
// of its own: past it an incomplete body is kTimedOut (a slow client), where a read that
// ends early is kAborted (the client went away).
BodyStatus ReadBody(mg_connection* conn, long long content_length, std::size_t limit,
                    std::chrono::steady_clock::time_point deadline, std::string* body) {
  char buf[kReadChunk];
  bool done = false;
  while (true) {
    const std::size_t want = std::min(kReadChunk, limit + 1 - body->size());
    const int n = mg_read(conn, buf, want);
    if (n < 0) {
      break;
    }
    if (n == 0) {
      done = true;
      break;
    }
    body->append(buf, static_cast<std::size_t>(n));
    if (body->size() > limit) {
      return BodyStatus::kTooLarge;
    }
    const bool complete =
        content_length >= 0 && body->size() == static_cast<std::size_t>(content_length);
    if (!complete && std::chrono::steady_clock::now() >= deadline) {
      return BodyStatus::kTimedOut;
    }
  }
  // With Content-Length, 0 also means the peer closed early; chunked errors return < 0.
  if (!done || (content_length >= 0 && body->size() != static_cast<std::size_t>(content_length))) {
    return std::chrono::steady_clock::now() >= deadline ? BodyStatus::kTimedOut
                                                        : BodyStatus::kAborted;
  }
  return BodyStatus::kComplete;
}

bool IsSafeHeader(const std::string& name, const std::string& value) {
  if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos ||
      value.find_first_of("\r\n") != std::string::npos) {
    return false;
  }
  // Framing, connection management and the date belong to the server.
  const std::string lower = Lower(name);
  return lower != "content-length" && lower != "transfer-encoding" && lower != "connection" &&
         lower != "date";
}

// RFC 9110 §5.6.7 IMF-fixdate. Sent by us because civetweb formats its Date header with the
// non-reentrant gmtime(), a data race between worker threads.
std::string HttpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  // Fixed English names: strftime's %a and %b follow the locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                              tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

void SendResponse(mg_connection* conn, const HttpResponse& resp, bool head_only,
                  bool close_connection) {
  mg_response_header_start(conn, resp.status);
  // 1xx, 204 and 304 carry no body (RFC 9110 §6.4.1) and 204 no Content-Length (§8.6).
  const bool no_body = resp.status < 200 || resp.status == 204 || resp.status == 304;
  if (!resp.content_type.empty() && !no_body) {
    mg_response_header_add(conn, "Content-Type", resp.content_type.c_str(), -1);
  }
  for (const auto& [name, value] : resp.headers) {
    if (!IsSafeHeader(name, value)) {
      log::Error("dropping invalid response header", {{"header", name}});
      continue;
    }
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  if (!no_body) {
    const std::string length = std::to_string(resp.body.size());
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  }
  if (close_connection) {
    // civetweb still reads and discards a body left unread (a client still sending it
    // would get a reset instead of this reply if the connection closed at once).
    mg_response_header_add(conn, "Connection", "close", -1);
  }
  const std::string date = HttpDate();
  mg_response_header_add(conn, "Date", date.c_str(), -1);
  mg_response_header_send(conn);
  if (!no_body && !head_only && !resp.body.empty()) {
    mg_write(conn, resp.body.data(), resp.body.size());
  }
}

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse resp;
  resp.status = status;
  resp.body = std::move(body);
  return resp;
}

HttpResponse CallHandler(const Route& route, const HttpRequest& req) {
  try {
    HttpResponse resp = route.handler(req);
    if (resp.status < 100 || resp.status > 599) {
      log::Error("HTTP handler returned an invalid status",
                 {{"path", req.path}, {"status", std::to_string(resp.status)}});
      return TextResponse(500, "internal server error\n");
    }
    return resp;
  } catch (const std::exception& e) {
    log::Error("HTTP handler failed", {{"path", req.path}, {"err", e.what()}});
  } catch (...) {
    log::Error("HTTP handler failed", {{"path", req.path}, {"err", "unknown exception"}});
  }
  return TextResponse(500, "internal server error\n");
}

}  // namespace

int RefuseAmbiguousFraming(mg_connection* conn, const std::string& remote_addr) {
  const mg_request_info* info = mg_get_request_info(conn);
  HeaderView headers[MG_MAX_HEADERS];
  const int n = std::clamp(info->num_headers, 0, MG_MAX_HEADERS);
  for (int i = 0; i < n; ++i) {
    const mg_header& h = info->http_headers[i];
    headers[i] = {h.name != nullptr ? h.name : "", h.value != nullptr ? h.value : ""};
  }
  const std::string_view why = AmbiguousFraming(
      std::span(headers, static_cast<std::size_t>(n)),
      info->http_version != nullptr ? info->http_version : "");
  if (why.empty()) return 0;
  log::Debug("refused a request with ambiguous framing",
             {{"reason", std::string(why)}, {"remote_addr", remote_addr}});
  const bool is_head = info->request_method != nullptr && std::string_view(info->request_method) == "HEAD";
  // Closed without discarding a body: its length is what is in doubt, and a request
  // after it must not be served.
  mg_disable_connection_keep_alive(conn);
  SendResponse(conn, TextResponse(400, "bad request: " + std::string(why) + "\n"), is_head, true);
  return 400;
}

int ServeRequest(mg_connection* conn, const RouteTable& routes, int request_timeout_ms,
                 const std::string& remote_addr, int remote_port) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest req = BuildRequest(*info, remote_addr, remote_port);
  // A body we do not read poisons the connection for the next request: close it.
  const bool has_body = info->content_length > 0 || !req.Header("transfer-encoding").empty();
  const bool is_head = req.method == "HEAD";

  auto route_it = routes.find(req.path);
  if (route_it == routes.end()) {
    SendResponse(conn, TextResponse(404, "not found\n"), is_head, has_body);
    return 404;
  }
  const Route& route = route_it->second;
  const bool allowed = Allows(route, req.method) || (is_head && Allows(route, "GET"));
  if (!allowed) {
    HttpResponse resp = TextResponse(405, "method not allowed\n");
    resp.headers.emplace_back("Allow", AllowHeader(route));
    SendResponse(conn, resp, is_head, has_body);
    return 405;
  }
  if (is_head && !Allows(route, "HEAD")) {
    req.method = "GET";  // HEAD served as GET without the body (RFC 9110 §9.3.2)
  }

  auto fail = [&](int status, std::string_view message, bool close) {
    HttpResponse resp = route.on_error ? route.on_error(req, status, message)
                                       : TextResponse(status, std::string(message) + "\n");
    resp.status = status;
    if (status == 429) resp.headers.emplace_back("Retry-After", "1");
    SendResponse(conn, resp, is_head, close);
    return status;
  };
  // Admission before the body: a full server does not read (or buffer) more uploads.
  if (route.admission && !route.admission->TryEnter()) {
    return fail(429, "too many concurrent requests, retry later", has_body);
  }
  struct Leave {
    Admission* a;
    ~Leave() {
      if (a != nullptr) a->Leave();
    }
  } leave{route.admission.get()};

  bool body_unread = has_body;
  if (route.max_body_bytes > 0 && has_body) {
    if (info->content_length > 0 &&
        static_cast<unsigned long long>(info->content_length) > route.max_body_bytes) {
      return fail(413, "request body of " + std::to_string(info->content_length) +
                           " bytes exceeds the limit of " + std::to_string(route.max_body_bytes),
                  true);
    }
    // The declared length is within the limit (checked above): read into one allocation.
    if (info->content_length > 0) req.body.reserve(static_cast<std::size_t>(info->content_length));
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request_timeout_ms);
    switch (ReadBody(conn, info->content_length, route.max_body_bytes, deadline, &req.body)) {
      case BodyStatus::kTimedOut:
        // A client still sending, too slowly: told so (RFC 9110 §15.5.9), and closed.
        return fail(408,
                    "request body not received within web.request_timeout (" +
                        std::to_string(request_timeout_ms) + " ms)",
                    true);
      case BodyStatus::kAborted:
        // The client closed mid-body: no reply can reach it, but the route still counts
        // the request (as 499).
        if (route.on_error) {
          route.on_error(req, kClientClosedRequest, "client closed or timed out sending the body");
        }
        log::Debug("request body not received completely",
                   {{"path", req.path}, {"remote_addr", req.remote_addr}});
        return kClientClosedRequest;
      case BodyStatus::kTooLarge:
        return fail(413, "request body exceeds the limit of " +
                             std::to_string(route.max_body_bytes) + " bytes",
                    true);
      case BodyStatus::kComplete:
        body_unread = false;
        break;
    }
  }

  // The handler runs on a thread with a full-size stack (full_stack.h).
  HttpResponse resp;
  RunOnFullStack([&] { resp = CallHandler(route, req); });
  SendResponse(conn, resp, is_head, body_unread);
  return resp.status;
}

}  // namespace agx::http_internal
