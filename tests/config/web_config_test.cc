// ParseWebConfig / LoadWebConfig: the exporter-toolkit web config file (--web.config.file),
// valid files and each error with its exact position (1-based line:column).
#include "config/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/temp_dir.h"

namespace agx {
namespace {

// bcrypt at cost 4 (python3: crypt.crypt(password, crypt.mksalt(METHOD_BLOWFISH, rounds=16))).
constexpr char kAliceHash[] = "$2b$04$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm";
constexpr char kCarolHash[] = "$2y$04$AG1SaMAfFp8Kx0GeIpus4OIAo0iwDSOyQOHv0gBuXuB4WUt1YnVtu";
constexpr char kDaveHash[] = "$2a$04$i3WTPAmcLJ5pu6EcsVOur.YUChL.tPoWf7d4V0mlWOE0T3L5LwGYC";

TEST(WebConfigTest, ParsesTheExporterToolkitFormat) {
  const std::string yaml = std::string("tls_server_config: {}\n") +
                           "http_server_config:\n"
                           "  http2: false\n"
                           "  headers:\n"
                           "    X-Frame-Options: deny\n"
                           "    Content-Security-Policy: \"default-src 'self'\"\n"
                           "    X-XSS-Protection: \"\"\n"
                           "basic_auth_users:\n"
                           "  alice: " + kAliceHash + "\n"
                           "  carol: '" + kCarolHash + "'\n"
                           "  dave: \"" + kDaveHash + "\"\n";
  auto c = ParseWebConfig(yaml, "w.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->source_path, "w.yml");
  EXPECT_FALSE(c->http2);
  EXPECT_THAT(c->basic_auth_users,
              ::testing::ElementsAre(::testing::Pair("alice", kAliceHash),
                                     ::testing::Pair("carol", kCarolHash),
                                     ::testing::Pair("dave", kDaveHash)));
  // Blank values are left out (exporter-toolkit: "Unset if blank"); order is the file's.
  EXPECT_THAT(c->headers, ::testing::ElementsAre(
                              ::testing::Pair("X-Frame-Options", "deny"),
                              ::testing::Pair("Content-Security-Policy", "default-src 'self'")));
}

TEST(WebConfigTest, EmptyFileAndEmptySectionsMeanNoAuthAndNoTls) {
  for (const char* yaml : {"", "---\n", "basic_auth_users:\n", "tls_server_config:\n",
                           "http_server_config: {}\nbasic_auth_users: {}\n"}) {
    SCOPED_TRACE(yaml);
    auto c = ParseWebConfig(yaml, "w.yml");
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_TRUE(c->basic_auth_users.empty());
    EXPECT_TRUE(c->headers.empty());
    EXPECT_TRUE(c->http2);
  }
}

struct Case {
  const char* name;
  std::string yaml;
  std::string want;  // the whole error string
};

// Columns are easiest to check against the YAML with a ruler:
//            1111111111222222222233333333334444444444
//   1234567890123456789012345678901234567890123456789
const Case kCases[] = {
    {"unknown top-level key", "basic_auth_user:\n  a: b\n",
     "w.yml:1:1: unknown key basic_auth_user (known keys: tls_server_config, "
     "http_server_config, basic_auth_users)"},
    {"unknown key in http_server_config", "http_server_config:\n  http3: true\n",
     "w.yml:2:3: unknown key http_server_config.http3 (known keys in http_server_config: "
     "http2, headers)"},
    {"http2 not a boolean", "http_server_config:\n  http2: yes\n",
     "w.yml:2:10: http_server_config.http2: expected true or false"},
    {"header that cannot be configured", "http_server_config:\n  headers:\n    Server: x\n",
     "w.yml:3:5: HTTP header \"Server\" can not be configured (allowed: "
     "Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, "
     "X-Frame-Options, X-XSS-Protection)"},
    {"header value not allowed", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
     "w.yml:3:22: http_server_config.headers.X-Frame-Options: must be \"deny\" or "
     "\"sameorigin\", got \"allow\""},
    {"header value with a line break",
     "http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: a\"\n",
     "w.yml:3:23: http_server_config.headers.X-XSS-Protection: must not contain a line break"},
    {"SHA-512-crypt hash", "basic_auth_users:\n  alice: $6$salt$abc\n",
     "w.yml:2:10: basic_auth_users.alice: only bcrypt hashes ($2b$, $2a$ or $2y$) are "
     "accepted, not SHA-512-crypt ($6$); create one with `htpasswd -nbB USER PASSWORD`, "
     "see docs/security.md"},
    {"Apache MD5 hash", "basic_auth_users:\n  bob: $apr1$x$y\n",
     "w.yml:2:8: basic_auth_users.bob: only bcrypt hashes ($2b$, $2a$ or $2y$) are accepted, "
     "not Apache MD5 ($apr1$); create one with `htpasswd -nbB USER PASSWORD`, see "
     "docs/security.md"},
    {"plain-text password", "basic_auth_users:\n  bob: hunter2\n",
     "w.yml:2:8: basic_auth_users.bob: only bcrypt hashes ($2b$, $2a$ or $2y$) are accepted, "
     "not plain text (is this a password, not its hash?); create one with `htpasswd -nbB USER "
     "PASSWORD`, see docs/security.md"},
    {"legacy $2x$ bcrypt",
     "basic_auth_users:\n  bob: $2x$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e\n",
     "w.yml:2:8: basic_auth_users.bob: only bcrypt hashes ($2b$, $2a$ or $2y$) are accepted, "
     "not legacy bcrypt with the 8-bit bug ($2x$); create one with `htpasswd -nbB USER "
     "PASSWORD`, see docs/security.md"},
    {"truncated bcrypt", "basic_auth_users:\n  bob: $2b$04$tRSiWMmiE4l14g1c\n",
     "w.yml:2:8: basic_auth_users.bob: malformed bcrypt hash: expected 60 characters, got 23"},
    {"bcrypt cost too low",
     "basic_auth_users:\n  bob: $2b$03$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm\n",
     "w.yml:2:8: basic_auth_users.bob: malformed bcrypt hash: the cost must be between 04 and "
     "31, got 03"},
    {"bcrypt without a cost", "basic_auth_users:\n  bob: $2b$x\n",
     "w.yml:2:8: basic_auth_users.bob: malformed bcrypt hash: expected a two-digit cost after "
     "\"$2b$\", such as \"$2b$10$\""},
    {"bcrypt with a bad character",
     "basic_auth_users:\n  bob: $2b$04$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMir!m\n",
     "w.yml:2:8: basic_auth_users.bob: malformed bcrypt hash: unexpected character at "
     "position 59"},
    {"empty hash", "basic_auth_users:\n  bob:\n",
     "w.yml:2:3: basic_auth_users.bob: must not be empty: give a bcrypt hash"},
    {"hash not a string", "basic_auth_users:\n  bob: [a]\n",
     "w.yml:2:8: basic_auth_users.bob: expected a string, got a list"},
    {"user name with a colon", std::string("basic_auth_users:\n  \"a:b\": ") + kAliceHash + "\n",
     "w.yml:2:3: basic_auth_users.a:b: a user name must be non-empty and must not contain ':' "
     "(HTTP Basic authentication cannot carry it)"},
    {"duplicate user",
     std::string("basic_auth_users:\n  bob: ") + kAliceHash + "\n  bob: " + kAliceHash + "\n",
     "w.yml:3:3: duplicate key basic_auth_users.bob (first at line 2)"},
    {"users not a mapping", "basic_auth_users:\n  - bob\n",
     "w.yml:2:3: basic_auth_users: expected a mapping, got a list"},
    {"TLS cert without key", "tls_server_config:\n  cert_file: server.crt\n",
     "w.yml:1:1: tls_server_config: cert_file and key_file must both be set to serve TLS"},
    {"TLS verify without CA",
     "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
     "  client_auth_type: RequireAndVerifyClientCert\n",
     "w.yml:1:1: tls_server_config: client_auth_type RequireAndVerifyClientCert needs "
     "client_ca_file"},
    {"TLS CA without verification",
     "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  client_ca_file: ca.crt\n",
     "w.yml:1:1: tls_server_config: client_ca_file is set but client_auth_type NoClientCert "
     "does not verify client certificates"},
    {"TLS unknown auth type",
     "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  client_auth_type: Always\n",
     "w.yml:4:21: tls_server_config.client_auth_type: must be one of NoClientCert, "
     "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
     "RequireAndVerifyClientCert, got \"Always\""},
    {"TLS bad version", "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  min_version: TLS14\n",
     "w.yml:4:16: tls_server_config.min_version: must be one of TLS10, TLS11, TLS12, TLS13, got "
     "\"TLS14\""},
    {"TLS versions crossed",
     "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  min_version: TLS13\n"
     "  max_version: TLS12\n",
     "w.yml:1:1: tls_server_config: max_version TLS12 is older than min_version TLS13"},
    {"TLS cipher suites", "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
     "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "w.yml:4:18: tls_server_config.cipher_suites: not supported: OpenSSL's default suites are "
     "used (TLS 1.2 AEAD suites with forward secrecy, all TLS 1.3 suites)"},
    {"TLS inline key", "tls_server_config:\n  cert_file: s.crt\n  key: secret\n",
     "w.yml:3:8: tls_server_config.key: inline keys are not supported: put it in a file and use "
     "key_file\nw.yml:1:1: tls_server_config: cert_file and key_file must both be set to serve "
     "TLS"},
    {"TLS unknown key", "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  certfile: x\n",
     "w.yml:4:3: unknown key tls_server_config.certfile (known keys in tls_server_config: "
     "cert_file, key_file, client_ca_file, client_auth_type, min_version, max_version, "
     "prefer_server_cipher_suites, cert, key, client_ca, client_allowed_sans, cipher_suites, "
     "curve_preferences)"},
    {"rate_limit", "rate_limit:\n  interval: 1s\n  burst: 10\n",
     "w.yml:1:1: rate_limit is not supported by agent_exporter; web.max_concurrent_ingest "
     "bounds push and OTLP requests (429 with Retry-After)"},
    {"two documents", "basic_auth_users: {}\n---\nbasic_auth_users: {}\n",
     "w.yml:3:1: a web config file holds one YAML document, found 2"},
    {"not a mapping", "hello\n", "w.yml:1:1: expected a mapping, got \"hello\""},
    {"YAML syntax error", "basic_auth_users: [\n",
     "w.yml:2:1: invalid YAML: end of sequence flow not found"},
};

TEST(WebConfigTest, ErrorsCarryTheirPosition) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = ParseWebConfig(c.yaml, "w.yml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(WebConfigTest, ReportsEveryErrorAndNeverPrintsAHash) {
  const std::string secret = "$6$salt$SECRETHASHTEXT";
  auto r = ParseWebConfig("basic_auth_users:\n  a: " + secret +
                              "\n  b: $2b$04$short\nhttp_server_config:\n  http2: 1\n",
                          "w.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), ::testing::HasSubstr("w.yml:2:6: basic_auth_users.a:"));
  EXPECT_THAT(r.error(), ::testing::HasSubstr("w.yml:3:6: basic_auth_users.b:"));
  EXPECT_THAT(r.error(), ::testing::HasSubstr("w.yml:5:10: http_server_config.http2:"));
  EXPECT_EQ(r.error().find("SECRETHASHTEXT"), std::string::npos);
  EXPECT_EQ(r.error().find("$2b$04$short"), std::string::npos);
}

TEST(WebConfigTest, TlsPathsAreRelativeToTheWebConfigFile) {
  auto c = ParseWebConfig(
      "tls_server_config:\n  cert_file: certs/s.crt\n  key_file: /etc/agx/s.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
      "  min_version: TLS13\n  prefer_server_cipher_suites: false\n",
      "/srv/agx/web.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->tls.enabled());
  EXPECT_EQ(c->tls.cert_file, "/srv/agx/certs/s.crt");
  EXPECT_EQ(c->tls.key_file, "/etc/agx/s.key");
  EXPECT_EQ(c->tls.client_ca_file, "/srv/agx/ca.crt");
  EXPECT_EQ(c->tls.client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(c->tls.min_version, "TLS13");
  EXPECT_EQ(c->tls.max_version, "");
  // An empty section is plain HTTP, as in exporter-toolkit.
  auto plain = ParseWebConfig("tls_server_config: {}\n", "w.yml");
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_FALSE(plain->tls.enabled());
}

TEST(WebConfigTest, CheckBcryptHash) {
  EXPECT_EQ(CheckBcryptHash(kAliceHash), "");
  EXPECT_EQ(CheckBcryptHash(kCarolHash), "");
  EXPECT_EQ(CheckBcryptHash(kDaveHash), "");
  EXPECT_EQ(CheckBcryptHash("$2b$31$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm"), "");
  EXPECT_NE(CheckBcryptHash("$2b$32$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm"), "");
  EXPECT_NE(CheckBcryptHash(std::string(kAliceHash) + "x"), "");
  EXPECT_NE(CheckBcryptHash("$2$04$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm"), "");
  EXPECT_NE(CheckBcryptHash("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="), "");
  EXPECT_NE(CheckBcryptHash(""), "");
}

TEST(WebConfigTest, LoadsAFileAndReportsAMissingOne) {
  testing::TempDir dir;
  const std::string path =
      dir.Write("web.yml", std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  auto c = LoadWebConfig(path);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->source_path, path);
  EXPECT_EQ(c->basic_auth_users.at("alice"), kAliceHash);

  auto bad = LoadWebConfig(dir.Write("bad.yml", "tls_server_config:\n  cert_file: a\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), (dir.path() / "bad.yml").string() +
                             ":1:1: tls_server_config: cert_file and key_file must both be set "
                             "to serve TLS");

  auto missing = LoadWebConfig((dir.path() / "absent.yml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            (dir.path() / "absent.yml").string() + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace agx
