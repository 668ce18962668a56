#pragma once
// Translation of a Prometheus-style listen address (--web.listen-address) into civetweb's
// `listening_ports` syntax. Internal to agx_http; pure function, thread-safe.
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx::http_internal {

/// Maps "HOST:PORT" or ":PORT" to civetweb's `listening_ports` value:
///   ":9478" -> "9478" (all IPv4 interfaces), "127.0.0.1:0" -> "127.0.0.1:0" (ephemeral),
///   "localhost:9478" -> "127.0.0.1:9478", "[::1]:9478" -> "[::1]:9478" if `ipv6_supported`.
/// HOST must be an IPv4 literal, "localhost" or (with IPv6 support) a bracketed IPv6 literal;
/// civetweb does not resolve names. PORT is 0..65535.
/// \return the civetweb value, or an error naming the problem (without the address itself).
Result<std::string> ToCivetwebListeningPort(std::string_view address, bool ipv6_supported);

}  // namespace agx::http_internal
