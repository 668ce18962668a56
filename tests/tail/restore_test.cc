// Restart scenarios: Restore() from the positions a state store saved.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tail/file_tailer.h"
#include "tail_testutil.h"

namespace agx {
namespace {

using testing::Append;
using testing::IdOf;
using testing::Lines;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

TEST(RestoreTest, ResumesAtSavedPositionWithoutDuplicates) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\nb\npart");
  std::vector<FilePosition> saved;
  {
    RecordingSink sink;
    FileTailer tailer(Options({log}), &sink);
    tailer.Poll();
    saved = sink.Positions();
  }
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].offset, 4u);
  Append(log, "ial\nc\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Restore(saved);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"partial", "c"}));
  EXPECT_EQ(tailer.stats().truncations, 0u);
}

TEST(RestoreTest, StartAtEndDoesNotOverrideSavedPosition) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\nb\n");
  auto id = IdOf(log);
  TailOptions o = Options({log});
  o.start_at_end = true;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Restore({FilePosition{log, id.first, id.second, 2}});
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"b"}));
}

TEST(RestoreTest, ReadsReplacedFileFromStart) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "old\n");
  auto old_id = IdOf(log);
  std::FILE* hold = std::fopen(log.c_str(), "r");  // keep the inode number from reuse
  ASSERT_NE(hold, nullptr);
  ASSERT_EQ(std::remove(log.c_str()), 0);
  Append(log, "new one\nnew two\n");
  TailOptions o = Options({log});
  o.start_at_end = true;  // a replaced file is a rotation while down: its lines are new
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Restore({FilePosition{log, old_id.first, old_id.second, 4}});
  tailer.Poll();
  std::fclose(hold);
  EXPECT_EQ(sink.lines(), (Lines{"new one", "new two"}));
}

TEST(RestoreTest, ReadsFileTruncatedWhileDownFromStart) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "x\n");
  auto id = IdOf(log);
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Restore({FilePosition{log, id.first, id.second, 100}});
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"x"}));
  EXPECT_EQ(tailer.stats().truncations, 1u);
}

TEST(RestoreTest, FollowsFileRenamedWhileDown) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\nb\n");
  auto id = IdOf(log);
  ASSERT_EQ(std::rename(log.c_str(), dir.Path("app.log.1").c_str()), 0);
  Append(log, "c\n");
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("app.log*")}), &sink);
  tailer.Restore({FilePosition{log, id.first, id.second, 2}});
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"c", "b"}));  // glob order: app.log, then app.log.1
  EXPECT_EQ(sink.Last(id).path, dir.Path("app.log.1"));
}

}  // namespace
}  // namespace agx
