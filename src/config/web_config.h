#pragma once
// WebConfigFile: the web configuration file given with --web.config.file, in the Prometheus
// exporter-toolkit format (docs/security.md): `basic_auth_users` (user -> bcrypt hash),
// `http_server_config` (`http2`, `headers`) and `tls_server_config`, which this build
// refuses (Debian's civetweb cannot serve TLS with OpenSSL 3). Parsed strictly like the main
// config: unknown keys and bad values are errors with file:line:column. A plain value type;
// the functions below are thread-safe (no shared state).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace agx {

struct WebConfigFile {
  std::string source_path;
  /// User name -> bcrypt hash ($2b$, $2a$ or $2y$, checked when loading). Empty: no basic
  /// authentication.
  std::map<std::string, std::string> basic_auth_users;
  /// http_server_config.headers: added to every response, in the file's order. Only the
  /// names exporter-toolkit allows (Content-Security-Policy, Strict-Transport-Security,
  /// X-Content-Type-Options, X-Frame-Options, X-XSS-Protection); blank values are left out.
  std::vector<std::pair<std::string, std::string>> headers;
  /// http_server_config.http2: accepted for compatibility, no effect (HTTP/2 needs TLS).
  bool http2 = true;
};

/// The refusal for a non-empty tls_server_config (also used by docs and tests).
inline constexpr const char* kTlsUnsupportedMessage =
    "TLS is not supported by this build: Debian's civetweb 1.15 cannot start TLS with "
    "OpenSSL 3; put a TLS-terminating proxy in front, see docs/security.md";

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
