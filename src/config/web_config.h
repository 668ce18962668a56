#pragma once
// WebConfigFile: the web configuration file given with --web.config.file, in the Prometheus
// exporter-toolkit format (docs/security.md): `basic_auth_users` (user -> bcrypt hash),
// `http_server_config` (`http2`, `headers`) and `tls_server_config` (served by the
// project's own OpenSSL front end, src/http/tls_context.h: Debian's civetweb cannot start
// TLS with OpenSSL 3). Parsed strictly like the main config: unknown keys and bad values are
// errors with file:line:column. A plain value type; the functions below are thread-safe (no
// shared state).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace agx {

/// tls_server_config, in exporter-toolkit's terms. Paths are resolved against the web config
/// file's directory. Empty cert_file: no TLS.
struct TlsServerConfig {
  std::string cert_file;  ///< PEM, the server certificate (and chain)
  std::string key_file;   ///< PEM, its private key
  /// NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or
  /// RequireAndVerifyClientCert.
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;  ///< PEM CAs that client certificates must chain to
  std::string min_version = "TLS12";  ///< TLS10, TLS11, TLS12 or TLS13
  std::string max_version;            ///< empty: the newest OpenSSL offers (TLS 1.3)

  bool enabled() const { return !cert_file.empty(); }
};

struct WebConfigFile {
  std::string source_path;
  /// User name -> bcrypt hash ($2b$, $2a$ or $2y$, checked when loading). Empty: no basic
  /// authentication.
  std::map<std::string, std::string> basic_auth_users;
  /// http_server_config.headers: added to every response, in the file's order. Only the
  /// names exporter-toolkit allows (Content-Security-Policy, Strict-Transport-Security,
  /// X-Content-Type-Options, X-Frame-Options, X-XSS-Protection); blank values are left out.
  std::vector<std::pair<std::string, std::string>> headers;
  /// http_server_config.http2: accepted for compatibility, no effect (HTTP/1.1 is served).
  bool http2 = true;
  TlsServerConfig tls;
};

/// Loads `path`. Errors are "path:line:column: message", one per line, or
/// "path: cannot read: <reason>".
Result<WebConfigFile> LoadWebConfig(const std::string& path);

/// Same as LoadWebConfig, from text; `name` is used in messages.
Result<WebConfigFile> ParseWebConfig(const std::string& yaml_text, const std::string& name);

/// Checks that `hash` is a well-formed bcrypt hash: "$2b$", "$2a$" or "$2y$", a two-digit
/// cost 04..31, "$", then 53 characters of [./A-Za-z0-9].
/// \return an empty string when it is, else what is wrong (never repeating the hash).
std::string CheckBcryptHash(const std::string& hash);

}  // namespace agx
