#include "tail/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agx::detail {
namespace {

struct Case {
  std::string name;
  std::size_t max_line_bytes;
  std::vector<std::string> chunks;
  std::vector<std::string> want_lines;
  std::size_t want_oversized;
  std::size_t want_complete;  // bytes up to the last '\n', summed over the chunks
  std::size_t want_pending;
};

TEST(LineSplitterTest, SplitsChunksIntoLines) {
  const std::vector<Case> cases = {
      {"one chunk", 100, {"a\nbb\n"}, {"a", "bb"}, 0, 5, 0},
      {"partial held", 100, {"abc"}, {}, 0, 0, 3},
      {"partial completed", 100, {"abc", "def\n"}, {"abcdef"}, 0, 7, 0},
      {"partial across three", 100, {"ab", "cd", "ef\ngh"}, {"abcdef"}, 0, 7, 2},
      {"empty lines", 100, {"\n\na\n\n"}, {"", "", "a", ""}, 0, 5, 0},
      {"carriage return kept", 100, {"a\r\n"}, {"a\r"}, 0, 3, 0},
      {"exactly max", 3, {"abc\n"}, {"abc"}, 0, 4, 0},
      {"one over max", 3, {"abcd\nok\n"}, {"ok"}, 1, 8, 0},
      {"over max across chunks", 3, {"ab", "cd", "ef\nok\n"}, {"ok"}, 1, 10, 0},
      {"over max in tail then end", 3, {"x\nabcdef", "gh\ny\n"}, {"x", "y"}, 1, 13, 0},
      {"max reached exactly across chunks", 4, {"ab", "cd\n"}, {"abcd"}, 0, 5, 0},
      {"oversized pending counted", 2, {"abcdef"}, {}, 0, 0, 6},
      {"two oversized", 1, {"aa\nbb\nc\n"}, {"c"}, 2, 8, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LineSplitter s(c.max_line_bytes);
    std::vector<std::string_view> lines;
    std::vector<std::string> got;
    std::size_t oversized = 0;
    std::size_t complete = 0;
    std::size_t consumed = 0;
    for (const std::string& chunk : c.chunks) {
      auto r = s.Split(chunk, &lines);
      for (auto l : lines) got.emplace_back(l);
      oversized += r.oversized;
      if (r.any_newline) complete = consumed + r.complete_bytes;
      consumed += chunk.size();
    }
    EXPECT_EQ(got, c.want_lines);
    EXPECT_EQ(oversized, c.want_oversized);
    EXPECT_EQ(complete, c.want_complete);
    EXPECT_EQ(s.pending_bytes(), c.want_pending);
  }
}

TEST(LineSplitterTest, ViewOfJoinedLineSurvivesUntilNextSplit) {
  LineSplitter s(100);
  std::vector<std::string_view> lines;
  s.Split("hello ", &lines);
  std::string chunk = "world\nnext";
  s.Split(chunk, &lines);
  ASSERT_EQ(lines.size(), 1u);
  chunk.assign(chunk.size(), 'x');  // the joined line must not point into the chunk
  EXPECT_EQ(lines[0], "hello world");
  s.Split("!\n", &lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "next!");
}

TEST(LineSplitterTest, ResetDropsPartialLine) {
  LineSplitter s(100);
  std::vector<std::string_view> lines;
  s.Split("abc", &lines);
  s.Reset();
  EXPECT_EQ(s.pending_bytes(), 0u);
  s.Split("d\n", &lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "d");
}

}  // namespace
}  // namespace agx::detail
