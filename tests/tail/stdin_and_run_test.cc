// Standard input ("-") through a pipe put on fd 0, and the Run() loop.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tail/file_tailer.h"
#include "tail_testutil.h"

namespace agx {
namespace {

using testing::Append;
using testing::Lines;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

// Puts the read end of a pipe on fd 0 for the lifetime of the object.
class StdinPipe {
 public:
  StdinPipe() {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    saved_ = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    write_fd_ = fds[1];
  }
  ~StdinPipe() {
    CloseWriter();
    dup2(saved_, STDIN_FILENO);
    close(saved_);
  }
  void Write(const std::string& s) {
    ASSERT_EQ(write(write_fd_, s.data(), s.size()), ssize_t(s.size()));
  }
  void CloseWriter() {
    if (write_fd_ >= 0) close(write_fd_);
    write_fd_ = -1;
  }

 private:
  int saved_ = -1;
  int write_fd_ = -1;
};

TEST(StdinTest, ReadsLinesUntilEof) {
  StdinPipe in;
  RecordingSink sink;
  FileTailer tailer(Options({"-"}), &sink);
  in.Write("a\nb");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a"}));
  EXPECT_FALSE(tailer.StdinDone());
  in.Write("c\nd\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"a", "bc", "d"}));
  FilePosition pos = sink.Last({0, 0});
  EXPECT_EQ(pos.path, "-");
  EXPECT_EQ(pos.offset, 7u);
  in.Write("unterminated");
  in.CloseWriter();
  tailer.Poll();
  EXPECT_TRUE(tailer.StdinDone());
  EXPECT_EQ(sink.lines(), (Lines{"a", "bc", "d"}));  // documented: dropped at EOF
  EXPECT_EQ(tailer.Poll(), 0u);
}

TEST(StdinTest, ReadsStdinAndFilesTogether) {
  TempDir dir;
  Append(dir.Path("app.log"), "file\n");
  StdinPipe in;
  in.Write("pipe\n");
  in.CloseWriter();
  RecordingSink sink;
  FileTailer tailer(Options({"-", dir.Path("app.log")}), &sink);
  tailer.Poll();
  EXPECT_TRUE(tailer.StdinDone());
  EXPECT_EQ(sink.lines(), (Lines{"file", "pipe"}));
}

TEST(RunTest, FollowsFileUntilStopped) {
  TempDir dir;
  std::string log = dir.Path("app.log");
  Append(log, "before\n");
  TailOptions o = Options({log});
  o.poll_interval = std::chrono::milliseconds(5);
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  std::atomic<bool> stop{false};
  std::thread runner([&] { tailer.Run(stop); });
  Append(log, "during\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink.lines().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  runner.join();
  EXPECT_EQ(sink.lines(), (Lines{"before", "during"}));
}

TEST(RunTest, ReturnsWhenStopIsSetDuringLongInterval) {
  TempDir dir;
  TailOptions o = Options({dir.Path("*.log")});
  o.poll_interval = std::chrono::hours(1);
  RecordingSink sink;
  FileTailer tailer(o, &sink);
  std::atomic<bool> stop{false};
  std::thread runner([&] { tailer.Run(stop); });
  stop = true;
  runner.join();  // would hang for an hour if the sleep ignored `stop`
  EXPECT_EQ(sink.calls(), 0u);
}

}  // namespace
}  // namespace agx
