// Recursive patterns (`**`): the expansion on real directory trees, and the tailer following
// session files below a root the way Claude Code and Codex CLI lay them out.
#include "tail/recursive_glob.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tail/file_tailer.h"
#include "tail/glob_expand.h"
#include "tail_testutil.h"

namespace agx {
namespace {

namespace fs = std::filesystem;
using testing::Append;
using testing::IdOf;
using testing::Lines;
using testing::Options;
using testing::RecordingSink;
using testing::TempDir;

// The paths a set of patterns matches now, in expansion order.
Lines Matched(const std::vector<std::string>& patterns) {
  Lines out;
  for (const auto& m : detail::ExpandPatterns(patterns).files) out.push_back(m.path);
  return out;
}

TEST(RecursiveGlobTest, MatchesZeroOrMoreDirectories) {
  TempDir dir;
  const std::string root = dir.Path("projects");
  fs::create_directories(root + "/-home-me-app/s1/subagents");
  fs::create_directories(root + "/.cache/x");
  Append(root + "/top.jsonl", "");
  Append(root + "/-home-me-app/s1.jsonl", "");
  Append(root + "/-home-me-app/s1/subagents/a1.jsonl", "");
  Append(root + "/-home-me-app/s1/subagents/a1.meta.json", "");
  Append(root + "/-home-me-app/.hidden.jsonl", "");
  Append(root + "/.cache/x/hidden-dir.jsonl", "");
  fs::create_directories(root + "/dir.jsonl");  // a directory is walked, never matched
  EXPECT_EQ(Matched({root + "/**/*.jsonl"}),
            (Lines{root + "/-home-me-app/s1.jsonl", root + "/-home-me-app/s1/subagents/a1.jsonl",
                   root + "/top.jsonl"}));
  // Further components after `**`, a glob before it, a trailing `**`, doubled slashes.
  EXPECT_EQ(Matched({root + "/**/subagents/*.jsonl"}),
            (Lines{root + "/-home-me-app/s1/subagents/a1.jsonl"}));
  EXPECT_EQ(Matched({dir.Path("proj*") + "/**/**/s1.jsonl"}),
            (Lines{root + "/-home-me-app/s1.jsonl"}));
  EXPECT_EQ(Matched({root + "//-home-me-app/**"}),
            (Lines{root + "/-home-me-app/s1.jsonl", root + "/-home-me-app/s1/subagents/a1.jsonl",
                   root + "/-home-me-app/s1/subagents/a1.meta.json"}));
  // `**` inside a component is an ordinary glob: one level, as before.
  EXPECT_EQ(Matched({root + "/-home**/*.jsonl"}), (Lines{root + "/-home-me-app/s1.jsonl"}));
  EXPECT_TRUE(Matched({dir.Path("missing") + "/**/*.jsonl"}).empty());
}

TEST(RecursiveGlobTest, RelativePatternIsRelativeToTheWorkingDirectory) {
  TempDir dir;
  fs::create_directories(dir.Path("2026/12/08"));
  Append(dir.Path("2026/12/08/rollout-1.jsonl"), "");
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path());
  Lines got = Matched({"**/rollout-*.jsonl"});
  fs::current_path(old_cwd);
  EXPECT_EQ(got, (Lines{"2026/12/08/rollout-1.jsonl"}));
}

TEST(RecursiveGlobTest, FindsFileInDirectoryCreatedAfterStart) {
  TempDir dir;
  const std::string root = dir.Path("projects");
  fs::create_directories(root);
  RecordingSink sink;
  FileTailer tailer(Options({root + "/**/*.jsonl"}), &sink);
  EXPECT_EQ(tailer.Poll(), 0u);
  // A new project, a session and a sub-agent sidechain appear while the tailer runs.
  const std::string session = root + "/-home-me-app/0f1e.jsonl";
  const std::string agent = root + "/-home-me-app/0f1e/subagents/a0123456789abcdef.jsonl";
  fs::create_directories(root + "/-home-me-app/0f1e/subagents");
  Append(session, "s1\n");
  Append(agent, "a1\na2\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"s1", "a1", "a2"}));  // sorted: "0f1e.jsonl" < "0f1e/"
  EXPECT_EQ(sink.Last(IdOf(agent)).offset, 6u);
  EXPECT_EQ(sink.Last(IdOf(agent)).path, agent);
  Append(agent, "a3\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"s1", "a1", "a2", "a3"}));
  EXPECT_EQ(tailer.stats().files_opened, 2u);
}

TEST(RecursiveGlobTest, StopsAtTheDepthLimit) {
  TempDir dir;
  const std::string root = dir.Path("root");
  std::string d = root;
  Lines want;
  for (int depth = 0; depth <= detail::kMaxRecursiveDepth + 1; ++depth) {
    fs::create_directories(d);
    Append(d + "/f.jsonl", "depth " + std::to_string(depth) + "\n");
    if (depth <= detail::kMaxRecursiveDepth) want.push_back("depth " + std::to_string(depth));
    d += "/d";
  }
  RecordingSink sink;
  FileTailer tailer(Options({root + "/**/f.jsonl"}), &sink);
  tailer.Poll();
  Lines got = sink.lines();
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);  // depths 0 to 16 below the `**`, not 17
  EXPECT_EQ(tailer.stats().files_opened, std::uint64_t{detail::kMaxRecursiveDepth} + 1);
}

TEST(RecursiveGlobTest, SymlinkLoopDoesNotHangOrDuplicate) {
  TempDir dir;
  const std::string root = dir.Path("root");
  fs::create_directories(root + "/a/deep");
  Append(root + "/a/f.jsonl", "f\n");
  Append(root + "/a/deep/g.jsonl", "g\n");
  fs::create_directory_symlink(root + "/a", root + "/a/loop");  // a/loop/loop/... forever
  fs::create_directory_symlink("..", root + "/a/deep/up");
  fs::create_directory_symlink(root + "/a", root + "/b");  // a second way into a/
  fs::create_symlink(root + "/a/f.jsonl", root + "/link.jsonl");
  EXPECT_EQ(Matched({root + "/**/*.jsonl"}), (Lines{root + "/a/deep/g.jsonl", root + "/a/f.jsonl"}));
  RecordingSink sink;
  FileTailer tailer(Options({root + "/**/*.jsonl", root + "/b/*.jsonl"}), &sink);
  tailer.Poll();
  Append(root + "/a/f.jsonl", "f2\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"g", "f", "f2"}));
  EXPECT_EQ(tailer.stats().files_opened, 2u);
}

TEST(RecursiveGlobTest, FileMatchedByTwoPatternsIsReadOnce) {
  TempDir dir;
  const std::string root = dir.Path("sessions");
  fs::create_directories(root + "/2026/12/08");
  const std::string rollout = root + "/2026/12/08/rollout-1.jsonl";
  Append(rollout, "one\n");
  RecordingSink sink;
  FileTailer tailer(Options({rollout, root + "/**/*.jsonl", root + "/**/rollout-*"}), &sink);
  tailer.Poll();
  Append(rollout, "two\n");
  tailer.Poll();
  EXPECT_EQ(sink.lines(), (Lines{"one", "two"}));
  EXPECT_EQ(sink.paths(), (Lines{rollout, rollout}));
  EXPECT_EQ(tailer.stats().files_opened, 1u);
}

// Runs the unreadable-directory scenario with the log on `log_fd`; returns "" or a failure.
std::string UnreadableDirScenario(const TempDir& dir, int log_fd) {
  if (dup2(log_fd, STDERR_FILENO) < 0) return "dup2 failed";
  RecordingSink sink;
  FileTailer tailer(Options({dir.Path("root") + "/**/*.jsonl"}), &sink);
  for (int i = 0; i < 3; ++i) tailer.Poll();
  if (sink.lines() != Lines{"readable"}) return "readable file not read";
  if (tailer.stats().read_errors != 3) {
    return "read_errors " + std::to_string(tailer.stats().read_errors) + ", want 3";
  }
  return "";
}

TEST(RecursiveGlobTest, SkipsUnreadableDirectoryWithOneWarning) {
  TempDir dir;
  const std::string root = dir.Path("root");
  fs::create_directories(root + "/a_secret/inner");
  fs::create_directories(root + "/b_open");
  Append(root + "/a_secret/inner/hidden.jsonl", "hidden\n");
  Append(root + "/b_open/ok.jsonl", "readable\n");
  ASSERT_EQ(chmod((root + "/a_secret").c_str(), 0), 0);
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);  // mkdtemp made it 0700
  const std::string log = dir.Path("log.txt");
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  ASSERT_GE(log_fd, 0);
  // As root, chmod does not stop reading: the scenario runs as an unprivileged user.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    std::string err = UnreadableDirScenario(dir, log_fd);
    if (!err.empty()) std::fprintf(stdout, "%s\n", err.c_str());
    _exit(err.empty() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(log_fd);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_NE(WEXITSTATUS(status), 3) << "root could not drop privileges to uid 65534";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "scenario failed as an unprivileged user";
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = text.str().find("cannot read directory", at)) != std::string::npos;
       ++at) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << text.str();
  EXPECT_NE(text.str().find(root + "/a_secret"), std::string::npos) << text.str();
  chmod((root + "/a_secret").c_str(), 0755);  // so that TempDir can remove it
}

}  // namespace
}  // namespace agx
