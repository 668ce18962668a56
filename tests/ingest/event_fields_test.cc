#include "ingest/event_fields.h"

#include <gtest/gtest.h>

#include <cctype>

#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace agx::detail {
namespace {

constexpr double kUnchanged = -42;

TEST(EventFieldsTest, ParsesRfc3339Forms) {
  struct Case {
    std::string in;
    double want;
  };
  const std::vector<Case> cases = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-11-22T03:59:13Z", 1795319953},
      {"2026-11-22T03:59:13.123Z", 1795319953.123},
      {"2026-11-22t03:59:13z", 1795319953},
      {"2026-11-22 03:59:13Z", 1795319953},
      {"2026-11-22T03:59:13.000001Z", 1795319953.000001},
      {"2026-11-22T03:59:13.5+00:00", 1795319953.5},
      {"2026-11-22T05:59:13+02:00", 1795319953},
      {"2026-11-21T22:29:13-05:30", 1795319953},
      {"1970-01-01T01:00:00+01:00", 0},
      {"2024-02-29T12:00:00Z", 1709208000},
      {"2000-02-29T00:00:00Z", 951782400},
      {"2100-02-28T00:00:00Z", 4107456000},
      {"2026-12-31T23:59:59Z", 1798761599},
      {"2026-12-31T23:59:60Z", 1798761600},  // leap second: the next minute's first second
      {"2027-01-01T00:00:00Z", 1798761600},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    double got = kUnchanged;
    ASSERT_TRUE(ParseRfc3339(c.in, &got));
    EXPECT_NEAR(got, c.want, 1e-6);
  }
}

TEST(EventFieldsTest, RejectsMalformedRfc3339AndLeavesOutputUnchanged) {
  const std::vector<std::string> bad = {
      "",
      "yesterday",
      "2026-11-22",
      "2026-11-22T03:59:13",        // no zone
      "2026-11-22T03:59Z",          // no seconds
      "2026-11-22T3:59:13Z",        // one-digit hour
      "26-11-22T03:59:13Z",         // two-digit year
      "+2026-11-22T03:59:13Z",      // signed year
      "2026/11/22T03:59:13Z",
      "2026-11-22X03:59:13Z",
      "2026-11-22T03-59-13Z",
      "2026-00-22T03:59:13Z",       // month 0
      "2026-13-22T03:59:13Z",       // month 13
      "2026-11-00T03:59:13Z",       // day 0
      "2026-11-31T03:59:13Z",       // November has 30 days
      "2026-02-29T03:59:13Z",       // not a leap year
      "2100-02-29T03:59:13Z",       // century, not a leap year
      "2026-11-22T24:00:00Z",       // hour 24
      "2026-11-22T03:60:00Z",       // minute 60
      "2026-11-22T03:59:61Z",       // second 61
      "2026-11-22T03:59:13.Z",      // empty fraction
      "2026-11-22T03:59:13,5Z",     // comma fraction
      "2026-11-22T03:59:13+0200",   // offset without colon
      "2026-11-22T03:59:13+02",     // offset without minutes
      "2026-11-22T03:59:13+24:00",  // offset hour 24
      "2026-11-22T03:59:13+02:60",  // offset minute 60
      "2026-11-22T03:59:13ZZ",      // trailing content
      "2026-11-22T03:59:13Z ",      // trailing space
      " 2026-11-22T03:59:13Z",      // leading space
      "1969-12-31T23:59:59Z",       // before 1970
      "1970-01-01T00:59:59+01:00",  // before 1970 once the offset is applied
      "0000-01-01T00:00:00Z",
  };
  for (const std::string& s : bad) {
    SCOPED_TRACE(s);
    double got = kUnchanged;
    EXPECT_FALSE(ParseRfc3339(s, &got));
    EXPECT_EQ(got, kUnchanged);
  }
}

// Every day from 1970 to 2199 at a varying time of day agrees with the C library's timegm:
// month lengths, leap years and the day arithmetic are right everywhere, not only in the
// examples above.
TEST(EventFieldsTest, AgreesWithTimegmOnEveryDay) {
  std::tm tm{};
  tm.tm_year = 70;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  int checked = 0;
  for (long day = 0; day < 230L * 366; ++day) {
    tm.tm_hour = static_cast<int>(day % 24);
    tm.tm_min = static_cast<int>(day % 60);
    tm.tm_sec = static_cast<int>((day * 7) % 60);
    const std::time_t want = timegm(&tm);  // also normalises tm (advances the month)
    if (tm.tm_year >= 300) break;
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    double got = kUnchanged;
    ASSERT_TRUE(ParseRfc3339(text, &got)) << text;
    ASSERT_EQ(got, static_cast<double>(want)) << text;
    ++checked;
    ++tm.tm_mday;  // timegm normalises it on the next round
  }
  EXPECT_GT(checked, 80000);
}

TEST(EventFieldsTest, NormalizesHexIds) {
  struct Case {
    std::string in;
    std::size_t want_len;
    std::string want;  // empty: rejected
  };
  const std::vector<Case> cases = {
      {"4bf92f3577b34da6a3ce929d0e0e4736", kTraceIdHexDigits, "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"4BF92F3577B34DA6A3CE929D0E0E4736", kTraceIdHexDigits, "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"4bF92f3577B34dA6a3Ce929D0e0E4736", kTraceIdHexDigits, "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"00000000000000000000000000000001", kTraceIdHexDigits, "00000000000000000000000000000001"},
      {"00f067aa0ba902b7", kSpanIdHexDigits, "00f067aa0ba902b7"},
      {"00F067AA0BA902B7", kSpanIdHexDigits, "00f067aa0ba902b7"},
      {"abcdefABCDEF0123", kSpanIdHexDigits, "abcdefabcdef0123"},
      // Rejected: length, digits, all zero.
      {"", kSpanIdHexDigits, ""},
      {"00f067aa0ba902b", kSpanIdHexDigits, ""},
      {"00f067aa0ba902b70", kSpanIdHexDigits, ""},
      {"00f067aa0ba902b7", kTraceIdHexDigits, ""},
      {"4bf92f3577b34da6a3ce929d0e0e4736", kSpanIdHexDigits, ""},
      {"4bf92f3577b34da6a3ce929d0e0e473g", kTraceIdHexDigits, ""},
      {"00f067aa-ba902b7", kSpanIdHexDigits, ""},
      {"00f067aa ba902b7", kSpanIdHexDigits, ""},
      {"0xf067aa0ba902b7", kSpanIdHexDigits, ""},
      {"00f067aa0ba902G7", kSpanIdHexDigits, ""},
      {"0000000000000000", kSpanIdHexDigits, ""},
      {"00000000000000000000000000000000", kTraceIdHexDigits, ""},
      {std::string("00f067aa0ba902\0" "7", 16), kSpanIdHexDigits, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    // One guard byte after the id: nothing is written past `want_len`.
    std::string buf(c.want_len + 1, '#');
    const bool ok = NormalizeHexId(c.in, c.want_len, buf.data());
    EXPECT_EQ(ok, !c.want.empty());
    if (ok) {
      EXPECT_EQ(buf.substr(0, c.want_len), c.want);
    }
    EXPECT_EQ(buf.back(), '#');
  }
}

TEST(EventFieldsTest, NormalizeHexIdAgreesWithTheDefinitionForEveryByte) {
  // Every byte value at every position of a span id and a trace id (the 16-byte SIMD steps):
  // accepted exactly when it is a hex digit, written lower-case.
  auto is_hex = [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  for (std::size_t len : {kSpanIdHexDigits, kTraceIdHexDigits}) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string id(len, '7');
        id[pos] = static_cast<char>(b);
        std::string buf(len, '#');
        const bool ok = NormalizeHexId(id, len, buf.data());
        ASSERT_EQ(ok, is_hex(static_cast<unsigned char>(b))) << len << " " << pos << " " << b;
        if (ok) {
          const char want = static_cast<char>(std::tolower(b));
          ASSERT_EQ(buf[pos], want);
          ASSERT_EQ(buf[(pos + 1) % len], '7');
        }
      }
    }
    // All zeros in every chunk is invalid; a single non-zero digit anywhere is enough.
    EXPECT_FALSE(NormalizeHexId(std::string(len, '0'), len, std::string(len, '#').data()));
    for (std::size_t pos = 0; pos < len; ++pos) {
      std::string id(len, '0');
      id[pos] = 'A';
      std::string buf(len, '#');
      EXPECT_TRUE(NormalizeHexId(id, len, buf.data()));
    }
  }
}

}  // namespace
}  // namespace agx::detail
