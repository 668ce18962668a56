// Authenticator: HTTP Basic (bcrypt via libcrypt, with a cache) and bearer tokens.
#include "app/auth.h"

#include <crypt.h>

#include <cctype>
#include <functional>
#include <memory>

#include "config/web_config.h"

namespace agx {
namespace {

// Longer Basic credentials are refused without decoding (civetweb already caps the whole
// header block at 16 KiB).
constexpr std::size_t kMaxBasicBase64 = 4096;

// Splits "Scheme rest": the scheme compared case-insensitively (RFC 9110 §11.1), then one or
// more spaces. \return false when the scheme differs or nothing follows it.
bool TakeScheme(std::string_view header, std::string_view scheme, std::string_view* rest) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  }
  std::string_view r = header.substr(scheme.size());
  while (!r.empty() && r.front() == ' ') r.remove_prefix(1);
  while (!r.empty() && (r.back() == ' ' || r.back() == '\t')) r.remove_suffix(1);
  *rest = r;
  return !r.empty();
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of `a` is visited whatever the contents; only the lengths show in the time.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

bool DecodeBase64(std::string_view in, std::string* out) {
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  if (pad > 0 && in.size() % 4 != 0) return false;
  const std::string_view data = in.substr(0, in.size() - pad);
  if (data.size() % 4 == 1) return false;
  out->clear();
  out->reserve(data.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    const int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

Result<std::unique_ptr<Authenticator>> Authenticator::Create(
    std::map<std::string, std::string> users, std::string bearer_token) {
  for (const auto& [user, hash] : users) {
    if (user.empty() || user.find(':') != std::string::npos) {
      return Error{"basic_auth_users: invalid user name \"" + user + "\""};
    }
    if (std::string problem = CheckBcryptHash(hash); !problem.empty()) {
      return Error{"basic_auth_users." + user + ": " + problem};
    }
    if (crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK) {
      return Error{"basic_auth_users." + user + ": libcrypt does not accept this bcrypt hash"};
    }
  }
  return std::unique_ptr<Authenticator>(
      new Authenticator(std::move(users), std::move(bearer_token)));
}

Authenticator::Authenticator(std::map<std::string, std::string> users, std::string bearer_token)
    : users_(std::move(users)),
      bearer_token_(std::move(bearer_token)),
      decoy_hash_(users_.empty() ? std::string() : users_.begin()->second) {}

Authenticator::~Authenticator() = default;

std::string_view AuthOutcomeName(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kAllowed: return "allowed";
    case AuthOutcome::kMissing: return "missing";
    case AuthOutcome::kInvalid: return "invalid";
    case AuthOutcome::kBusy: return "busy";
  }
  return "invalid";
}

AuthOutcome Authenticator::CheckScrape(std::string_view authorization) const {
  if (users_.empty()) return AuthOutcome::kAllowed;
  return CheckBasic(authorization);
}

AuthOutcome Authenticator::CheckIngest(std::string_view authorization) const {
  if (users_.empty() && bearer_token_.empty()) return AuthOutcome::kAllowed;
  if (VerifyBearer(authorization)) return AuthOutcome::kAllowed;
  std::string_view token;
  if (!bearer_token_.empty() && TakeScheme(authorization, "bearer", &token)) {
    return AuthOutcome::kInvalid;
  }
  return CheckBasic(authorization);
}

std::vector<std::pair<std::string, std::string>> Authenticator::Challenges(bool ingest) const {
  std::vector<std::pair<std::string, std::string>> h;
  if (!users_.empty()) h.emplace_back("WWW-Authenticate", "Basic realm=\"agent_exporter\"");
  if (ingest && !bearer_token_.empty()) {
    h.emplace_back("WWW-Authenticate", "Bearer realm=\"agent_exporter\"");
  }
  return h;
}

bool Authenticator::VerifyBearer(std::string_view authorization) const {
  if (bearer_token_.empty()) return false;
  std::string_view token;
  if (!TakeScheme(authorization, "bearer", &token)) return false;
  return ConstantTimeEquals(token, bearer_token_);
}

AuthOutcome Authenticator::CheckBasic(std::string_view authorization) const {
  std::string_view encoded;
  if (users_.empty() || !TakeScheme(authorization, "basic", &encoded)) {
    return AuthOutcome::kMissing;
  }
  if (encoded.size() > kMaxBasicBase64) return AuthOutcome::kInvalid;
  std::string credential;
  if (!DecodeBase64(encoded, &credential)) return AuthOutcome::kInvalid;
  const std::size_t colon = credential.find(':');
  if (colon == std::string::npos) return AuthOutcome::kInvalid;
  const std::string user = credential.substr(0, colon);
  const std::string password = credential.substr(colon + 1);
  // crypt(3) stops at a NUL: "secret\0junk" must not pass as "secret".
  if (password.find('\0') != std::string::npos) return AuthOutcome::kInvalid;

  // Both caches before any bcrypt: a known answer never waits for (or takes) a slot.
  const std::size_t key = std::hash<std::string_view>{}(credential);
  if (verified_.Contains(key, credential)) return AuthOutcome::kAllowed;
  if (refused_.Contains(key, credential)) return AuthOutcome::kInvalid;

  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const AuthOutcome outcome = Bcrypt(password, known ? it->second : decoy_hash_);
  if (outcome == AuthOutcome::kBusy) return outcome;
  if (known && outcome == AuthOutcome::kAllowed) {
    verified_.Insert(key, credential);
    return AuthOutcome::kAllowed;
  }
  refused_.Insert(key, credential);
  return AuthOutcome::kInvalid;
}

AuthOutcome Authenticator::Bcrypt(const std::string& password, const std::string& hash) const {
  if (!bcrypt_slots_.TryEnter()) return AuthOutcome::kBusy;
  struct Leave {
    Admission& slots;
    ~Leave() { slots.Leave(); }
  } leave{bcrypt_slots_};
  // crypt_rn's scratch (32 KiB, zeroed as it wants) per call: slots need no buffer pool,
  // and the allocation is nothing next to the hash.
  auto scratch = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), scratch.get(),
                             static_cast<int>(sizeof(crypt_data)));
  const bool match = out != nullptr && ConstantTimeEquals(out, hash);
  return match ? AuthOutcome::kAllowed : AuthOutcome::kInvalid;
}

}  // namespace agx
