#include "ingest/native_line.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace agx {
namespace {


TEST(NativeLineTest, EscapesStrings) {
  std::string out;
  // NUL included; bytes >= 0x7f are copied as they are.
  AppendJsonString(&out, std::string_view("a\"b\\c\n\t\r\b\f\x01\x1f\x7f\xc3\xa9/\0", 17));
  EXPECT_EQ(out, R"("a\"b\\c\n\t\r\b\f\u0001\u001f)"
                 "\x7f\xc3\xa9/\\u0000\"");
}

TEST(NativeLineTest, EveryAsciiByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\xc3\xa9\xe2\x80\xa8";  // é, U+2028
  std::string out;
  AppendJsonString(&out, all);
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), all);
}

TEST(NativeLineTest, WritesNumbersThatRoundTrip) {
  struct Case {
    double v;
    std::string want;
  };
  const Case cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {3, "3"},
      {1200, "1200"},
      {100000000, "100000000"},
      {9007199254740992.0, "9007199254740992"},
      {0.144065, "0.144065"},
      {812.5, "812.5"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1e21, "1e+21"},
      {1.5e-7, "1.5e-07"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    std::string out;
    AppendJsonNumber(&out, c.v);
    EXPECT_EQ(out, c.want);
    EXPECT_EQ(std::stod(out), c.v);
  }
}

TEST(NativeLineTest, WritesUnixSecondsWithMicroseconds) {
  struct Case {
    std::uint64_t ns;
    std::string want;
  };
  const Case cases[] = {
      {1795319953000000000u, "1795319953"},        {1795319953500000000u, "1795319953.5"},
      {1795319953123456789u, "1795319953.123456"}, {1795319953000001000u, "1795319953.000001"},
      {1795319953000000999u, "1795319953"},        {1, "0"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendUnixSeconds(&out, c.ns);
    EXPECT_EQ(out, c.want);
  }
}

TEST(NativeLineTest, BuildsOneObjectPerLine) {
  std::string out;
  NativeLine(&out, "tool_call")
      .Str("agent_id", "a\"b")
      .Time("ts", 0)
      .Time("ts", 1500000000)
      .Num("duration_ms", 2.25)
      .End();
  EXPECT_EQ(out,
            "{\"type\":\"tool_call\",\"agent_id\":\"a\\\"b\",\"ts\":1.5,\"duration_ms\":2.25}\n");
}

}  // namespace
}  // namespace agx
