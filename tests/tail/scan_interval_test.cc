// scan_interval: new files are looked for at each scan only, while known files (open or
// parked) are checked, read and rotated at every poll. No clock is needed: an interval of
// an hour never elapses during a test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "tail/file_tailer.h"
#include "tail_testutil.h"

namespace agx {
namespace {

using testing::Append;
using testing::Lines;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

TailOptions HourlyScans(const std::string& pattern) {
  TailOptions o = Options({pattern});
  o.scan_interval = std::chrono::hours(1);
  return o;
}

TEST(ScanIntervalTest, NewFilesWaitForTheNextScanKnownFilesDoNot) {
  TempDir dir;
  const std::string a = dir.Path("a.log");
  Append(a, "a1\n");
  RecordingSink sink;
  FileTailer tailer(HourlyScans(dir.Path("*.log")), &sink);
  tailer.Poll();
  Append(dir.Path("b.log"), "b1\n");
  Append(a, "a2\n");
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "a2"}));  // b.log is not looked for yet
  EXPECT_EQ(tailer.stats().scans, 1u);
  // Rename rotation of a known file is seen at the next poll and scans at once: the old
  // file is drained, the new a.log read, and b.log found on the way.
  ASSERT_EQ(std::rename(a.c_str(), dir.Path("a.log.1").c_str()), 0);
  Append(dir.Path("a.log.1"), "a3\n");
  Append(a, "a4\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a1", "a2", "a3", "a4", "b1"}));
  EXPECT_EQ(tailer.stats().scans, 2u);
  EXPECT_EQ(tailer.stats().rotations, 1u);
  ASSERT_EQ(sink.closed().size(), 1u);
}

TEST(ScanIntervalTest, ParkedFilesAreCheckedAtEveryPoll) {
  TempDir dir;
  Append(dir.Path("a.log"), "a1\n");
  Append(dir.Path("b.log"), "b1\n");
  TailOptions o = HourlyScans(dir.Path("*.log"));
  o.max_open_files = 1;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  for (int i = 2; i < 6; ++i) {  // each append to the parked one opens it and parks the other
    Append(dir.Path(i % 2 == 0 ? "a.log" : "b.log"), "x" + std::to_string(i) + "\n");
    tailer.Poll();
  }
  EXPECT_EQ(sink.lines(), (Lines{"a1", "b1", "x2", "x3", "x4", "x5"}));
  EXPECT_EQ(tailer.stats().scans, 1u);
  EXPECT_GE(tailer.stats().files_reopened, 4u);
  // A deleted parked file is noticed at the next poll, without waiting for a scan.
  ASSERT_EQ(std::remove(dir.Path("a.log").c_str()), 0);
  tailer.Poll();
  ASSERT_EQ(sink.closed().size(), 1u);
  EXPECT_EQ(sink.closed()[0].path, dir.Path("a.log"));
}

}  // namespace
}  // namespace agx
