#pragma once
// TlsContext: the server side of TLS for the front end (front_end.h), with Debian's OpenSSL
// 3. Debian 12's civetweb 1.15 cannot start TLS with OpenSSL 3 (it looks up
// SSL_get_peer_certificate, a macro since OpenSSL 3.0), so TLS is terminated by
// agent_exporter and civetweb only ever sees plaintext from the front end's relays.
// The certificate, key and CA files are read again when their modification time changes
// (checked at most once a second, when a connection is wrapped), so a rotated certificate
// is served without a restart; a reload that fails keeps the last good one and is logged.
// The only file that includes OpenSSL. Internal to agx_http. Thread-safe.
#include <memory>

#include "common/result.h"
#include "http/client_stream.h"
#include "http/tls_options.h"

namespace agx::http_internal {

class TlsContext {
 public:
  /// Fails with OpenSSL's reason and the file name when a certificate or key cannot be
  /// loaded or they do not match.
  static Result<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();

  /// A TLS server stream over the non-blocking socket `fd` (taken over: closed by the
  /// stream, or here on failure, then nullptr), with the current certificate. Its
  /// Handshake() must complete before Read and Write.
  std::unique_ptr<ClientStream> Wrap(int fd);

 private:
  TlsContext() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx::http_internal
