#pragma once
// Authenticator: who may scrape and who may push (docs/security.md).
//   - HTTP Basic with bcrypt-hashed users (--web.config.file, basic_auth_users), verified
//     with libcrypt (crypt_rn). Successful verifications are cached, so a scrape every 15 s
//     does not pay a bcrypt (50-100 ms at cost 10) each time.
//   - A bearer token (web.bearer_token_file) for the push and OTLP endpoints.
// Scrape paths (/metrics, /) need Basic when users are configured, else they are open.
// Ingest paths (push, OTLP) need Basic or the bearer token when either is configured.
// Every secret comparison is constant-time.
// Thread-safe: the users and token are immutable after Create; the cache is behind a mutex
// and bcrypt runs one at a time (as in exporter-toolkit), so a flood of wrong passwords
// costs at most one core.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

struct crypt_data;  // <crypt.h>, libcrypt

namespace agx {

/// Compares in time that depends only on the lengths, never on where `a` and `b` differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// Decodes standard base64 (RFC 4648 §4); the '=' padding may be left out.
/// \return false, leaving `out` unspecified, on any other character or a bad length.
bool DecodeBase64(std::string_view in, std::string* out);

class Authenticator {
 public:
  /// The most cached successful Basic credentials; older ones are replaced first.
  static constexpr std::size_t kCacheEntries = 64;

  /// `users`: user name -> bcrypt hash (as in WebConfigFile); `bearer_token`: empty for none.
  /// Fails when libcrypt does not accept a hash.
  static Result<std::unique_ptr<Authenticator>> Create(std::map<std::string, std::string> users,
                                                       std::string bearer_token);

  ~Authenticator();

  bool users_configured() const { return !users_.empty(); }
  bool bearer_configured() const { return !bearer_token_.empty(); }

  /// /metrics and the landing page: Basic when users are configured, else open.
  /// `authorization` is the request's Authorization header ("" when absent).
  bool AllowScrape(std::string_view authorization) const;
  /// Push and OTLP: open when neither users nor a token is configured; else a valid Basic
  /// credential or the bearer token.
  bool AllowIngest(std::string_view authorization) const;

  /// The WWW-Authenticate headers for a 401 on a scrape (ingest = false) or ingest path.
  std::vector<std::pair<std::string, std::string>> Challenges(bool ingest) const;

  /// "Basic <base64(user:password)>" for a configured user and the right password.
  bool VerifyBasic(std::string_view authorization) const;
  /// "Bearer <token>" with the configured token (false when none is configured).
  bool VerifyBearer(std::string_view authorization) const;

  /// Number of cached credentials, for tests.
  std::size_t cached() const;

 private:
  Authenticator(std::map<std::string, std::string> users, std::string bearer_token);
  bool CacheHit(std::size_t key, std::string_view credential) const;
  void CacheInsert(std::size_t key, std::string_view credential) const;

  struct CacheEntry {
    std::size_t key = 0;     // std::hash of the credential, to skip most compares
    std::string credential;  // the exact "user:password" that verified
  };

  const std::map<std::string, std::string> users_;
  const std::string bearer_token_;
  // Verified against when the user is unknown, so that unknown users take as long as known
  // ones (no user enumeration by timing). A configured user's hash: same cost.
  const std::string decoy_hash_;

  mutable std::mutex cache_mu_;
  mutable std::vector<CacheEntry> cache_;  // guarded by cache_mu_, at most kCacheEntries
  mutable std::size_t cache_next_ = 0;     // guarded by cache_mu_; next slot to replace

  mutable std::mutex bcrypt_mu_;  // one bcrypt at a time
  std::unique_ptr<crypt_data> crypt_scratch_;  // guarded by bcrypt_mu_ (32 KiB)
};

}  // namespace agx
