#include "state/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "state/temp_dir.h"

namespace agx {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

using Records = std::vector<std::pair<std::uint64_t, std::string>>;

constexpr std::size_t kHeader = 16;

std::string PayloadFor(std::uint64_t i) {
  // Varied sizes, including empty, with recognisable content.
  return std::string(i % 7 == 0 ? 0 : 1, '{') + "batch-" + std::to_string(i) +
         std::string(i * 37 % 300, static_cast<char>('a' + i % 26));
}

Records ReplayAll(Wal& wal, std::uint64_t after = 0) {
  Records out;
  auto st = wal.Replay(after, [&](std::uint64_t seq, std::string_view p) {
    out.emplace_back(seq, std::string(p));
  });
  EXPECT_TRUE(st.ok()) << st.error();
  return out;
}

std::unique_ptr<Wal> MustOpen(const std::string& dir, std::uint64_t seg = Wal::kDefaultSegmentBytes) {
  auto w = Wal::Open(dir, seg);
  EXPECT_TRUE(w.ok()) << w.error();
  return w.ok() ? std::move(*w) : nullptr;
}

std::vector<std::string> SegmentNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind("wal-", 0) == 0) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string SegName(std::uint64_t first) {
  std::string digits = std::to_string(first);
  return "wal-" + std::string(20 - digits.size(), '0') + digits + ".log";
}

void AppendN(Wal& wal, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t i = from; i <= to; ++i) {
    auto seq = wal.Append(PayloadFor(i));
    ASSERT_TRUE(seq.ok()) << seq.error();
    ASSERT_EQ(*seq, i);
  }
}

void ExpectRecords(const Records& got, std::uint64_t from, std::uint64_t to) {
  ASSERT_EQ(got.size(), to >= from ? to - from + 1 : 0);
  for (std::uint64_t i = from; i <= to; ++i) {
    EXPECT_EQ(got[i - from].first, i);
    EXPECT_EQ(got[i - from].second, PayloadFor(i)) << "seq " << i;
  }
}

void FlipByte(const std::string& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c ^= 0x10;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

std::uint64_t RecordSize(std::uint64_t i) { return kHeader + PayloadFor(i).size(); }

TEST(WalTest, AppendReplayRoundTripAcrossReopen) {
  TempDir dir;
  {
    auto wal = MustOpen(dir.path());
    EXPECT_EQ(wal->last_seq(), 0u);
    AppendN(*wal, 1, 100);
    EXPECT_EQ(wal->last_seq(), 100u);
    ExpectRecords(ReplayAll(*wal), 1, 100);
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 1; i <= 100; ++i) bytes += RecordSize(i);
    EXPECT_EQ(wal->bytes(), bytes);
  }
  auto wal = MustOpen(dir.path());
  EXPECT_EQ(wal->last_seq(), 100u);
  ExpectRecords(ReplayAll(*wal), 1, 100);
  ExpectRecords(ReplayAll(*wal, 57), 58, 100);
  ExpectRecords(ReplayAll(*wal, 100), 1, 0);
}

TEST(WalTest, SequenceContinuesAfterReopen) {
  TempDir dir;
  MustOpen(dir.path())->Append("a").value();
  { auto w = MustOpen(dir.path()); AppendN(*w, 2, 3); }
  auto wal = MustOpen(dir.path());
  EXPECT_EQ(wal->last_seq(), 3u);
  AppendN(*wal, 4, 4);
}

TEST(WalTest, SequenceContinuesAfterCompactDeletesEverything) {
  TempDir dir;
  {
    auto wal = MustOpen(dir.path());
    AppendN(*wal, 1, 5);
    ASSERT_TRUE(wal->Compact(5).ok());
    EXPECT_EQ(wal->bytes(), 0u);
    EXPECT_EQ(wal->last_seq(), 5u);
    EXPECT_THAT(SegmentNames(dir.path()), ::testing::ElementsAre(SegName(6)));
    ExpectRecords(ReplayAll(*wal), 1, 0);
    // Compacting again with nothing new keeps the one empty segment.
    ASSERT_TRUE(wal->Compact(5).ok());
    EXPECT_THAT(SegmentNames(dir.path()), ::testing::ElementsAre(SegName(6)));
  }
  {
    auto wal = MustOpen(dir.path());
    EXPECT_EQ(wal->last_seq(), 5u);
    AppendN(*wal, 6, 7);
    ASSERT_TRUE(wal->Compact(7).ok());
  }
  auto wal = MustOpen(dir.path());
  EXPECT_EQ(wal->last_seq(), 7u);
  AppendN(*wal, 8, 8);
  ExpectRecords(ReplayAll(*wal), 8, 8);
}

TEST(WalTest, TornTailIsCutOnOpenKeepingIntactRecords) {
  struct Case {
    const char* name;
    std::uint64_t cut;    // bytes removed from the end of the last record
    std::string garbage;  // bytes appended afterwards
    std::uint64_t intact;  // records expected to survive (of 10)
  };
  const std::vector<Case> cases = {
      {"payload cut by 3 bytes", 3, "", 9},
      {"header cut in half", RecordSize(10) - 8, "", 9},
      {"only the header written", RecordSize(10) - kHeader, "", 9},
      {"garbage after intact records", 0, "\x07garbage\xff\x01", 10},
      {"cut then garbage", 5, std::string("xyzzy-not-a-record-") + std::string(40, '\xab'), 9},
      {"zero-filled tail", 0, std::string(4096, '\0'), 10},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    { auto wal = MustOpen(dir.path()); AppendN(*wal, 1, 10); }
    std::string seg = dir.File(SegName(1));
    auto size = std::filesystem::file_size(seg);
    std::filesystem::resize_file(seg, size - c.cut);
    { std::ofstream(seg, std::ios::app | std::ios::binary) << c.garbage; }

    auto wal = MustOpen(dir.path());
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->last_seq(), c.intact);
    ExpectRecords(ReplayAll(*wal), 1, c.intact);
    std::uint64_t good = 0;
    for (std::uint64_t i = 1; i <= c.intact; ++i) good += RecordSize(i);
    EXPECT_EQ(std::filesystem::file_size(seg), good);
    EXPECT_EQ(wal->bytes(), good);
    // Appending continues the sequence, and a reopen sees a clean log.
    AppendN(*wal, c.intact + 1, c.intact + 2);
    wal.reset();
    wal = MustOpen(dir.path());
    ExpectRecords(ReplayAll(*wal), 1, c.intact + 2);
  }
}

TEST(WalTest, CorruptionInOlderSegmentIsAnError) {
  struct Case {
    const char* name;
    std::uint64_t offset_in_record;  // of record 2 in the first segment
  };
  const std::vector<Case> cases = {
      {"payload bit flip", kHeader + 3}, {"crc bit flip", 5}, {"seq bit flip", 9},
      {"length bit flip", 1}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    { auto wal = MustOpen(dir.path(), 1000); AppendN(*wal, 1, 30); }
    auto segs = SegmentNames(dir.path());
    ASSERT_GE(segs.size(), 3u);
    ASSERT_EQ(segs[0], SegName(1));
    std::uint64_t at = RecordSize(1) + c.offset_in_record;
    FlipByte(dir.File(segs[0]), at);
    auto wal = Wal::Open(dir.path(), 1000);
    ASSERT_FALSE(wal.ok());
    EXPECT_THAT(wal.error(), HasSubstr(segs[0]));
    EXPECT_THAT(wal.error(), HasSubstr("offset " + std::to_string(RecordSize(1))));
  }
}

TEST(WalTest, CorruptionInTheMiddleOfTheLastSegmentIsAnError) {
  TempDir dir;
  { auto wal = MustOpen(dir.path()); AppendN(*wal, 1, 10); }
  std::uint64_t at = RecordSize(1) + RecordSize(2) + RecordSize(3);  // record 4
  FlipByte(dir.File(SegName(1)), at + kHeader + 2);
  auto wal = Wal::Open(dir.path());
  ASSERT_FALSE(wal.ok());
  EXPECT_THAT(wal.error(), HasSubstr("offset " + std::to_string(at)));
  EXPECT_THAT(wal.error(), HasSubstr("followed by an intact record"));
  // Nothing was cut: the damaged log is left for inspection.
  std::uint64_t total = 0;
  for (std::uint64_t i = 1; i <= 10; ++i) total += RecordSize(i);
  EXPECT_EQ(std::filesystem::file_size(dir.File(SegName(1))), total);
}

TEST(WalTest, MissingMiddleSegmentIsAnError) {
  TempDir dir;
  { auto wal = MustOpen(dir.path(), 1000); AppendN(*wal, 1, 30); }
  auto segs = SegmentNames(dir.path());
  ASSERT_GE(segs.size(), 3u);
  std::filesystem::remove(dir.File(segs[1]));
  auto wal = Wal::Open(dir.path(), 1000);
  ASSERT_FALSE(wal.ok());
  EXPECT_THAT(wal.error(), HasSubstr(segs[2]));
}

TEST(WalTest, SegmentsRotateAndAreNamedByTheirFirstSeq) {
  TempDir dir;
  constexpr std::uint64_t kSeg = 1000;
  {
    auto wal = MustOpen(dir.path(), kSeg);
    AppendN(*wal, 1, 40);
    // A record larger than a segment still goes in, alone in its own segment.
    auto big = wal->Append(std::string(3 * kSeg, 'B'));
    ASSERT_TRUE(big.ok()) << big.error();
    EXPECT_EQ(*big, 41u);
    AppendN(*wal, 42, 42);
  }
  auto segs = SegmentNames(dir.path());
  ASSERT_GT(segs.size(), 3u);
  EXPECT_EQ(segs.front(), SegName(1));
  EXPECT_EQ(segs.back(), SegName(42));
  EXPECT_EQ(segs[segs.size() - 2], SegName(41));
  for (std::size_t i = 0; i + 2 < segs.size(); ++i) {
    EXPECT_LE(std::filesystem::file_size(dir.File(segs[i])), kSeg) << segs[i];
  }
  auto wal = MustOpen(dir.path(), kSeg);
  Records all = ReplayAll(*wal);
  ASSERT_EQ(all.size(), 42u);
  for (std::uint64_t i = 1; i <= 42; ++i) {
    EXPECT_EQ(all[i - 1].first, i);
    if (i != 41) {
      EXPECT_EQ(all[i - 1].second, PayloadFor(i));
    }
  }
  EXPECT_EQ(all[40].second, std::string(3 * kSeg, 'B'));
}

TEST(WalTest, CompactDeletesOnlyFullyCoveredSegments) {
  TempDir dir;
  constexpr std::uint64_t kSeg = 1000;
  auto wal = MustOpen(dir.path(), kSeg);
  AppendN(*wal, 1, 40);
  auto before = SegmentNames(dir.path());
  ASSERT_GE(before.size(), 4u);
  // Pick a seq inside the third segment: segments 1 and 2 are covered, 3 is not.
  std::uint64_t third_first = std::stoull(before[2].substr(4, 20));
  std::uint64_t fourth_first = std::stoull(before[3].substr(4, 20));
  ASSERT_LT(third_first + 1, fourth_first);
  ASSERT_TRUE(wal->Compact(third_first).ok());
  auto after = SegmentNames(dir.path());
  std::vector<std::string> want(before.begin() + 2, before.end());
  want.push_back(SegName(41));  // the new, empty segment
  EXPECT_EQ(after, want);
  ExpectRecords(ReplayAll(*wal), third_first, 40);
  ExpectRecords(ReplayAll(*wal, 35), 36, 40);

  // Exactly the last seq of a segment covers it.
  ASSERT_TRUE(wal->Compact(fourth_first - 1).ok());
  EXPECT_EQ(SegmentNames(dir.path()).front(), before[3]);
  AppendN(*wal, 41, 41);
  wal.reset();
  wal = MustOpen(dir.path(), kSeg);
  EXPECT_EQ(wal->last_seq(), 41u);
  ExpectRecords(ReplayAll(*wal), fourth_first, 41);
}

TEST(WalTest, ConcurrentAppendsGetUniqueContiguousSeqs) {
  TempDir dir;
  auto wal = MustOpen(dir.path(), 4096);
  constexpr int kThreads = 4, kPerThread = 50;
  std::mutex mu;
  std::map<std::uint64_t, std::string> acked;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string p = "t" + std::to_string(t) + "-" + std::to_string(i) + std::string(i, 'x');
        auto seq = wal->Append(p);
        ASSERT_TRUE(seq.ok()) << seq.error();
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(acked.emplace(*seq, p).second) << "duplicate seq " << *seq;
      }
    });
  }
  // Replay concurrently with the appends: it sees a consistent prefix.
  Records partial = ReplayAll(*wal);
  for (std::size_t i = 0; i < partial.size(); ++i) EXPECT_EQ(partial[i].first, i + 1);
  for (auto& th : threads) th.join();
  ASSERT_EQ(acked.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(acked.begin()->first, 1u);
  EXPECT_EQ(acked.rbegin()->first, static_cast<std::uint64_t>(kThreads * kPerThread));
  wal.reset();
  wal = MustOpen(dir.path(), 4096);
  Records all = ReplayAll(*wal);
  ASSERT_EQ(all.size(), acked.size());
  for (const auto& [seq, payload] : all) EXPECT_EQ(acked[seq], payload) << "seq " << seq;
}

TEST(WalTest, OversizedPayloadIsRejectedAndTheLogStaysUsable) {
  TempDir dir;
  auto wal = MustOpen(dir.path());
  std::string huge(Wal::kMaxPayloadBytes + 1, 'h');
  auto r = wal->Append(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("exceeds the maximum"));
  EXPECT_EQ(wal->Append("ok").value(), 1u);
}

TEST(WalTest, SecondWriterOnTheSameDirIsRefused) {
  TempDir dir;
  auto first = MustOpen(dir.path());
  auto second = Wal::Open(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr("in use"));
  first.reset();
  EXPECT_TRUE(Wal::Open(dir.path()).ok());
}

TEST(WalTest, OpenFailsClearlyWhenTheDirIsAFile) {
  TempDir dir;
  { std::ofstream(dir.File("plain")) << "x"; }
  auto wal = Wal::Open(dir.File("plain"));
  ASSERT_FALSE(wal.ok());
  EXPECT_THAT(wal.error(), HasSubstr("plain"));
}

}  // namespace
}  // namespace agx
