// FileTailer over container log files (TailOptions::container_log) with real files: lines
// split into partial records across polls, restarts from the saved positions, rotation with
// a split line in flight, and compressed rotated files left alone.
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
using testing::RecordingSink;
using testing::SizeOf;
using testing::TempDir;

std::string Cri(std::string_view stream, std::string_view tag, std::string_view content) {
  return "2024-05-01T10:00:00.123456789Z " + std::string(stream) + " " + std::string(tag) + " " +
         std::string(content) + "\n";
}

TailOptions CriOptions(std::vector<std::string> patterns) {
  TailOptions o = testing::Options(std::move(patterns));
  o.container_log = ContainerLogFormat::kCri;
  return o;
}

TEST(ContainerLogTailTest, PartialRecordsAcrossPollsGiveOneLine) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  const std::string first = Cri("stdout", "F", "{\"n\":1}") + Cri("stdout", "F", "hello from the app");
  Append(log, first + Cri("stdout", "P", "{\"n\":"));
  RecordingSink sink;
  FileTailer tailer(CriOptions({log}), &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, first.size()) << "not past the start of the P record";
  Append(log, Cri("stderr", "F", "{\"n\":3}"));
  tailer.Poll();
  EXPECT_EQ(sink.lines().size(), 1u) << "held behind the open stdout line";
  Append(log, Cri("stdout", "F", "2}"));
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}", "{\"n\":3}", "{\"n\":2}"}));
  EXPECT_EQ(sink.Last(IdOf(log)).offset, SizeOf(log));
  const TailStats st = tailer.stats();
  EXPECT_EQ(st.skipped_not_json, 1u);
  EXPECT_EQ(st.skipped_bad_records, 0u);
}

TEST(ContainerLogTailTest, RestartInsideAPartialSequenceRereadsItWhole) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  Append(log, Cri("stdout", "F", "{\"n\":1}") + Cri("stdout", "P", "{\"n\":") +
                  Cri("stdout", "P", "2"));
  std::vector<FilePosition> saved;
  {
    RecordingSink sink;
    FileTailer tailer(CriOptions({log}), &sink);
    tailer.Poll();
    EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}"}));
    saved = sink.Positions();
  }
  Append(log, Cri("stdout", "F", "}") + Cri("stdout", "F", "{\"n\":3}"));
  RecordingSink sink;
  FileTailer tailer(CriOptions({log}), &sink);
  tailer.Restore(saved);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":2}", "{\"n\":3}"}));
}

// kubelet renames 0.log to 0.log.<time> and has the runtime reopen 0.log; the runtime may
// write a split line's last record to the renamed file before it reopens. With a glob that
// still matches the renamed file, it is continued by identity and the line is whole; the
// compressed copy written later is not read.
TEST(ContainerLogTailTest, RotationWithASplitLineInFlight) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  const std::string rotated = dir.Path("0.log.20240501-100000");
  Append(log, Cri("stdout", "F", "{\"n\":1}") + Cri("stdout", "P", "{\"n\":"));
  RecordingSink sink;
  FileTailer tailer(CriOptions({dir.Path("*.log*")}), &sink);
  tailer.Poll();
  ASSERT_EQ(std::rename(log.c_str(), rotated.c_str()), 0);
  Append(rotated, Cri("stdout", "F", "2}"));
  Append(log, Cri("stdout", "F", "{\"n\":3}"));
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}));
  // kubelet compresses the rotated file into a new one and deletes it.
  Append(rotated + ".gz.tmp", "\x1f\x8b binary\n");
  ASSERT_EQ(std::rename((rotated + ".gz.tmp").c_str(), (rotated + ".gz").c_str()), 0);
  ASSERT_EQ(std::remove(rotated.c_str()), 0);
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines().size(), 3u);
  EXPECT_EQ(tailer.stats().skipped_bad_records, 0u) << "the .gz file was read";
  EXPECT_EQ(tailer.stats().skipped_unterminated, 0u);
  ASSERT_EQ(sink.closed().size(), 1u);
}

// With `*.log` the renamed file is no longer matched: it is drained through its descriptor
// (the last record written before the rename is read), then the new file from 0.
TEST(ContainerLogTailTest, RotationOutOfTheGlobDrainsTheSplitLine) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  Append(log, Cri("stdout", "P", "{\"n\":"));
  RecordingSink sink;
  FileTailer tailer(CriOptions({dir.Path("*.log")}), &sink);
  tailer.Poll();
  Append(log, Cri("stdout", "F", "1}"));
  ASSERT_EQ(std::rename(log.c_str(), dir.Path("0.log.20240501-100000").c_str()), 0);
  Append(log, Cri("stdout", "F", "{\"n\":2}"));
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}", "{\"n\":2}"}));
}

// A split line whose last record went to the next file after the rotation cannot be joined
// (docs/deploy.md): its first pieces are counted as unterminated when the old file is
// given up, and its last piece alone is app output (not a '{').
TEST(ContainerLogTailTest, SplitLineCutByTheReopenIsCountedNotLost) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  Append(log, Cri("stdout", "P", "{\"n\":"));
  RecordingSink sink;
  FileTailer tailer(CriOptions({dir.Path("*.log")}), &sink);
  tailer.Poll();
  ASSERT_EQ(std::rename(log.c_str(), dir.Path("0.log.20240501-100000").c_str()), 0);
  Append(log, Cri("stdout", "F", "1}") + Cri("stdout", "F", "{\"n\":2}"));
  tailer.Poll();
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":2}"}));
  EXPECT_EQ(tailer.stats().skipped_unterminated, 1u);
  EXPECT_EQ(tailer.stats().skipped_not_json, 1u);
}

TEST(ContainerLogTailTest, DockerJsonFileAndMalformedRecords) {
  TempDir dir;
  const std::string log = dir.Path("c-json.log");
  Append(log, "{\"log\":\"{\\\"n\\\":\",\"stream\":\"stdout\",\"time\":\"t\"}\n"
              "2024-05-01T10:00:00Z stdout F {\"cri\":1}\n"
              "{\"log\":\"1}\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n"
              "{\"log\":\"listening\\n\",\"stream\":\"stderr\",\"time\":\"t\"}\n");
  TailOptions o = testing::Options({log});
  o.container_log = ContainerLogFormat::kDockerJson;
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"n\":1}"}));
  EXPECT_EQ(tailer.stats().skipped_bad_records, 1u);
  EXPECT_EQ(tailer.stats().skipped_not_json, 1u);
  EXPECT_EQ(sink.Last(IdOf(log)).offset, SizeOf(log));
}

TEST(ContainerLogTailTest, SplitLineOverTheLimitIsOneOversizedLine) {
  TempDir dir;
  const std::string log = dir.Path("0.log");
  TailOptions o = CriOptions({log});
  o.max_line_bytes = 64;
  o.read_chunk_bytes = 100;  // many reads
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  for (int i = 0; i < 20; ++i) {
    Append(log, Cri("stdout", "P", "{\"x\":\"0123456789"));
    tailer.Poll();
  }
  Append(log, Cri("stdout", "F", "\"}") + Cri("stdout", "F", "{\"ok\":1}"));
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"{\"ok\":1}"}));
  EXPECT_EQ(sink.oversized(), 1u);
}

}  // namespace
}  // namespace agx
