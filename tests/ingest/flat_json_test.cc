#include "ingest/flat_json.h"

#include <gtest/gtest.h>

#include <string>

namespace agx::flat_json {
namespace {

// The scalar reference of FindStringStop.
std::size_t Reference(std::string_view s, std::size_t i) {
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20) return i;
  }
  return s.size();
}

TEST(FlatJsonTest, FindStringStopMatchesTheScalarReferenceAtEveryOffset) {
  // Every stop byte, and bytes that must not stop (0x20, 0x7f, UTF-8 continuation and lead
  // bytes, which a signed compare would take for control characters), at every position
  // around the 16-byte steps.
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789 \x7f\xc3\xa9\xe2\x82\xac";
  for (char stop : {'"', '\\', '\x00', '\x01', '\x1f', '\n'}) {
    for (std::size_t pos = 0; pos < plain.size(); ++pos) {
      std::string s = plain;
      s[pos] = stop;
      for (std::size_t from = 0; from <= s.size(); ++from) {
        bool non_ascii = false;
        ASSERT_EQ(FindStringStop(s, from, &non_ascii), Reference(s, from))
            << "stop " << int(stop) << " at " << pos << " from " << from;
      }
    }
  }
  bool non_ascii = false;
  EXPECT_EQ(FindStringStop(plain, 0, &non_ascii), plain.size());
  EXPECT_TRUE(non_ascii);
  EXPECT_EQ(FindStringStop("", 0, &non_ascii), 0u);
}

TEST(FlatJsonTest, FindStringStopReportsEveryNonAsciiByteBeforeTheStop) {
  // A byte >= 0x80 anywhere before the stop is reported, in a 16-byte step or the tail.
  for (std::size_t len = 1; len < 40; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      std::string s(len, 'a');
      s[pos] = '\x80';
      s += '"';
      bool non_ascii = false;
      EXPECT_EQ(FindStringStop(s, 0, &non_ascii), len);
      EXPECT_TRUE(non_ascii) << len << " " << pos;
    }
    bool non_ascii = false;
    FindStringStop(std::string(len, 'a') + "\"", 0, &non_ascii);
    EXPECT_FALSE(non_ascii);
  }
}

TEST(FlatJsonTest, FindStringStopNeverReadsPastTheView) {
  // A view cut out of a larger buffer: the stop right after it must not be seen.
  const std::string buf = std::string(40, 'x') + "\"";
  for (std::size_t len = 0; len <= 40; ++len) {
    bool non_ascii = false;
    EXPECT_EQ(FindStringStop(std::string_view(buf.data(), len), 0, &non_ascii), len);
  }
}

TEST(FlatJsonTest, EightDigitsCountsAndConvertsTheLeadingDigits) {
  // Every count of leading digits, followed by every kind of byte that ends a number
  // (and bytes that borrow or carry in the SWAR test: 0x00, '/', ':', 0xff).
  const std::string digits = "9876543210";
  for (int n = 0; n <= 8; ++n) {
    for (char stop : {'.', ',', '}', 'e', ' ', '/', ':', '\x00', '\xff', '\xba'}) {
      std::string s = digits.substr(0, static_cast<std::size_t>(n)) + stop + "12345678";
      std::uint64_t value = 123;
      const int got = EightDigits(s.data(), &value);
      const int expected_n = n;
      ASSERT_EQ(got, expected_n) << s;
      const std::uint64_t expected =
          expected_n == 0 ? 0 : std::stoull(s.substr(0, static_cast<std::size_t>(expected_n)));
      EXPECT_EQ(value, expected) << s;
    }
  }
  std::uint64_t value = 0;
  EXPECT_EQ(EightDigits("00000007x", &value), 8);
  EXPECT_EQ(value, 7u);
  EXPECT_EQ(EightDigits("99999999", &value), 8);
  EXPECT_EQ(value, 99999999u);
}

TEST(FlatJsonTest, ScanDigitsMatchesTheByteLoopAtEveryLengthAndEnd) {
  for (std::size_t len = 0; len <= 20; ++len) {
    for (std::size_t tail = 0; tail <= 9; ++tail) {
      std::string s;
      for (std::size_t i = 0; i < len; ++i) s += static_cast<char>('1' + (i * 7) % 9);
      s += std::string(tail, 'x');
      std::uint64_t m = 0, ref = 0;
      int count = 0;
      const char* end = ScanDigits(s.data(), s.data() + s.size(), &m, &count);
      for (std::size_t i = 0; i < len; ++i) ref = ref * 10 + static_cast<unsigned>(s[i] - '0');
      EXPECT_EQ(end, s.data() + len) << s;
      EXPECT_EQ(count, static_cast<int>(len)) << s;
      EXPECT_EQ(m, ref) << s;  // wraps alike past 19 digits
    }
  }
  // Never reads past the view: digits right after it are not taken.
  const std::string buf = "1234567890123456789";
  for (std::size_t len = 0; len <= buf.size(); ++len) {
    std::uint64_t m = 0;
    int count = 0;
    EXPECT_EQ(ScanDigits(buf.data(), buf.data() + len, &m, &count), buf.data() + len);
    EXPECT_EQ(count, static_cast<int>(len));
  }
}

}  // namespace
}  // namespace agx::flat_json
