// ParseDuration, ParseSize and the listen address / path checks.
#include "config/scalar_syntax.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace agx {
namespace {

using std::chrono::milliseconds;

TEST(ScalarSyntaxTest, ParseDuration) {
  constexpr std::int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  struct Case {
    const char* in;
    bool ok;
    std::int64_t ms;
  };
  const Case cases[] = {
      {"250ms", true, 250},
      {"30s", true, 30 * kS},
      {"5m", true, 5 * kM},
      {"1h", true, kH},
      {"1d", true, kD},
      {"1w", true, 7 * kD},
      {"1y", true, 365 * kD},
      {"1h30m", true, kH + 30 * kM},
      {"1d2h3m4s5ms", true, kD + 2 * kH + 3 * kM + 4 * kS + 5},
      {"1s500ms", true, 1500},
      {"0", true, 0},
      {"0s", true, 0},
      {"90m", true, 90 * kM},  // no carrying rules: any number per unit
      {"", false, 0},
      {"-5s", false, 0},
      {"+5s", false, 0},
      {"5", false, 0},  // unit required
      {"5 s", false, 0},
      {"5x", false, 0},
      {"5sec", false, 0},
      {"1.5h", false, 0},
      {"30m1h", false, 0},  // out of order
      {"1h1h", false, 0},   // repeated
      {"ms", false, 0},
      {"5S", false, 0},
      {"99999999999999999999s", false, 0},  // overflow
      {"300000000y", false, 0},             // overflow
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    milliseconds out{-1};
    EXPECT_EQ(ParseDuration(c.in, &out), c.ok);
    EXPECT_EQ(out.count(), c.ok ? c.ms : -1);  // unchanged on failure
  }
}

TEST(ScalarSyntaxTest, ParseSize) {
  struct Case {
    const char* in;
    bool ok;
    std::size_t bytes;
  };
  const Case cases[] = {
      {"0", true, 0},
      {"1048576", true, 1048576},
      {"512B", true, 512},
      {"512KiB", true, 512 * 1024},
      {"8MiB", true, 8 << 20},
      {"2GiB", true, std::size_t{2} << 30},
      {"500KB", true, 500000},
      {"8MB", true, 8000000},
      {"1GB", true, 1000000000},
      {"", false, 0},
      {"-1", false, 0},
      {"+1", false, 0},
      {"1.5MiB", false, 0},
      {"8 MiB", false, 0},
      {"8mib", false, 0},
      {"8Mb", false, 0},
      {"8TiB", false, 0},
      {"MiB", false, 0},
      {"99999999999999999999", false, 0},
      {"99999999999GiB", false, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    std::size_t out = 7;
    EXPECT_EQ(ParseSize(c.in, &out), c.ok);
    EXPECT_EQ(out, c.ok ? c.bytes : 7u);
  }
}

TEST(ScalarSyntaxTest, ListenAddress) {
  struct Case {
    const char* in;
    bool ok;
  };
  const Case cases[] = {
      {":9478", true},
      {"0.0.0.0:9478", true},
      {"127.0.0.1:0", true},
      {"localhost:65535", true},
      {"[::1]:9478", true},
      {"[::]:80", true},
      {"my-host.example_1:1", true},
      {"9478", false},
      {":", false},
      {":65536", false},
      {":-1", false},
      {":99999999", false},
      {"host:", false},
      {"::1:9478", false},
      {"[::1:9478", false},
      {"[zz]:1", false},
      {"[]:1", false},
      {"a b:1", false},
      {"", false},
      {":94a", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(config_detail::CheckListenAddress(c.in).empty(), c.ok);
  }
}

TEST(ScalarSyntaxTest, HttpPath) {
  EXPECT_TRUE(config_detail::CheckHttpPath("/metrics").empty());
  EXPECT_TRUE(config_detail::CheckHttpPath("/a/b-c_d.e").empty());
  EXPECT_FALSE(config_detail::CheckHttpPath("").empty());
  EXPECT_FALSE(config_detail::CheckHttpPath("metrics").empty());
  EXPECT_FALSE(config_detail::CheckHttpPath("/me trics").empty());
  EXPECT_FALSE(config_detail::CheckHttpPath("/metrics?x=1").empty());
  EXPECT_FALSE(config_detail::CheckHttpPath("/metrics#a").empty());
}

TEST(ScalarSyntaxTest, SanitizeForMessages) {
  struct Case {
    std::string in, want;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"tab\there", "tab\\x09here"},
      {std::string("nul\0x", 5), "nul\\x00x"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},                                     // valid UTF-8 kept
      {"bad\xff", "bad\\xff"},                                            // invalid UTF-8 escaped
      {std::string(59, 'a') + "\xc3\xa9", std::string(59, 'a') + "..."},  // cut at a boundary
      {std::string(61, 'b'), std::string(60, 'b') + "..."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(config_detail::Sanitize(c.in), c.want);
  }
  EXPECT_EQ(config_detail::Quoted("x"), "\"x\"");
}

}  // namespace
}  // namespace agx
