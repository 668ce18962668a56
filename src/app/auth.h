#pragma once
// Authenticator: who may scrape and who may push (docs/security.md).
//   - HTTP Basic with bcrypt-hashed users (--web.config.file, basic_auth_users), verified
//     with libcrypt (crypt_rn). Answers are cached (auth_cache.h): a credential that
//     verified is not checked again, so a scrape every 15 s does not pay a bcrypt (50-100 ms
//     at cost 10) each time; one that was refused is refused again without a bcrypt.
//   - A bearer token (web.bearer_token_file) for the push and OTLP endpoints.
// Scrape paths (/metrics, /) need Basic when users are configured, else they are open.
// Ingest paths (push, OTLP) need Basic or the bearer token when either is configured.
// Every secret comparison is constant-time.
// At most kBcryptSlots bcrypt checks run at once. A check that finds every slot taken is
// not made: the request is answered at once (kBusy: 429) instead of holding an HTTP worker
// thread while it waits, so a flood of wrong passwords costs at most kBcryptSlots cores
// and never keeps the worker threads from serving credentials already in the cache.
// Thread-safe: the users and token are immutable after Create; the caches have their own
// mutexes and the slots are an atomic counter.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/auth_cache.h"
#include "common/result.h"
#include "http/server.h"  // Admission

namespace agx {

/// Compares in time that depends only on the lengths, never on where `a` and `b` differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// Decodes standard base64 (RFC 4648 §4); the '=' padding may be left out.
/// \return false, leaving `out` unspecified, on any other character or a bad length.
bool DecodeBase64(std::string_view in, std::string* out);

/// What a credential check decided. Refusals are counted by reason
/// (agent_exporter_auth_rejected_total{reason}, AuthOutcomeName).
enum class AuthOutcome : std::uint8_t {
  kAllowed,
  kMissing,  ///< no credentials in a scheme the path takes (401)
  kInvalid,  ///< a wrong or malformed user, password or token (401)
  kBusy,     ///< not checked: every bcrypt slot was in use (429 with Retry-After)
};

/// "allowed", "missing", "invalid" or "busy": the reason label of a refusal.
std::string_view AuthOutcomeName(AuthOutcome outcome);

/// The message of a kBusy reply (429 with Retry-After: 1).
inline constexpr std::string_view kAuthBusyMessage =
    "too many password checks in progress, credentials not checked; retry";

class Authenticator {
 public:
  /// The most cached credentials that verified; older ones are replaced first.
  static constexpr std::size_t kCacheEntries = 64;
  /// The most cached credentials that were refused (wrong password, unknown user).
  static constexpr std::size_t kFailureCacheEntries = 64;
  /// The most bcrypt checks running at once; more are answered kBusy without one.
  static constexpr int kBcryptSlots = 2;

  /// `users`: user name -> bcrypt hash (as in WebConfigFile); `bearer_token`: empty for none.
  /// Fails when libcrypt does not accept a hash.
  static Result<std::unique_ptr<Authenticator>> Create(std::map<std::string, std::string> users,
                                                       std::string bearer_token);

  ~Authenticator();

  bool users_configured() const { return !users_.empty(); }
  bool bearer_configured() const { return !bearer_token_.empty(); }

  /// /metrics and the landing page: Basic when users are configured, else open.
  /// `authorization` is the request's Authorization header ("" when absent).
  AuthOutcome CheckScrape(std::string_view authorization) const;
  /// Push and OTLP: open when neither users nor a token is configured; else a valid Basic
  /// credential or the bearer token.
  AuthOutcome CheckIngest(std::string_view authorization) const;

  /// The WWW-Authenticate headers for a 401 on a scrape (ingest = false) or ingest path.
  std::vector<std::pair<std::string, std::string>> Challenges(bool ingest) const;

  /// "Basic <base64(user:password)>" for a configured user and the right password.
  AuthOutcome CheckBasic(std::string_view authorization) const;
  bool VerifyBasic(std::string_view authorization) const {
    return CheckBasic(authorization) == AuthOutcome::kAllowed;
  }
  /// "Bearer <token>" with the configured token (false when none is configured).
  bool VerifyBearer(std::string_view authorization) const;

  /// Number of cached credentials that verified / were refused, for tests.
  std::size_t cached() const { return verified_.size(); }
  std::size_t cached_failures() const { return refused_.size(); }
  /// bcrypt checks running now, for tests.
  int bcrypt_in_flight() const { return bcrypt_slots_.in_flight(); }

 private:
  Authenticator(std::map<std::string, std::string> users, std::string bearer_token);
  /// Runs bcrypt when a slot is free: kAllowed, kInvalid, or kBusy without hashing.
  AuthOutcome Bcrypt(const std::string& password, const std::string& hash) const;

  const std::map<std::string, std::string> users_;
  const std::string bearer_token_;
  // Verified against when the user is unknown, so that unknown users take as long as known
  // ones (no user enumeration by timing). A configured user's hash: same cost.
  const std::string decoy_hash_;

  mutable CredentialCache verified_{kCacheEntries};
  mutable CredentialCache refused_{kFailureCacheEntries};
  mutable Admission bcrypt_slots_{kBcryptSlots};
};

}  // namespace agx
