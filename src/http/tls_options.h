#pragma once
// What HttpServer needs to serve TLS (tls_server_config in the web config), and the counts
// of its handshakes. Plain values; the OpenSSL side is in tls_context.h.
#include <cstdint>
#include <string>

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
};

struct TlsStats {
  std::uint64_t accepted = 0;            ///< handshakes completed
  std::uint64_t handshake_failures = 0;  ///< bad or missing certificates, plain HTTP, timeouts
  std::uint64_t refused = 0;             ///< closed at once: the connection bound was reached
};

}  // namespace agx
