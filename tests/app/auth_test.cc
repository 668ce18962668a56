// Access control: Authenticator (Basic with bcrypt via libcrypt, bearer tokens, the cache,
// constant-time compares) and a real exporter on 127.0.0.1 with --web.config.file.
// Timing is deliberately not asserted.
#include "app/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include "app/exporter_fixture.h"
#include "config/web_config.h"

namespace agx {

void PrintTo(AuthOutcome o, std::ostream* os) { *os << AuthOutcomeName(o); }

namespace {

using testutil::HttpHeaders;
using testutil::HttpResult;
using testutil::Request;

// bcrypt at cost 4, made with python3: crypt.crypt(password, crypt.mksalt(METHOD_BLOWFISH,
// rounds=16)), the prefix switched to $2y$ / $2a$ for carol and dave.
constexpr char kAliceHash[] = "$2b$04$tRSiWMmiE4l14g1csK5f7eB4bPhziMDReQ1g07PqIBZ6BCKGMirVm";
constexpr char kAlicePassword[] = "wonderland";
constexpr char kBobHash[] = "$2b$04$g7LO5yqrFACp6FbCIRTs9eVR9BHEW8gB6ur/v8rCuZPRmXmIqCGm6";
constexpr char kBobPassword[] = "builder:can we fix it";  // a ':' in a password is fine
constexpr char kCarolHash[] = "$2y$04$AG1SaMAfFp8Kx0GeIpus4OIAo0iwDSOyQOHv0gBuXuB4WUt1YnVtu";
constexpr char kCarolPassword[] = "tea party";
constexpr char kDaveHash[] = "$2a$04$i3WTPAmcLJ5pu6EcsVOur.YUChL.tPoWf7d4V0mlWOE0T3L5LwGYC";
constexpr char kDavePassword[] = "rabbit hole";

std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63]} + "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63],
                       kAlphabet[(v >> 6) & 63]} + "=";
  }
  return out;
}

std::string Basic(std::string_view user, std::string_view password) {
  return "Basic " + Base64(std::string(user) + ":" + std::string(password));
}

std::unique_ptr<Authenticator> MakeAuth(std::string token = "") {
  auto a = Authenticator::Create({{"alice", kAliceHash},
                                  {"bob", kBobHash},
                                  {"carol", kCarolHash},
                                  {"dave", kDaveHash}},
                                 std::move(token));
  EXPECT_TRUE(a.ok()) << a.error();
  return a.ok() ? std::move(a.value()) : nullptr;
}

TEST(ConstantTimeEqualsTest, ComparesWholeStrings) {
  struct {
    const char* a;
    const char* b;
    bool want;
  } cases[] = {
      {"", "", true},          {"s3cret", "s3cret", true}, {"s3cret", "s3creT", false},
      {"s3cret", "s3cre", false}, {"s3cre", "s3cret", false}, {"", "x", false},
      {"x", "", false},        {"Xs3cret", "s3cret", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " vs " + c.b);
    EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.want);
  }
  // Embedded NULs count like any other byte.
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
}

TEST(DecodeBase64Test, StandardAlphabetWithOrWithoutPadding) {
  struct {
    const char* in;
    bool ok;
    const char* want;
  } cases[] = {
      {"", true, ""},
      {"YQ==", true, "a"},
      {"YQ", true, "a"},
      {"YWI=", true, "ab"},
      {"YWJj", true, "abc"},
      {"YWxpY2U6d29uZGVybGFuZA==", true, "alice:wonderland"},
      {"+/+/", true, "\xfb\xff\xbf"},
      {"Y", false, ""},          // impossible length
      {"YQ=", false, ""},        // padded but not a multiple of 4
      {"Y=Q=", false, ""},       // '=' inside
      {"YQ===", false, ""},
      {"YW I=", false, ""},      // space
      {"YW-_", false, ""},       // URL alphabet
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    std::string out;
    EXPECT_EQ(DecodeBase64(c.in, &out), c.ok);
    if (c.ok) {
      EXPECT_EQ(out, c.want);
    }
  }
}

TEST(AuthenticatorTest, RefusesHashesLibcryptOrTheFormatDoesNotAccept) {
  for (const char* hash : {"$6$salt$abcdef", "plain",
                           "$2x$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e"}) {
    SCOPED_TRACE(hash);
    auto a = Authenticator::Create({{"alice", hash}}, "");
    ASSERT_FALSE(a.ok());
    EXPECT_THAT(a.error(), ::testing::HasSubstr("basic_auth_users.alice: "));
  }
  EXPECT_FALSE(Authenticator::Create({{"a:b", kAliceHash}}, "").ok());
}

TEST(AuthenticatorTest, VerifiesBcryptSchemesAndRejectsEverythingElse) {
  auto auth = MakeAuth();
  ASSERT_NE(auth, nullptr);
  struct {
    const char* name;
    std::string header;
    bool want;
  } cases[] = {
      {"alice $2b$", Basic("alice", kAlicePassword), true},
      {"bob, ':' in the password", Basic("bob", kBobPassword), true},
      {"carol $2y$", Basic("carol", kCarolPassword), true},
      {"dave $2a$", Basic("dave", kDavePassword), true},
      {"scheme is case-insensitive", "bAsIc " + Base64("alice:wonderland"), true},
      {"several spaces", "Basic   " + Base64("alice:wonderland"), true},
      {"wrong password", Basic("alice", "wonderland!"), false},
      {"another user's password", Basic("alice", kCarolPassword), false},
      {"unknown user", Basic("mallory", kAlicePassword), false},
      {"empty user", Basic("", kAlicePassword), false},
      {"empty password", Basic("alice", ""), false},
      {"NUL after the password", "Basic " + Base64(std::string("alice:wonderland\0x", 18)), false},
      {"no colon", "Basic " + Base64("alicewonderland"), false},
      {"bad base64", "Basic !!!!", false},
      {"no credentials", "Basic ", false},
      {"no scheme", Base64("alice:wonderland"), false},
      {"bearer scheme", "Bearer " + Base64("alice:wonderland"), false},
      {"empty header", "", false},
      {"huge header", "Basic " + std::string(100000, 'A'), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(auth->VerifyBasic(c.header), c.want);
    EXPECT_EQ(auth->CheckScrape(c.header) == AuthOutcome::kAllowed, c.want);
    EXPECT_EQ(auth->CheckIngest(c.header) == AuthOutcome::kAllowed, c.want);
    if (!c.want) {
      EXPECT_NE(auth->CheckBasic(c.header), AuthOutcome::kBusy);  // one check at a time here
    }
  }
}

TEST(AuthenticatorTest, CacheNeverAcceptsAWrongPasswordAfterARightOne) {
  auto auth = MakeAuth();
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->cached(), 0u);
  EXPECT_TRUE(auth->VerifyBasic(Basic("alice", kAlicePassword)));
  EXPECT_EQ(auth->cached(), 1u);
  EXPECT_TRUE(auth->VerifyBasic(Basic("alice", kAlicePassword)));  // from the cache
  EXPECT_EQ(auth->cached(), 1u);
  for (const std::string wrong : {"wonderlan", "wonderlandd", "Wonderland", ""}) {
    SCOPED_TRACE(wrong);
    EXPECT_FALSE(auth->VerifyBasic(Basic("alice", wrong)));
  }
  // Right password, other user: still a bcrypt against that user's hash.
  EXPECT_FALSE(auth->VerifyBasic(Basic("bob", kAlicePassword)));
  EXPECT_FALSE(auth->VerifyBasic(Basic("mallory", kAlicePassword)));
  EXPECT_EQ(auth->cached(), 1u);  // failures are kept apart
  EXPECT_EQ(auth->cached_failures(), 6u);
}

TEST(AuthenticatorTest, CacheIsBounded) {
  // 80 users sharing one hash: each successful login is one cache entry, at most 64 kept.
  std::map<std::string, std::string> users;
  for (int i = 0; i < 80; ++i) users.emplace("user" + std::to_string(i), kAliceHash);
  auto a = Authenticator::Create(users, "");
  ASSERT_TRUE(a.ok()) << a.error();
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE((*a)->VerifyBasic(Basic("user" + std::to_string(i), kAlicePassword)));
  }
  EXPECT_EQ((*a)->cached(), Authenticator::kCacheEntries);
  // Evicted and kept entries both still verify (evicted ones by bcrypt again).
  EXPECT_TRUE((*a)->VerifyBasic(Basic("user0", kAlicePassword)));
  EXPECT_TRUE((*a)->VerifyBasic(Basic("user79", kAlicePassword)));
  EXPECT_FALSE((*a)->VerifyBasic(Basic("user79", "nope")));
  EXPECT_EQ((*a)->cached(), Authenticator::kCacheEntries);
}

TEST(AuthenticatorTest, RefusedCredentialsAreCachedBoundedAndNeverShadowTheRightOne) {
  auto auth = MakeAuth();
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->CheckBasic(Basic("alice", "wrong")), AuthOutcome::kInvalid);
  EXPECT_EQ(auth->cached_failures(), 1u);
  EXPECT_EQ(auth->CheckBasic(Basic("alice", "wrong")), AuthOutcome::kInvalid);  // from the cache
  EXPECT_EQ(auth->cached_failures(), 1u);
  EXPECT_EQ(auth->CheckBasic(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth->CheckBasic(Basic("mallory", kAlicePassword)), AuthOutcome::kInvalid);
  EXPECT_EQ(auth->cached_failures(), 2u);
  // A flood of distinct wrong passwords: the cache stays bounded, the right one still works.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(auth->CheckBasic(Basic("alice", "wrong" + std::to_string(i))),
              AuthOutcome::kInvalid);
  }
  EXPECT_EQ(auth->cached_failures(), Authenticator::kFailureCacheEntries);
  EXPECT_EQ(auth->CheckBasic(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth->CheckBasic(Basic("carol", kCarolPassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth->CheckBasic(Basic("alice", "wrong")), AuthOutcome::kInvalid);  // evicted, re-checked
}

// bcrypt at cost 12 (0.3-1.5 s on the CI machines): long enough to hold the slots while the
// test looks. Made like the hashes above, with rounds=1 << 12.
constexpr char kSlowHash[] = "$2b$12$aXYMAhLVoV27US1fPNUwS.M4oIInXjy1ciNXTPRqWDEvOBJ.Ckwiq";
constexpr char kSlowPassword[] = "slow wonderland";

TEST(AuthenticatorTest, BusyWithoutHashingWhenEverySlotIsTakenButCachedAnswersAreGiven) {
  auto created = Authenticator::Create({{"alice", kAliceHash}, {"slow", kSlowHash}}, "");
  ASSERT_TRUE(created.ok()) << created.error();
  const Authenticator& auth = **created;
  ASSERT_EQ(auth.CheckBasic(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  ASSERT_EQ(auth.CheckBasic(Basic("alice", "wrong")), AuthOutcome::kInvalid);

  // Wrong passwords of the slow user take every slot.
  std::vector<AuthOutcome> held(Authenticator::kBcryptSlots, AuthOutcome::kAllowed);
  std::atomic<int> finished{0};
  std::vector<std::thread> holders;
  for (int i = 0; i < Authenticator::kBcryptSlots; ++i) {
    holders.emplace_back([&, i] {
      held[i] = auth.CheckBasic(Basic("slow", "wrong" + std::to_string(i)));
      finished.fetch_add(1);
    });
  }
  while (auth.bcrypt_in_flight() < Authenticator::kBcryptSlots &&
         finished.load() < Authenticator::kBcryptSlots) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ASSERT_EQ(auth.bcrypt_in_flight(), Authenticator::kBcryptSlots);
  // A credential with no known answer is not checked, not even the right one...
  EXPECT_EQ(auth.CheckBasic(Basic("slow", kSlowPassword)), AuthOutcome::kBusy);
  EXPECT_EQ(auth.CheckScrape(Basic("mallory", "x")), AuthOutcome::kBusy);
  EXPECT_EQ(auth.CheckIngest(Basic("alice", "other")), AuthOutcome::kBusy);
  // ...while cached answers are given at once, without a slot.
  EXPECT_EQ(auth.CheckScrape(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth.CheckIngest(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth.CheckBasic(Basic("alice", "wrong")), AuthOutcome::kInvalid);
  EXPECT_EQ(auth.CheckScrape("Basic !!!!"), AuthOutcome::kInvalid);  // malformed: no bcrypt
  EXPECT_EQ(auth.CheckScrape(""), AuthOutcome::kMissing);
  for (auto& t : holders) t.join();
  for (AuthOutcome o : held) EXPECT_EQ(o, AuthOutcome::kInvalid);
  EXPECT_EQ(auth.bcrypt_in_flight(), 0);
  // Busy answers were not cached: with the slots free, the right password verifies.
  EXPECT_EQ(auth.CheckBasic(Basic("slow", kSlowPassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(auth.CheckScrape(Basic("mallory", "x")), AuthOutcome::kInvalid);
}

TEST(AuthenticatorTest, BearerTokenIsForIngestOnly) {
  auto both = MakeAuth("s3cret");
  ASSERT_NE(both, nullptr);
  EXPECT_TRUE(both->VerifyBearer("Bearer s3cret"));
  EXPECT_TRUE(both->VerifyBearer("bearer s3cret"));
  EXPECT_FALSE(both->VerifyBearer("Bearer s3cre"));
  EXPECT_FALSE(both->VerifyBearer("Bearer s3crett"));
  EXPECT_FALSE(both->VerifyBearer("Bearers3cret"));
  EXPECT_FALSE(both->VerifyBearer("s3cret"));
  EXPECT_EQ(both->CheckIngest("Bearer s3cret"), AuthOutcome::kAllowed);
  EXPECT_EQ(both->CheckIngest(Basic("alice", kAlicePassword)), AuthOutcome::kAllowed);
  EXPECT_EQ(both->CheckIngest(""), AuthOutcome::kMissing);
  EXPECT_EQ(both->CheckIngest("Bearer s3cre"), AuthOutcome::kInvalid);
  EXPECT_EQ(both->CheckScrape("Bearer s3cret"), AuthOutcome::kMissing);  // /metrics: Basic only
  EXPECT_THAT(both->Challenges(false),
              ::testing::ElementsAre(::testing::Pair("WWW-Authenticate",
                                                     "Basic realm=\"agent_exporter\"")));
  EXPECT_THAT(both->Challenges(true),
              ::testing::ElementsAre(
                  ::testing::Pair("WWW-Authenticate", "Basic realm=\"agent_exporter\""),
                  ::testing::Pair("WWW-Authenticate", "Bearer realm=\"agent_exporter\"")));

  auto token_only = Authenticator::Create({}, "s3cret");
  ASSERT_TRUE(token_only.ok());
  EXPECT_EQ((*token_only)->CheckScrape(""), AuthOutcome::kAllowed);  // no users: scrapes are open
  EXPECT_EQ((*token_only)->CheckIngest(""), AuthOutcome::kMissing);
  EXPECT_EQ((*token_only)->CheckIngest(Basic("alice", kAlicePassword)), AuthOutcome::kMissing);
  EXPECT_EQ((*token_only)->CheckIngest("Bearer s3cret"), AuthOutcome::kAllowed);

  auto open = Authenticator::Create({}, "");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)->CheckScrape(""), AuthOutcome::kAllowed);
  EXPECT_EQ((*open)->CheckIngest(""), AuthOutcome::kAllowed);
  EXPECT_FALSE((*open)->VerifyBearer("Bearer "));
}

// A real exporter with a web config and a bearer token.
class AuthExporterTest : public ExporterTest {
 protected:
  void UseWebConfig(const std::string& yaml) {
    config_.web.web_config_file = dir_ + "/web.yml";
    std::ofstream(config_.web.web_config_file) << yaml;
  }
  void UseToken(const std::string& token) {
    config_.web.bearer_token_file = dir_ + "/token";
    std::ofstream(config_.web.bearer_token_file) << token << "\n";
  }
  void StartWithUsersAndToken() {
    UseWebConfig(std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n  carol: " +
                 kCarolHash + "\n");
    UseToken("s3cret");
    Start();
  }
  HttpResult Get(const std::string& path, const std::string& authorization = "") {
    HttpHeaders h = kOpenMetrics;
    if (!authorization.empty()) h.emplace_back("Authorization", authorization);
    return Request(exporter_->port(), "GET", path, h);
  }
  HttpResult PushWith(const std::string& authorization) {
    HttpHeaders h = kNdjson;
    if (!authorization.empty()) h.emplace_back("Authorization", authorization);
    return Push(kEvent, h);
  }
  HttpResult OtlpWith(const std::string& authorization, int port = 0) {
    HttpHeaders h = {{"Content-Type", "application/json"}};
    if (!authorization.empty()) h.emplace_back("Authorization", authorization);
    return Request(port != 0 ? port : exporter_->port(), "POST", "/v1/traces", h, "{}");
  }
  std::string Scrape() {
    HttpResult r = Get("/metrics", Basic("alice", kAlicePassword));
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  static constexpr char kEvent[] = R"({"type":"run","agent_id":"a","status":"success"})";
};

TEST_F(AuthExporterTest, MetricsNeedBasicAuth) {
  StartWithUsersAndToken();
  HttpResult none = Get("/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("www-authenticate"), "Basic realm=\"agent_exporter\"");
  EXPECT_EQ(none.body.find("agent_exporter_"), std::string::npos);
  EXPECT_EQ(Get("/metrics", Basic("alice", "wrong")).status, 401);
  EXPECT_EQ(Get("/metrics", Basic("mallory", kAlicePassword)).status, 401);
  EXPECT_EQ(Get("/metrics", "Bearer s3cret").status, 401);  // the push token does not scrape
  HttpResult ok = Get("/metrics", Basic("alice", kAlicePassword));
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, ::testing::HasSubstr("agent_exporter_build_info"));
  EXPECT_EQ(Get("/metrics", Basic("carol", kCarolPassword)).status, 200);
  // A right password is cached; a wrong one after it still fails.
  EXPECT_EQ(Get("/metrics", Basic("alice", kAlicePassword)).status, 200);
  EXPECT_EQ(Get("/metrics", Basic("alice", "wonderland ")).status, 401);
  // HEAD is guarded like GET.
  EXPECT_EQ(Request(exporter_->port(), "HEAD", "/metrics").status, 401);
  // Refusals are counted by reason: no credentials (none, the push token, HEAD) and wrong
  // ones (the wrong password, the unknown user, the password with a trailing space).
  const std::string m = Scrape();
  EXPECT_EQ(Sample(m, R"(agent_exporter_auth_rejected_total{reason="missing"})"), 3);
  EXPECT_EQ(Sample(m, R"(agent_exporter_auth_rejected_total{reason="invalid"})"), 3);
}

TEST_F(AuthExporterTest, LandingPageIsGuardedAndProbesAreOpen) {
  StartWithUsersAndToken();
  EXPECT_EQ(Get("/").status, 401);
  EXPECT_EQ(Get("/", Basic("alice", kAlicePassword)).status, 200);
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/-/ready").status, 200);
}

TEST_F(AuthExporterTest, PushAcceptsBasicOrBearerAndCounts401) {
  StartWithUsersAndToken();
  HttpResult none = PushWith("");
  EXPECT_EQ(none.status, 401);
  // Both challenges (two headers; the client joins repeated headers with ", ").
  EXPECT_EQ(none.Header("www-authenticate"),
            "Basic realm=\"agent_exporter\", Bearer realm=\"agent_exporter\"");
  EXPECT_THAT(none.body, ::testing::HasSubstr("missing or invalid credentials"));
  EXPECT_EQ(PushWith("Bearer wrong").status, 401);
  EXPECT_EQ(PushWith(Basic("alice", "wrong")).status, 401);
  EXPECT_EQ(PushWith("Bearer s3cret").status, 200);
  EXPECT_EQ(PushWith(Basic("alice", kAlicePassword)).status, 200);
  const std::string m = Scrape();
  EXPECT_EQ(Sample(m, R"(agent_exporter_push_requests_total{code="401"})"), 3);
  EXPECT_EQ(Sample(m, R"(agent_exporter_push_requests_total{code="200"})"), 2);
  EXPECT_EQ(Sample(m, R"(agent_requests_total{agent_id="a",status="success"})"), 2);
}

TEST_F(AuthExporterTest, OtlpAcceptsBasicOrBearerOnBothListeners) {
  config_.otlp.listen_address = "127.0.0.1:0";
  StartWithUsersAndToken();
  for (int port : {exporter_->port(), exporter_->otlp_port()}) {
    SCOPED_TRACE(port);
    HttpResult none = OtlpWith("", port);
    EXPECT_EQ(none.status, 401);
    EXPECT_THAT(none.Header("www-authenticate"), ::testing::HasSubstr("Basic realm="));
    EXPECT_THAT(none.Header("www-authenticate"), ::testing::HasSubstr("Bearer realm="));
    EXPECT_EQ(OtlpWith("Bearer nope", port).status, 401);
    EXPECT_EQ(OtlpWith("Bearer s3cret", port).status, 200);
    EXPECT_EQ(OtlpWith(Basic("carol", kCarolPassword), port).status, 200);
  }
  const std::string m = Scrape();
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="401"})"), 4);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="200"})"), 4);
}

TEST_F(AuthExporterTest, UsersWithoutTokenMeanBasicEverywhere) {
  UseWebConfig(std::string("basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  Start();
  HttpResult none = PushWith("");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("www-authenticate"), "Basic realm=\"agent_exporter\"");
  EXPECT_EQ(PushWith("Bearer anything").status, 401);
  EXPECT_EQ(PushWith(Basic("alice", kAlicePassword)).status, 200);
  EXPECT_EQ(OtlpWith("").status, 401);
  EXPECT_EQ(OtlpWith(Basic("alice", kAlicePassword)).status, 200);
}

TEST_F(AuthExporterTest, EmptyWebConfigLeavesEverythingOpen) {
  UseWebConfig("# no users\n");
  Start();
  EXPECT_EQ(Get("/metrics").status, 200);
  EXPECT_EQ(PushWith("").status, 200);
  EXPECT_EQ(OtlpWith("").status, 200);
}

TEST_F(AuthExporterTest, ConfiguredHeadersAreOnEveryResponse) {
  UseWebConfig(std::string("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                           "    X-Content-Type-Options: nosniff\n"
                           "basic_auth_users:\n  alice: ") + kAliceHash + "\n");
  config_.web.max_body_bytes = 100;
  Start();
  for (const HttpResult& r : {Get("/metrics"), Get("/metrics", Basic("alice", kAlicePassword)),
                              Get("/healthz"), PushWith(""),
                              Push(std::string(200, 'x'), kNdjson) /* 413 from the server */}) {
    SCOPED_TRACE(r.status);
    EXPECT_EQ(r.Header("x-frame-options"), "deny");
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
  }
}

TEST_F(AuthExporterTest, StartRefusesTlsAndBadWebConfigs) {
  struct {
    const char* name;
    std::string yaml;
    std::string want;
  } cases[] = {
      {"TLS files missing", "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
       "a.crt"},
      {"SHA-512 hash", "basic_auth_users:\n  alice: $6$salt$abc\n",
       "web.yml:2:10: basic_auth_users.alice: only bcrypt hashes"},
      {"unknown key", "basic_auth:\n  alice: x\n", "web.yml:1:1: unknown key basic_auth"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    UseWebConfig(c.yaml);
    Exporter e(config_);
    auto s = e.Start();
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error(), ::testing::HasSubstr(c.want));
  }
  config_.web.web_config_file = dir_ + "/absent.yml";
  Exporter e(config_);
  auto s = e.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error(), ::testing::HasSubstr("absent.yml: cannot read"));
}

}  // namespace
}  // namespace agx
