// Rotation scenarios (rename, copytruncate, delete): one TEST per scenario.
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

TEST(RotationTest, RenameDrainsOldFileThenReadsNewOne) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  auto old_id = IdOf(log);
  ASSERT_EQ(std::rename(log.c_str(), dir.Path("app.log.1").c_str()), 0);
  Append(dir.Path("app.log.1"), "b\nc\n");  // the writer still holds the old file
  Append(log, "d\n");
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a", "b", "c", "d"}));
  EXPECT_EQ(sink.paths(), (Lines{log, log, log, log}));  // the old file's last seen path
  ASSERT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(sink.closed()[0].ino, old_id.second);
  EXPECT_EQ(sink.closed()[0].offset, 6u);
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 2u);
  EXPECT_EQ(tailer.stats().rotations, 1u);
}

TEST(RotationTest, RenameToNameGlobStillMatchesIsNotReread) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  std::string rotated = dir.Path("app.log.1");
  Append(log, "a\n");
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("app.log*")}), &sink);
  tailer.Poll();
  ASSERT_EQ(std::rename(log.c_str(), rotated.c_str()), 0);
  Append(rotated, "b\n");
  Append(log, "c\n");
  tailer.Poll();
  Append(rotated, "late\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a", "b", "c", "late"}));
  EXPECT_EQ(sink.paths(), (Lines{log, rotated, log, rotated}));
  EXPECT_TRUE(sink.closed().empty());
  EXPECT_EQ(tailer.stats().files_opened, 2u);
  EXPECT_EQ(tailer.stats().rotations, 1u);
}

TEST(RotationTest, CopyTruncateRereadsFromStart) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "old line one\nold line two\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  testing::Truncate(log);
  Append(log, "new\n");
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"old line one", "old line two", "new"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 4u);
  EXPECT_EQ(tailer.stats().truncations, 1u);
  EXPECT_EQ(tailer.stats().rotations, 0u);
}

TEST(RotationTest, DeleteAndRecreateReadsNewFileFromStart) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  Append(log, "b\n");
  {
    // Keep the deleted file alive so the new one cannot reuse its inode number.
    std::FILE* hold = std::fopen(log.c_str(), "r");
    ASSERT_NE(hold, nullptr);
    ASSERT_EQ(std::remove(log.c_str()), 0);
    Append(log, "c\n");
    tailer.Poll();
    std::fclose(hold);
  }
  EXPECT_EQ(sink.lines(), (Lines{"a", "b", "c"}));
  EXPECT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(tailer.stats().rotations, 1u);
}

TEST(RotationTest, DeletedFileIsDrainedAndClosed) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  Append(log, "b\npartial");
  ASSERT_EQ(std::remove(log.c_str()), 0);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a", "b"}));
  ASSERT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(sink.closed()[0].path, log);
  EXPECT_EQ(sink.closed()[0].offset, 4u);  // the dropped partial line is not counted
  EXPECT_EQ(tailer.Poll(), 0u);
  EXPECT_EQ(sink.closed().size(), 1u);
}

TEST(RotationTest, FileThatReappearsIsNewFile) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "a\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  ASSERT_EQ(std::remove(log.c_str()), 0);
  tailer.Poll();
  Append(log, "again\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a", "again"}));
  EXPECT_EQ(tailer.stats().files_opened, 2u);
}

}  // namespace
}  // namespace agx
