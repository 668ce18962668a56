#pragma once
// Request framing checks (RFC 9112 §6): a request whose body length two HTTP parsers could
// read differently is refused, because a proxy in front and civetweb behind it would then
// disagree on where the next request starts (request smuggling). civetweb 1.15 reads only
// the first Content-Length header (and only its leading digits: "5, 50" is 5), and lets
// Transfer-Encoding win over Content-Length silently. Internal to agx_http; pure functions,
// thread-safe.
#include <span>
#include <string_view>
#include <utility>

namespace agx::http_internal {

using HeaderView = std::pair<std::string_view, std::string_view>;  ///< name, value as sent

/// Why the body length of a request with these headers is ambiguous, or "" when it is not:
///   - Content-Length and Transfer-Encoding together (§6.1: "MUST close the connection";
///     refused here, as §6.3 allows);
///   - a Content-Length that is not one decimal number, or several Content-Length fields or
///     list members with different values (§6.3; identical ones count as one, §8.6 of
///     RFC 9110);
///   - a Transfer-Encoding other than one "chunked" (the only coding supported), or any
///     Transfer-Encoding in an HTTP/1.0 request (§6.1: its framing must be treated as faulty).
/// `http_version` is "1.0" or "1.1" (without "HTTP/").
std::string_view AmbiguousFraming(std::span<const HeaderView> headers,
                                  std::string_view http_version);

}  // namespace agx::http_internal
