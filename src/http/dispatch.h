#pragma once
// Per-request glue between civetweb and the HTTP-agnostic routes: builds the HttpRequest,
// enforces the route's method list and body limit, calls the handler and writes the
// HttpResponse. Internal to agx_http.
// Thread-safe: called concurrently on civetweb worker threads; the route table is immutable
// while the server runs, and all per-request state lives on the calling thread's stack.
#include <functional>
#include <map>
#include <string>

#include "http/server.h"

struct mg_connection;

namespace agx::http_internal {

/// Routes by exact path.
using RouteTable = std::map<std::string, Route, std::less<>>;

/// Serves the request that civetweb has just parsed on `conn`, relayed by the front end
/// for the client at `remote_addr`:`remote_port`. Its body must arrive within
/// `request_timeout_ms` of the head (else 408, connection closed).
/// \return the status code sent (for civetweb's access log), or 499 if the client went away
/// before its body arrived (nothing sent, handler not called).
int ServeRequest(mg_connection* conn, const RouteTable& routes, int request_timeout_ms,
                 const std::string& remote_addr, int remote_port);

/// Refuses the request civetweb has just parsed on `conn` when its body length is ambiguous
/// (framing.h): sends 400 with the reason and closes the connection, since the bytes that
/// follow cannot be trusted to start a request.
/// \return 400 when refused, 0 when the request may be served.
int RefuseAmbiguousFraming(mg_connection* conn, const std::string& remote_addr);

}  // namespace agx::http_internal
