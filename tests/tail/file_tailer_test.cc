// Reading scenarios: one TEST per scenario, like mtail's integration tests.
#include "tail/file_tailer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "tail_testutil.h"

namespace agx {
namespace {

using testing::Append;
using testing::IdOf;
using testing::Lines;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

TEST(FileTailerTest, ReadsExistingLines) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "one\ntwo\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  EXPECT_EQ(tailer.Poll(), 8u);
  EXPECT_EQ(sink.lines(), (Lines{"one", "two"}));
  FilePosition pos = sink.Last(IdOf(log));
  EXPECT_EQ(pos.path, log);
  EXPECT_EQ(pos.offset, 8u);
  EXPECT_EQ(tailer.stats().files_opened, 1u);
}

TEST(FileTailerTest, ReadsAppendedLines) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "one\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  EXPECT_EQ(tailer.Poll(), 0u);
  Append(log, "two\nthree\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"one", "two", "three"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 14u);
}

TEST(FileTailerTest, HoldsPartialLineUntilNewline) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "first\nabc");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"first"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 6u);  // before the partial line
  Append(log, "def");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"first"}));
  Append(log, "\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"first", "abcdef"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 13u);
}

TEST(FileTailerTest, DeliversEmptyLines) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "\na\n\n");
  RecordingSink sink;
  FileTailer tailer(Options({log}), &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"", "a", ""}));
}

TEST(FileTailerTest, SkipsAndCountsOverlongLine) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "ok\n" + std::string(100, 'x') + "\nafter\n");
  TailOptions o = Options({log});
  o.max_line_bytes = 10;
  o.read_chunk_bytes = 16;  // the long line spans several reads
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"ok", "after"}));
  EXPECT_EQ(sink.oversized(), 1u);
  EXPECT_EQ(sink.Last(IdOf(log)).offset, testing::SizeOf(log));
}

TEST(FileTailerTest, OverlongLineWithoutNewlineYetIsNotBuffered) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, std::string(50, 'x'));
  TailOptions o = Options({log});
  o.max_line_bytes = 10;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  EXPECT_EQ(sink.calls(), 0u);
  Append(log, std::string(50, 'y') + "\nnext\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"next"}));
  EXPECT_EQ(sink.oversized(), 1u);
  EXPECT_EQ(sink.Last(IdOf(log)).offset, 106u);
}

TEST(FileTailerTest, AcceptsLineOfExactlyMaxBytes) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  std::string exact(10, 'e');
  Append(log, exact + "\n" + exact + "e\n");
  TailOptions o = Options({log});
  o.max_line_bytes = 10;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{exact}));
  EXPECT_EQ(sink.oversized(), 1u);
}

TEST(FileTailerTest, ReadsLargeFileAcrossChunkBoundaries) {
  TempDir dir;
  std::string log = dir.Path("big.log");
  Lines want;
  std::string content;
  for (int i = 0; i < 200000; ++i) {
    std::string line = "line " + std::to_string(i);
    if (i % 10007 == 0) line += std::string(9000, 'L');  // longer than a chunk
    if (i % 13 == 0) line.clear();
    want.push_back(line);
    content += line + "\n";
  }
  Append(log, content);
  TailOptions o = Options({log});
  o.read_chunk_bytes = 4096;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  std::size_t total = 0;
  for (std::size_t n; (n = tailer.Poll()) > 0;) total += n;
  EXPECT_EQ(total, content.size());
  EXPECT_EQ(sink.lines(), want);
  EXPECT_EQ(sink.Last(IdOf(log)).offset, content.size());
}

TEST(FileTailerTest, PicksUpNewFileMatchingGlob) {
  TempDir dir;
  Append(dir.Path("a.log"), "a1\n");
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("*.log")}), &sink);
  tailer.Poll();
  Append(dir.Path("b.log"), "b1\n");
  Append(dir.Path("b.txt"), "not matched\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1"}));
  EXPECT_EQ(tailer.stats().files_opened, 2u);
}

TEST(FileTailerTest, ReadsFileMatchedByTwoPatternsOnce) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "once\n");
  std::filesystem::create_symlink(log, dir.Path("link.log"));
  RecordingSink sink;
  FileTailer tailer(Options({log, dir.Path("*.log"), dir.Path("link.log")}), &sink);
  tailer.Poll();
  Append(log, "twice?\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"once", "twice?"}));
  EXPECT_EQ(tailer.stats().files_opened, 1u);
}

TEST(FileTailerTest, StartAtEndSkipsHistoryOfExistingFilesOnly) {
  for (std::size_t chunk : {std::size_t{3}, std::size_t{1} << 20}) {
    SCOPED_TRACE(chunk);  // a small chunk makes the search for the last line span reads
    TempDir dir;
    std::string old_log = dir.Path("old.log");
    Append(old_log, "history\npart");
    TailOptions o = Options({dir.Path("*.log")});
    o.start_at_end = true;
    o.read_chunk_bytes = chunk;
    RecordingSink sink;
    FileTailer tailer(o, &sink);
    tailer.Poll();
    EXPECT_EQ(sink.calls(), 0u);
    Append(old_log, "ial\nnew\n");
    Append(dir.Path("later.log"), "from start\n");
    tailer.Poll();
    // The unterminated last line is completed and delivered whole; a later file starts at 0.
    EXPECT_EQ(sink.lines(), (Lines{"partial", "new", "from start"}));
  }
}

TEST(FileTailerTest, StartAtEndInsideOverlongLastLineSkipsIt) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "old\n" + std::string(100, 'x'));
  TailOptions o = Options({log});
  o.start_at_end = true;
  o.max_line_bytes = 10;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  Append(log, "x\nnew\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"new"}));
  EXPECT_EQ(sink.oversized(), 1u);
}

TEST(FileTailerTest, IgnoresDirectoryMatchedByGlob) {
  TempDir dir;
  std::filesystem::create_directory(dir.Path("sub.log"));
  Append(dir.Path("app.log"), "line\n");
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("*.log"), dir.Path("missing.log")}), &sink);
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"line"}));
  EXPECT_EQ(tailer.stats().files_opened, 1u);
  EXPECT_EQ(tailer.stats().read_errors, 0u);
}

// Runs the permission scenario and returns "" or a failure description. As root, chmod does
// not stop reading, so the scenario runs in a child that dropped to an unprivileged user.
std::string PermissionDeniedScenario(const TempDir& dir) {
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("*.log")}), &sink);
  tailer.Poll();
  tailer.Poll();
  if (sink.lines() != Lines{"readable"}) return "readable file not read";
  if (tailer.stats().read_errors == 0) return "read_errors not counted";
  return "";
}

TEST(FileTailerTest, CountsPermissionDeniedAndReadsOtherFiles) {
  TempDir dir;
  std::string secret = dir.Path("a_secret.log");
  Append(secret, "hidden\n");
  Append(dir.Path("b_open.log"), "readable\n");
  ASSERT_EQ(chmod(secret.c_str(), 0), 0);
  if (geteuid() != 0) {
    EXPECT_EQ(PermissionDeniedScenario(dir), "");
    return;
  }
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.Path("b_open.log").c_str(), 0644), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    _exit(PermissionDeniedScenario(dir).empty() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_NE(WEXITSTATUS(status), 3) << "root could not drop privileges to uid 65534";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "scenario failed as an unprivileged user";
}

}  // namespace
}  // namespace agx
