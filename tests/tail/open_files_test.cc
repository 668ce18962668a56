// Many files, few descriptors: max_open_files parks idle files and opens them again when
// they change, without losing or repeating a line. Real files; descriptors counted in
// /proc/self/fd.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "tail/file_tailer.h"
#include "tail_testutil.h"

namespace agx {
namespace {

namespace fs = std::filesystem;
using testing::Append;
using testing::IdOf;
using testing::Lines;
using testing::OpenFdCount;
using testing::OpenFilePaths;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

// Descriptors the tailer may hold beyond max_open_files: the directory being listed by a
// scan, and the one counting /proc/self/fd.
constexpr std::size_t kSlack = 2;

// Records lines and the most descriptors open while lines were delivered (files are open).
class FdWatchingSink : public RecordingSink {
 public:
  void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
               std::size_t oversized) override {
    max_fds_ = std::max(max_fds_, OpenFdCount());
    RecordingSink::OnLines(after, lines, oversized);
  }
  std::size_t max_fds() const { return max_fds_; }

 private:
  std::size_t max_fds_ = 0;
};

// Lines delivered per path, in order.
std::map<std::string, Lines> ByPath(const RecordingSink& sink) {
  std::map<std::string, Lines> out;
  Lines lines = sink.lines(), paths = sink.paths();
  for (std::size_t i = 0; i < lines.size(); ++i) out[paths[i]].push_back(lines[i]);
  return out;
}

TEST(OpenFilesTest, ThousandsOfFilesFewDescriptorsEveryLineOnce) {
  constexpr int kFiles = 2000;
  constexpr std::size_t kMaxOpen = 16;
  TempDir dir;
  const std::string root = dir.Path("projects");
  std::vector<std::string> paths;
  std::map<std::string, Lines> want;
  for (int i = 0; i < kFiles; ++i) {
    std::string d = root + "/p" + std::to_string(i % 40) + (i % 3 == 0 ? "/s/subagents" : "");
    fs::create_directories(d);
    paths.push_back(d + "/f" + std::to_string(i) + ".jsonl");
  }
  TailOptions o = Options({root + "/**/*.jsonl"});
  o.max_open_files = kMaxOpen;
  FdWatchingSink sink;
  FileTailer tailer(o, &sink);
  const std::size_t baseline = OpenFdCount();
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < kFiles; ++i) {
      const std::string tag = "f" + std::to_string(i) + " r" + std::to_string(round);
      // Every seventh file gets half a line in round 2, completed in round 3: the held part
      // must survive the file being parked in between.
      if (i % 7 == 0 && round == 2) {
        Append(paths[i], tag + " half");
        continue;
      }
      if (i % 7 == 0 && round == 3) {
        Append(paths[i], " whole\n");
        want[paths[i]].push_back("f" + std::to_string(i) + " r2 half whole");
      }
      // Round 0 writes every file, round r every (r+1)-th, and round 5 every file again:
      // most of them idle (parked) since round 0.
      if (round != 0 && round != 5 && (i + 1) % (round + 1) != 0) continue;
      Append(paths[i], tag + "\n");
      want[paths[i]].push_back(tag);
    }
    tailer.Poll();
    tailer.Poll();
    EXPECT_LE(OpenFdCount(), baseline + kMaxOpen) << "round " << round;
  }
  EXPECT_EQ(ByPath(sink), want);
  EXPECT_LE(sink.max_fds(), baseline + kMaxOpen + kSlack);
  EXPECT_EQ(tailer.stats().files_opened, std::uint64_t{kFiles});
  EXPECT_GT(tailer.stats().files_reopened, std::uint64_t{kFiles});  // the last round alone
  EXPECT_TRUE(sink.closed().empty());
  for (int i : {0, 6, 1999}) {
    EXPECT_EQ(sink.Last(IdOf(paths[i])).offset, testing::SizeOf(paths[i])) << paths[i];
  }
}

// With max_open_files 1, tails a.log and b.log and lets b.log grow last, so that b.log is
// open and a.log parked (checked in /proc/self/fd by the tests).
std::unique_ptr<FileTailer> StartWithParkedA(const TempDir& dir, const std::string& pattern,
                                             RecordingSink* sink) {
  Append(dir.Path("a.log"), "a1\n");
  Append(dir.Path("b.log"), "b1\n");
  TailOptions o = Options({pattern});
  o.max_open_files = 1;
  auto tailer = std::make_unique<FileTailer>(o, sink);
  tailer->Poll();
  Append(dir.Path("b.log"), "b2\n");
  tailer->Poll();
  return tailer;
}

TEST(OpenFilesTest, DeletedParkedFileIsReportedClosed) {
  TempDir dir;
  const std::string a = dir.Path("a.log"), b = dir.Path("b.log");
  RecordingSink sink;
  auto tailer = StartWithParkedA(dir, dir.Path("*.log"), &sink);
  auto a_id = IdOf(a);
  ASSERT_FALSE(OpenFilePaths().contains(a)) << "a.log should be parked";
  ASSERT_TRUE(OpenFilePaths().contains(b));
  ASSERT_EQ(std::remove(a.c_str()), 0);
  tailer->Poll();
  ASSERT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(sink.closed()[0].path, a);
  EXPECT_EQ(sink.closed()[0].ino, a_id.second);
  EXPECT_EQ(sink.closed()[0].offset, 3u);
  Append(b, "b3\n");
  tailer->Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "b2", "b3"}));
  EXPECT_EQ(sink.closed().size(), 1u);
}

TEST(OpenFilesTest, RenamedParkedFileContinuesByIdentity) {
  TempDir dir;
  const std::string a = dir.Path("a.log");
  RecordingSink sink;
  auto tailer = StartWithParkedA(dir, dir.Path("*.log*"), &sink);
  ASSERT_FALSE(OpenFilePaths().contains(a)) << "a.log should be parked";
  const std::string rotated = a + ".1";
  ASSERT_EQ(std::rename(a.c_str(), rotated.c_str()), 0);
  tailer->Poll();  // found under its new name, still idle
  Append(rotated, "a2\n");
  tailer->Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "b2", "a2"}));
  EXPECT_EQ(sink.paths().back(), rotated);
  EXPECT_EQ(sink.Last(IdOf(rotated)).offset, 6u);
  EXPECT_TRUE(sink.closed().empty());
  EXPECT_EQ(tailer->stats().files_opened, 2u);  // opened again, not as a new file
  EXPECT_GE(tailer->stats().files_reopened, 1u);
}

TEST(OpenFilesTest, ParkedFileReplacedUnderItsPathIsReadFromStart) {
  // Deleting a file the tailer does not hold open frees its inode number, and ext4 gives it
  // to the next new file at once: the new file has the old dev+inode. Both with the old
  // inode kept alive (a new number) and without (the number usually reused).
  for (bool keep_old_inode : {true, false}) {
    SCOPED_TRACE(keep_old_inode ? "new inode number" : "inode number may be reused");
    TempDir dir;
    const std::string a = dir.Path("a.log");
    RecordingSink sink;
    auto tailer = StartWithParkedA(dir, dir.Path("*.log"), &sink);
    ASSERT_FALSE(OpenFilePaths().contains(a)) << "a.log should be parked";
    std::FILE* hold = keep_old_inode ? std::fopen(a.c_str(), "r") : nullptr;
    auto old_id = IdOf(a);
    ASSERT_EQ(std::remove(a.c_str()), 0);
    Append(a, "new1\nnew2\n");  // longer than the old offset (3)
    std::printf("inode reused: %s\n", IdOf(a) == old_id ? "yes" : "no");
    tailer->Poll();
    if (hold != nullptr) std::fclose(hold);
    EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "b2", "new1", "new2"}));
    ASSERT_EQ(sink.closed().size(), 1u);
    EXPECT_EQ(sink.closed()[0].offset, 3u);
    EXPECT_EQ(sink.Last(IdOf(a)).offset, 10u);
    EXPECT_EQ(tailer->stats().rotations, 1u);
  }
}

TEST(OpenFilesTest, ParkedFileDeletedAndItsInodeGivenToAnotherMatchedName) {
  TempDir dir;
  const std::string a = dir.Path("a.log"), b = dir.Path("b.log");
  RecordingSink sink;
  auto tailer = StartWithParkedA(dir, dir.Path("*.log"), &sink);
  ASSERT_FALSE(OpenFilePaths().contains(a)) << "a.log should be parked";
  auto old_id = IdOf(a);
  ASSERT_EQ(std::remove(a.c_str()), 0);
  const std::string c = dir.Path("c.log");
  Append(c, "c1\nc2\n");
  std::printf("inode reused: %s\n", IdOf(c) == old_id ? "yes" : "no");
  tailer->Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "b2", "c1", "c2"}));
  ASSERT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(sink.closed()[0].path, a);
}

TEST(OpenFilesTest, CopytruncateOfParkedFileRereadsFromStart) {
  TempDir dir;
  const std::string a = dir.Path("a.log"), b = dir.Path("b.log");
  RecordingSink sink;
  auto tailer = StartWithParkedA(dir, dir.Path("*.log"), &sink);
  ASSERT_FALSE(OpenFilePaths().contains(a)) << "a.log should be parked";
  testing::Truncate(a);
  Append(a, "x\n");
  tailer->Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "b2", "x"}));
  EXPECT_EQ(tailer->stats().truncations, 1u);
  EXPECT_TRUE(sink.closed().empty());
}

TEST(OpenFilesTest, RestoresPositionsOfFilesThatAreNotOpen) {
  constexpr int kFiles = 200;
  constexpr std::size_t kMaxOpen = 4;
  TempDir dir;
  std::vector<std::string> paths;
  std::vector<FilePosition> saved;
  for (int i = 0; i < kFiles; ++i) {
    std::string d = dir.Path("s/" + std::to_string(i % 10));
    fs::create_directories(d);
    paths.push_back(d + "/" + std::to_string(i) + ".jsonl");
    Append(paths.back(), "applied\nnot yet " + std::to_string(i) + "\n");
    auto id = IdOf(paths.back());
    saved.push_back(FilePosition{paths.back(), id.first, id.second, 8});
  }
  TailOptions o = Options({dir.Path("s") + "/**/*.jsonl"});
  o.max_open_files = kMaxOpen;
  o.start_at_end = true;  // saved positions win over it
  FdWatchingSink sink;
  FileTailer tailer(o, &sink);
  const std::size_t baseline = OpenFdCount();
  tailer.Restore(saved);
  tailer.Poll();
  for (int i = 0; i < kFiles; ++i) Append(paths[i], "later " + std::to_string(i) + "\n");
  tailer.Poll();
  std::map<std::string, Lines> want;
  for (int i = 0; i < kFiles; ++i) {
    want[paths[i]] = {"not yet " + std::to_string(i), "later " + std::to_string(i)};
  }
  EXPECT_EQ(ByPath(sink), want);
  EXPECT_LE(sink.max_fds(), baseline + kMaxOpen + kSlack);
  EXPECT_LE(OpenFdCount(), baseline + kMaxOpen);
}

}  // namespace
}  // namespace agx
