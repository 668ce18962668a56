// Kill -9 durability: a child process appends in a loop and reports each seq over a pipe
// only after Append returned; the parent SIGKILLs it at a random moment, reopens the log and
// checks that every acknowledged record is there, intact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "state/temp_dir.h"
#include "state/wal.h"

namespace agx {
namespace {

constexpr std::uint64_t kSegmentBytes = 8192;  // small, so kills also land near rotations

std::string CrashPayload(std::uint64_t seq) {
  return "seq=" + std::to_string(seq) + ";" + std::string(seq * 131 % 2000, 'p');
}

[[noreturn]] void ChildAppendLoop(const std::string& dir, int ack_fd) {
  auto wal = Wal::Open(dir, kSegmentBytes);
  if (!wal.ok()) _exit(3);
  for (;;) {
    std::uint64_t next = (*wal)->last_seq() + 1;
    auto seq = (*wal)->Append(CrashPayload(next));
    if (!seq.ok() || *seq != next) _exit(4);
    std::uint64_t v = *seq;
    if (::write(ack_fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) _exit(5);
  }
}

bool ReadAck(int fd, std::uint64_t* v) {
  std::size_t got = 0;
  auto* p = reinterpret_cast<char*>(v);
  while (got < sizeof *v) {
    ssize_t n = ::read(fd, p + got, sizeof *v - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

TEST(WalCrashTest, AcknowledgedRecordsSurviveSigkill) {
  testing::TempDir dir;
  std::random_device rd;
  const unsigned seed = rd();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::set<std::uint64_t> acked;
  std::uint64_t compacted = 0;  // records up to this seq were compacted away
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << std::strerror(errno);
    if (pid == 0) {
      ::close(fds[0]);
      ChildAppendLoop(dir.path(), fds[1]);
    }
    ::close(fds[1]);
    // Let it acknowledge a random number of records, then kill it after a random spin.
    const int wait_acks = std::uniform_int_distribution<int>(1, 40)(rng);
    std::uint64_t v;
    for (int i = 0; i < wait_acks && ReadAck(fds[0], &v); ++i) acked.insert(v);
    for (volatile int spin = std::uniform_int_distribution<int>(0, 200000)(rng); spin > 0;) {
      spin = spin - 1;
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    while (ReadAck(fds[0], &v)) acked.insert(v);  // acks written before death
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

    auto wal = Wal::Open(dir.path(), kSegmentBytes);
    ASSERT_TRUE(wal.ok()) << wal.error();
    ASSERT_FALSE(acked.empty());
    EXPECT_GE((*wal)->last_seq(), *acked.rbegin());
    std::uint64_t expect = compacted + 1;
    auto st = (*wal)->Replay(compacted, [&](std::uint64_t seq, std::string_view payload) {
      EXPECT_EQ(seq, expect);
      EXPECT_EQ(payload, CrashPayload(seq));
      ++expect;
    });
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(expect - 1, (*wal)->last_seq());
    EXPECT_GE(expect - 1, *acked.rbegin()) << "acknowledged records were lost";
    // Compact now and then so that reopening also covers an empty or fresh segment.
    if (round % 5 == 4 && (*wal)->last_seq() > 3) {
      compacted = (*wal)->last_seq() - 3;
      ASSERT_TRUE((*wal)->Compact(compacted).ok());
    }
  }
}

}  // namespace
}  // namespace agx
