#pragma once
// TlsFrontend: serves TLS for HttpServer. Debian 12's civetweb 1.15 cannot start TLS with
// OpenSSL 3 (it looks up SSL_get_peer_certificate, a macro since OpenSSL 3.0), so TLS is
// terminated here, with Debian's OpenSSL 3, and each connection's plaintext is relayed to
// civetweb listening on 127.0.0.1. HttpServer lets only this front end's own relay
// connections through that loopback port (IsRelayPeer: the exact address, IP and port, of a
// socket the front end bound for a relay it opened), so a local user cannot bypass TLS or
// client-certificate checks by connecting to it: TCP lets no other socket have that address
// while the relay holds it, whereas the same port on another loopback address (127.0.0.2)
// is free for anyone to bind.
//
// One thread per connection (at most max_connections; more are closed at once and counted),
// so a slow TLS handshake never holds a civetweb worker. The handshake must finish within
// handshake_timeout_ms. The certificate, key and CA files are read again when their
// modification time changes (at most once a second), so a rotated certificate is served
// without a restart; a reload that fails keeps the last good one and is logged.
// The only file that includes OpenSSL. Thread-safe: the accessors may be called from any
// thread; Stop/destruction from one.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx {

struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  enum class ClientAuth {
    kNone,              ///< NoClientCert
    kRequest,           ///< RequestClientCert: asked for, never checked
    kRequireAny,        ///< RequireAnyClientCert: required, not checked
    kVerifyIfGiven,     ///< VerifyClientCertIfGiven
    kRequireAndVerify,  ///< RequireAndVerifyClientCert
  } client_auth = ClientAuth::kNone;
  int min_version = 0x0303;  ///< TLS1_2_VERSION
  int max_version = 0;       ///< 0: the newest
  int handshake_timeout_ms = 30000;
  int max_connections = 256;
};

struct TlsStats {
  std::uint64_t accepted = 0;           ///< handshakes completed
  std::uint64_t handshake_failures = 0;  ///< bad or missing certificates, plain HTTP, timeouts
  std::uint64_t refused = 0;            ///< closed because max_connections were open
};

class TlsFrontend {
 public:
  /// Listens on `host`:`port` (host "" or "0.0.0.0": every IPv4 interface; port 0:
  /// ephemeral) and relays to 127.0.0.1:`backend_port`. Fails with OpenSSL's reason and the
  /// file name when a certificate or key cannot be loaded or do not match.
  static Result<std::unique_ptr<TlsFrontend>> Start(const std::string& host, int port,
                                                    const TlsOptions& options, int backend_port);
  ~TlsFrontend();  ///< stops accepting, closes every relayed connection, joins its threads

  int port() const;
  /// The address every relay connection is bound to (its source IP at the backend).
  static constexpr const char* kRelayHost = "127.0.0.1";
  /// True when `ip`:`port` is exactly the source address of one of this front end's open
  /// connections to the backend (ip as civetweb prints it: "127.0.0.1").
  bool IsRelayPeer(std::string_view ip, int port) const;
  TlsStats stats() const;

 private:
  TlsFrontend() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
