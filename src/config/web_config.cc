// LoadWebConfig / ParseWebConfig: the exporter-toolkit web configuration file.
#include "config/web_config.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "config/scalar_syntax.h"
#include "config/yaml_document.h"
#include "config/yaml_reader.h"

namespace agx {
namespace {

using config_detail::Diagnostics;
using config_detail::Field;
using config_detail::Quoted;
using config_detail::Value;

// A web config is a few lines; refuse anything absurd rather than read it into memory.
constexpr std::size_t kMaxFileBytes = 1 << 20;

Result<std::string> ReadSmallFile(const std::string& path) {
  auto fail = [&](const std::string& reason) { return Error{path + ": cannot read: " + reason}; };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  std::string text;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return fail(std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return fail("file larger than 1MiB");
    }
  }
  ::close(fd);
  return text;
}

// Names exporter-toolkit lets a web config add to responses, with their allowed values
// (empty: any value).
const std::map<std::string, std::set<std::string>, std::less<>>& AllowedHeaders() {
  static const auto* headers = new std::map<std::string, std::set<std::string>, std::less<>>{
      {"Content-Security-Policy", {}},
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
  };
  return *headers;
}

// A plain true/false.
bool ReadBool(const Value& v, Diagnostics* d, bool* out) {
  if (v.node.IsScalar() && v.node.Tag() == "?") {
    const std::string& s = v.node.Scalar();
    if (s == "true" || s == "false") {
      *out = s == "true";
      return true;
    }
  }
  d->Add(v.mark(), v.Message("expected true or false"));
  return false;
}

void DecodeHeaders(const Value& v, WebConfigFile* out, Diagnostics* d) {
  config_detail::ForEachEntry(v, d, [&](const std::string& name, const YAML::Mark& key_mark,
                                        const Value& x) {
    const auto allowed = AllowedHeaders().find(name);
    if (allowed == AllowedHeaders().end()) {
      std::string known;
      for (const auto& [n, values] : AllowedHeaders()) known += (known.empty() ? "" : ", ") + n;
      d->Add(key_mark, "HTTP header " + Quoted(name) + " can not be configured (allowed: " +
                           known + ")");
      return;
    }
    std::string value;
    if (!config_detail::ReadString(x, d, &value)) return;
    if (value.find_first_of("\r\n") != std::string::npos) {
      d->Add(x.mark(), x.Message("must not contain a line break"));
      return;
    }
    if (value.empty()) return;  // blank: unset, as in exporter-toolkit
    if (!allowed->second.empty() && allowed->second.count(value) == 0) {
      std::string want;
      for (const std::string& a : allowed->second) want += (want.empty() ? "" : " or ") + Quoted(a);
      d->Add(x.mark(), x.Message("must be " + want + ", got " + Quoted(value)));
      return;
    }
    out->headers.emplace_back(name, std::move(value));
  });
}

void DecodeHttpServerConfig(const Value& v, WebConfigFile* out, Diagnostics* d) {
  const Field fields[] = {
      {"http2", [&](const Value& x) { ReadBool(x, d, &out->http2); }},
      {"headers", [&](const Value& x) { DecodeHeaders(x, out, d); }},
  };
  config_detail::DecodeMapping(v, fields, d);
}

void DecodeUsers(const Value& v, WebConfigFile* out, Diagnostics* d) {
  config_detail::ForEachEntry(v, d, [&](const std::string& user, const YAML::Mark& key_mark,
                                        const Value& x) {
    if (user.empty() || user.find(':') != std::string::npos) {
      d->Add(key_mark, x.Message("a user name must be non-empty and must not contain ':' "
                                 "(HTTP Basic authentication cannot carry it)"));
      return;
    }
    std::string hash;
    if (!config_detail::ReadString(x, d, &hash)) return;
    if (std::string problem = CheckBcryptHash(hash); !problem.empty()) {
      d->Add(x.mark(), x.Message(problem));
      return;
    }
    out->basic_auth_users.emplace(user, std::move(hash));
  });
}

// exporter-toolkit serves plain HTTP when tls_server_config is absent or empty. Its Go-only
// settings are refused by name rather than ignored: a config that asks for something must
// get it or an error.
void DecodeTls(const Value& v, const YAML::Mark& key_mark, const std::string& base_dir,
               TlsServerConfig* out, Diagnostics* d) {
  if (v.node.IsNull() || (v.node.IsMap() && v.node.size() == 0)) return;
  auto path = [&](const Value& x, std::string* target) {
    if (!config_detail::ReadString(x, d, target)) return;
    if (target->empty()) {
      d->Add(x.mark(), x.Message("must not be empty"));
    } else if ((*target)[0] != '/' && !base_dir.empty()) {
      *target = base_dir + "/" + *target;
    }
  };
  auto one_of = [&](const Value& x, std::initializer_list<const char*> allowed, std::string* target) {
    std::string s;
    if (!config_detail::ReadString(x, d, &s)) return;
    std::string list;
    for (const char* a : allowed) {
      if (s == a) {
        *target = s;
        return;
      }
      list += list.empty() ? a : std::string(", ") + a;
    }
    d->Add(x.mark(), x.Message("must be one of " + list + ", got " + Quoted(s)));
  };
  auto refuse = [&](const char* why) {
    return [d, why](const Value& x) { d->Add(x.mark(), x.Message(why)); };
  };
  bool prefer_server = true;
  const Field fields[] = {
      {"cert_file", [&](const Value& x) { path(x, &out->cert_file); }},
      {"key_file", [&](const Value& x) { path(x, &out->key_file); }},
      {"client_ca_file", [&](const Value& x) { path(x, &out->client_ca_file); }},
      {"client_auth_type",
       [&](const Value& x) {
         one_of(x,
                {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                 "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"},
                &out->client_auth_type);
       }},
      {"min_version", [&](const Value& x) { one_of(x, {"TLS10", "TLS11", "TLS12", "TLS13"}, &out->min_version); }},
      {"max_version", [&](const Value& x) { one_of(x, {"TLS10", "TLS11", "TLS12", "TLS13"}, &out->max_version); }},
      {"prefer_server_cipher_suites", [&](const Value& x) { ReadBool(x, d, &prefer_server); }},
      {"cert", refuse("inline certificates are not supported: put it in a file and use cert_file")},
      {"key", refuse("inline keys are not supported: put it in a file and use key_file")},
      {"client_ca", refuse("inline CAs are not supported: put them in a file and use client_ca_file")},
      {"client_allowed_sans", refuse("not supported: client certificates are checked against "
                                     "client_ca_file only")},
      {"cipher_suites", refuse("not supported: OpenSSL's default suites are used (TLS 1.2 AEAD "
                               "suites with forward secrecy, all TLS 1.3 suites)")},
      {"curve_preferences", refuse("not supported: OpenSSL's default groups are used")},
  };
  config_detail::DecodeMapping(v, fields, d);
  if (out->cert_file.empty() != out->key_file.empty() || out->cert_file.empty()) {
    d->Add(key_mark, "tls_server_config: cert_file and key_file must both be set to serve TLS");
    out->cert_file.clear();
  }
  const bool verifies = out->client_auth_type == "VerifyClientCertIfGiven" ||
                        out->client_auth_type == "RequireAndVerifyClientCert";
  if (verifies && out->client_ca_file.empty()) {
    d->Add(key_mark, "tls_server_config: client_auth_type " + out->client_auth_type +
                         " needs client_ca_file");
  }
  if (!verifies && !out->client_ca_file.empty()) {
    d->Add(key_mark, "tls_server_config: client_ca_file is set but client_auth_type " +
                         out->client_auth_type + " does not verify client certificates");
  }
  if (!out->max_version.empty() && out->max_version < out->min_version) {
    d->Add(key_mark, "tls_server_config: max_version " + out->max_version +
                         " is older than min_version " + out->min_version);
  }
}

bool IsBcryptChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

// Names the scheme of a crypt(3)-style or htpasswd hash for the refusal message.
std::string DescribeScheme(const std::string& hash) {
  if (hash.rfind("{SHA}", 0) == 0) return "htpasswd {SHA}";
  if (hash.empty() || hash[0] != '$') return "plain text (is this a password, not its hash?)";
  const std::size_t end = hash.find('$', 1);
  if (end == std::string::npos || end > 16) return "plain text (is this a password, not its hash?)";
  const std::string prefix = hash.substr(0, end + 1);
  static const std::map<std::string, std::string> kNames = {
      {"$1$", "MD5-crypt"},      {"$apr1$", "Apache MD5"}, {"$5$", "SHA-256-crypt"},
      {"$6$", "SHA-512-crypt"},  {"$y$", "yescrypt"},      {"$gy$", "gost-yescrypt"},
      {"$7$", "scrypt"},         {"$2x$", "legacy bcrypt with the 8-bit bug"},
      {"$argon2id$", "Argon2id"}, {"$argon2i$", "Argon2i"},
  };
  const auto it = kNames.find(prefix);
  return it != kNames.end() ? it->second + " (" + prefix + ")" : "scheme " + Quoted(prefix);
}

}  // namespace

std::string CheckBcryptHash(const std::string& hash) {
  if (hash.empty()) return "must not be empty: give a bcrypt hash";
  const bool bcrypt_prefix = hash.size() >= 4 && hash[0] == '$' && hash[1] == '2' &&
                             (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
  if (!bcrypt_prefix) {
    return "only bcrypt hashes ($2b$, $2a$ or $2y$) are accepted, not " + DescribeScheme(hash) +
           "; create one with `htpasswd -nbB USER PASSWORD`, see docs/security.md";
  }
  constexpr std::size_t kLength = 60;  // "$2b$" + "NN" + "$" + 22 salt + 31 hash characters
  const bool cost_digits = hash.size() >= 7 && std::isdigit(static_cast<unsigned char>(hash[4])) &&
                           std::isdigit(static_cast<unsigned char>(hash[5])) && hash[6] == '$';
  if (!cost_digits) return "malformed bcrypt hash: expected a two-digit cost after \"" +
                           hash.substr(0, 4) + "\", such as \"" + hash.substr(0, 4) + "10$\"";
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) {
    return "malformed bcrypt hash: the cost must be between 04 and 31, got " + hash.substr(4, 2);
  }
  if (hash.size() != kLength) {
    return "malformed bcrypt hash: expected 60 characters, got " + std::to_string(hash.size());
  }
  for (std::size_t i = 7; i < hash.size(); ++i) {
    if (!IsBcryptChar(hash[i])) {
      return "malformed bcrypt hash: unexpected character at position " + std::to_string(i + 1);
    }
  }
  return "";
}

Result<WebConfigFile> LoadWebConfig(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return Error{text.error()};
  return ParseWebConfig(*text, path);
}

Result<WebConfigFile> ParseWebConfig(const std::string& yaml_text, const std::string& name) {
  Diagnostics d(name);
  WebConfigFile c;
  c.source_path = name;
  try {
    const std::optional<YAML::Node> doc =
        config_detail::LoadSingleDocument(yaml_text, "web config file", &d);
    if (doc) {
      const Value root{*doc, "", YAML::Mark()};
      config_detail::ForEachEntry(root, &d, [&](const std::string& key, const YAML::Mark& key_mark,
                                                const Value& x) {
        if (key == "tls_server_config") {
          DecodeTls(x, key_mark, std::filesystem::path(name).parent_path().string(), &c.tls, &d);
        } else if (key == "http_server_config") {
          DecodeHttpServerConfig(x, &c, &d);
        } else if (key == "basic_auth_users") {
          DecodeUsers(x, &c, &d);
        } else if (key == "rate_limit") {
          d.Add(key_mark,
                "rate_limit is not supported by agent_exporter; web.max_concurrent_ingest "
                "bounds push and OTLP requests (429 with Retry-After)");
        } else {
          d.Add(key_mark, "unknown key " + x.path +
                              " (known keys: tls_server_config, http_server_config, "
                              "basic_auth_users)");
        }
      });
    }
  } catch (const YAML::Exception& e) {
    d.Add(e.mark, "invalid YAML: " + e.msg);
  }
  if (!d.empty()) return Error{d.Joined()};
  return c;
}

}  // namespace agx
