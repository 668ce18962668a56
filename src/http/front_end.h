#pragma once
// FrontEnd: the public listener of an HttpServer, plain or TLS. civetweb serves each
// connection on one worker thread from accept to close, so a client that connects and
// then sends its request slowly, or nothing, holds a worker until web.request_timeout, and
// a few dozen such clients hold them all: a scrape then waits minutes. The front end takes
// that phase off civetweb. One thread (the gate, with epoll) accepts every connection,
// completes its TLS handshake, and reads its first request head; only a connection whose
// head is complete (or that civetweb must refuse at once: a byte no head may contain, a
// head over max_head_bytes) is relayed to civetweb, on a thread of its own (relay.h), over
// a connection to civetweb's ephemeral 127.0.0.1 port. A connection that has not finished
// its handshake and head within head_timeout_ms is closed by the gate (400 when part of a
// head came) and counted, without ever reaching a worker. Later requests on a kept-alive
// connection reach civetweb directly, which allows them web.idle_timeout for their head.
//
// At most max_connections are open, waiting or relayed. When a new connection arrives and
// that many are open, the oldest one still waiting for its head is closed to make room
// (counted as a timeout would be), so idle and slow clients cannot lock out one that sends
// its request at once; only when every open connection is relayed is the new one closed
// (counted in FrontEndStats::refused).
//
// Relay registry: every relay binds its socket to kRelayHost with an ephemeral port before
// connecting, and RelayedClient() recognises exactly that address (IP and port) while the
// relay is open. HttpServer answers only such connections on civetweb's port, so a local
// user who connects to it directly (even from 127.0.0.2 with a relay's port) bypasses
// neither TLS, client certificates nor the gate's timeouts.
// Thread-safe: the accessors may be called from any thread; destruction from one.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/tls_options.h"

namespace agx::http_internal {

struct FrontEndOptions {
  std::optional<TlsOptions> tls;      ///< TLS on the public port, or plain HTTP
  int head_timeout_ms = 30000;        ///< for the handshake and the first request head
  int max_connections = 256;          ///< waiting and relayed together
  std::size_t max_head_bytes = 16384;  ///< civetweb's max_request_size
};

struct FrontEndStats {
  TlsStats tls;                    ///< zeros without TLS
  std::uint64_t bad_requests = 0;  ///< part of a head came, not all in time (400), or the
                                   ///< client closed or was dropped for room mid-head
  std::uint64_t no_request = 0;    ///< nothing came before the timeout, the client closed,
                                   ///< or the connection was dropped for room
  std::uint64_t refused = 0;       ///< closed at once: max_connections open, none waiting
};

/// Where a relayed connection comes from.
struct ClientAddress {
  std::string ip;
  int port = 0;
};

class FrontEnd {
 public:
  /// The address every relay connection is bound to (its source IP at the backend).
  static constexpr const char* kRelayHost = "127.0.0.1";

  /// Listens on `host`:`port` (host "" or "0.0.0.0": every IPv4 interface; port 0:
  /// ephemeral) and relays to 127.0.0.1:`backend_port`. Fails with OpenSSL's reason and
  /// the file name when a certificate or key cannot be loaded or do not match.
  static Result<std::unique_ptr<FrontEnd>> Start(const std::string& host, int port,
                                                 const FrontEndOptions& options,
                                                 int backend_port);
  ~FrontEnd();  ///< stops accepting, closes every connection, joins its threads

  int port() const;
  /// The client a connection from exactly `ip`:`port` at the backend relays (ip as
  /// civetweb prints it, "127.0.0.1"), or nullopt when that is not the source address of
  /// one of this front end's open relay connections.
  std::optional<ClientAddress> RelayedClient(std::string_view ip, int port) const;
  FrontEndStats stats() const;

 private:
  FrontEnd() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx::http_internal
