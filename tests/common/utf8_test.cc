#include "common/utf8.h"

#include <gtest/gtest.h>

namespace agx {
namespace {

TEST(Utf8Test, AcceptsValidText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST(Utf8Test, RejectsMalformedText) {
  struct Case {
    const char* name;
    std::string_view input;
  } cases[] = {
      {"lone continuation", "\x80"},
      {"overlong slash", "\xc0\xaf"},
      {"overlong three byte", "\xe0\x80\xaf"},
      {"surrogate", "\xed\xa0\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
      {"truncated at end", "abc\xe2\x82"},
      {"invalid lead byte", "\xff"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(IsValidUtf8(c.input));
  }
}

TEST(Utf8Test, TruncatesOnCodePointBoundary) {
  std::string_view s = "ab\xe2\x82\xac";  // "ab€", 5 bytes
  EXPECT_EQ(TruncateUtf8(s, 10), s);
  EXPECT_EQ(TruncateUtf8(s, 4), "ab");
  EXPECT_EQ(TruncateUtf8(s, 3), "ab");
  EXPECT_EQ(TruncateUtf8(s, 5), s);
  EXPECT_EQ(CountCodePoints(s), 3u);
}

}  // namespace
}  // namespace agx
