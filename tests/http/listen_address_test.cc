#include "http/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agx::http_internal {
namespace {

using ::testing::HasSubstr;

TEST(ListenAddressTest, MapsValidAddresses) {
  struct Case {
    const char* address;
    bool ipv6;
    const char* want;
  };
  const Case cases[] = {
      {":9478", false, "9478"},
      {"127.0.0.1:0", false, "127.0.0.1:0"},
      {"0.0.0.0:9478", false, "0.0.0.0:9478"},
      {"localhost:80", false, "127.0.0.1:80"},
      {":65535", false, "65535"},
      {"[::1]:9478", true, "[::1]:9478"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    auto got = ToCivetwebListeningPort(c.address, c.ipv6);
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ListenAddressTest, RejectsInvalidAddresses) {
  struct Case {
    const char* address;
    bool ipv6;
    const char* want_error;
  };
  const Case cases[] = {
      {"", false, "empty address"},
      {"9478", false, "missing port"},
      {"127.0.0.1:", false, "missing port"},
      {":http", false, "invalid port"},
      {":65536", false, "invalid port"},
      {":-1", false, "invalid port"},
      {":94 78", false, "invalid port"},
      {"example.com:9478", false, "not an IPv4 address"},
      {"256.1.1.1:9478", false, "not an IPv4 address"},
      {"::1:9478", false, "brackets"},
      {"[::1]:9478", false, "IPv6 is not supported"},
      {"[::1]", true, "expected [ADDR]:PORT"},
      {"[nope]:9478", true, "invalid IPv6 address"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    auto got = ToCivetwebListeningPort(c.address, c.ipv6);
    ASSERT_FALSE(got.ok());
    EXPECT_THAT(got.error(), HasSubstr(c.want_error));
  }
}

}  // namespace
}  // namespace agx::http_internal
