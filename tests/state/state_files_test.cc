// Files planted in the state directory under the names agent_exporter uses (state.json,
// state.json.tmp, wal.lock, WAL segments): real symbolic links, FIFOs, directories and hard
// links. Each must be refused with an error naming it, without following a link, writing
// or truncating another file, or hanging on a FIFO.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>

#include "state/file_util.h"
#include "state/state_store.h"
#include "state/temp_dir.h"
#include "state/wal.h"

namespace agx {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void MakeFifo(const std::string& path) { ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << path; }

// Runs `fn` on a thread. An open of a FIFO that waits for its other end would wait forever;
// if `fn` has not returned after a generous 20 s, the FIFO gets both ends (O_RDWR) so that it
// returns, and the hang is reported. \return whether `fn` hung.
bool HangsOnFifo(const std::string& fifo, const std::function<void()>& fn) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(std::chrono::seconds(20)) == std::future_status::ready) {
    done.get();
    return false;
  }
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  done.get();
  if (fd >= 0) ::close(fd);
  return true;
}

PersistedState SomeState() {
  PersistedState s;
  s.saved_at = 1700000000;
  s.wal_seq = 42;
  return s;
}

TEST(StateFilesTest, PlantedTmpSymlinkIsNeitherFollowedNorTruncated) {
  TempDir dir;
  const std::string victim = dir.File("victim.txt");
  WriteText(victim, "precious\n");
  fs::create_directory(dir.File("state"));
  fs::create_symlink(victim, dir.File("state/state.json.tmp"));
  StateStore store(dir.File("state"));
  auto init = store.Init();
  ASSERT_FALSE(init.ok());
  EXPECT_THAT(init.error(), HasSubstr(dir.File("state/state.json.tmp")));
  EXPECT_THAT(init.error(), HasSubstr("is a symbolic link, not a regular file"));
  auto saved = store.Save(SomeState());
  ASSERT_FALSE(saved.ok());
  EXPECT_THAT(saved.error(), HasSubstr("is a symbolic link"));
  EXPECT_EQ(ReadText(victim), "precious\n");
  EXPECT_TRUE(fs::is_symlink(dir.File("state/state.json.tmp")));
  EXPECT_FALSE(fs::exists(dir.File("state/state.json")));
}

TEST(StateFilesTest, DanglingTmpSymlinkCreatesNothing) {
  TempDir dir;
  const std::string target = dir.File("created-through-the-link");
  fs::create_symlink(target, dir.File("state.json.tmp"));
  StateStore store(dir.path());
  EXPECT_FALSE(store.Init().ok());
  EXPECT_FALSE(store.Save(SomeState()).ok());
  EXPECT_FALSE(fs::exists(target));
}

TEST(StateFilesTest, HardLinkedTmpIsNotRewritten) {
  TempDir dir;
  const std::string other = dir.File("other-name");
  WriteText(other, "another file's contents\n");
  ASSERT_EQ(::link(other.c_str(), dir.File("state.json.tmp").c_str()), 0);
  StateStore store(dir.path());
  auto saved = store.Save(SomeState());
  ASSERT_FALSE(saved.ok());
  EXPECT_THAT(saved.error(), HasSubstr("has 2 hard links"));
  EXPECT_EQ(ReadText(other), "another file's contents\n");
}

TEST(StateFilesTest, FifoStateJsonIsRefusedWithoutHanging) {
  TempDir dir;
  MakeFifo(dir.File("state.json"));
  StateStore store(dir.path());
  std::string error;
  const bool hung = HangsOnFifo(dir.File("state.json"), [&] {
    auto loaded = store.Load();
    error = loaded.ok() ? "loaded" : loaded.error();
  });
  EXPECT_FALSE(hung) << "Load waited for a writer on the FIFO";
  EXPECT_THAT(error, HasSubstr(dir.File("state.json") + " is a FIFO (named pipe), not a regular file"));
}

TEST(StateFilesTest, SymlinkedStateJsonIsRefused) {
  TempDir dir;
  StateStore elsewhere(dir.File("elsewhere"));
  ASSERT_TRUE(elsewhere.Init().ok());
  ASSERT_TRUE(elsewhere.Save(SomeState()).ok());
  fs::create_directory(dir.File("state"));
  fs::create_symlink(dir.File("elsewhere/state.json"), dir.File("state/state.json"));
  auto loaded = StateStore(dir.File("state")).Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error(), HasSubstr("state/state.json is a symbolic link"));
}

TEST(StateFilesTest, DirectoryNamedStateJsonIsRefused) {
  TempDir dir;
  fs::create_directory(dir.File("state.json"));
  auto loaded = StateStore(dir.path()).Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error(), HasSubstr("state.json is a directory, not a regular file"));
}

TEST(StateFilesTest, PlantedWalLockIsRefused) {
  {
    TempDir dir;
    const std::string target = dir.File("created-through-the-link");
    fs::create_symlink(target, dir.File("wal.lock"));
    auto wal = Wal::Open(dir.path());
    ASSERT_FALSE(wal.ok());
    EXPECT_THAT(wal.error(), HasSubstr("wal.lock is a symbolic link"));
    EXPECT_FALSE(fs::exists(target));
  }
  {
    TempDir dir;
    MakeFifo(dir.File("wal.lock"));
    std::string error;
    EXPECT_FALSE(HangsOnFifo(dir.File("wal.lock"), [&] {
      auto wal = Wal::Open(dir.path());
      error = wal.ok() ? "opened" : wal.error();
    }));
    EXPECT_THAT(error, HasSubstr("wal.lock is a FIFO"));
  }
}

TEST(StateFilesTest, SymlinkedSegmentIsRefusedAndItsTargetKept) {
  TempDir dir;
  // A real log elsewhere, with a torn tail that Open would cut off: through a link, Open
  // would truncate the target.
  std::string segment;
  {
    auto wal = Wal::Open(dir.File("elsewhere"));
    ASSERT_TRUE(wal.ok()) << wal.error();
    ASSERT_TRUE((*wal)->Append("one").ok());
  }
  for (const auto& e : fs::directory_iterator(dir.File("elsewhere"))) {
    if (e.path().filename().string().rfind("wal-", 0) == 0) segment = e.path().string();
  }
  ASSERT_FALSE(segment.empty());
  { std::ofstream(segment, std::ios::app | std::ios::binary) << "torn"; }
  const std::string before = ReadText(segment);
  fs::create_directory(dir.File("state"));
  fs::create_symlink(segment, dir.File("state/" + fs::path(segment).filename().string()));
  auto wal = Wal::Open(dir.File("state"));
  ASSERT_FALSE(wal.ok());
  EXPECT_THAT(wal.error(), HasSubstr("is a symbolic link, not a regular file"));
  EXPECT_EQ(ReadText(segment), before);
}

TEST(StateFilesTest, FifoSegmentIsRefusedWithoutHanging) {
  TempDir dir;
  const std::string fifo = dir.File("wal-00000000000000000001.log");
  MakeFifo(fifo);
  std::string error;
  const bool hung = HangsOnFifo(fifo, [&] {
    auto wal = Wal::Open(dir.path());
    error = wal.ok() ? "opened" : wal.error();
  });
  EXPECT_FALSE(hung) << "Wal::Open waited on the FIFO";
  EXPECT_THAT(error, HasSubstr(fifo + " is a FIFO (named pipe), not a regular file"));
}

TEST(StateFilesTest, RegularFilesStillWork) {
  // The checks refuse only what is not a regular file: a state dir reached through a link
  // (the configured path itself) is fine, and a normal save, load and log round-trip.
  TempDir dir;
  fs::create_directory(dir.File("real"));
  fs::create_directory_symlink(dir.File("real"), dir.File("link"));
  StateStore store(dir.File("link"));
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.Save(SomeState()).ok());
  ASSERT_TRUE(store.Save(SomeState()).ok());  // the leftover-free tmp path again
  auto loaded = store.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->wal_seq, 42u);
  {
    auto wal = Wal::Open(dir.File("link"));
    ASSERT_TRUE(wal.ok()) << wal.error();
    ASSERT_TRUE((*wal)->Append("x").ok());
  }
  auto wal = Wal::Open(dir.File("link"));
  ASSERT_TRUE(wal.ok()) << wal.error();
  EXPECT_EQ((*wal)->last_seq(), 1u);
}

}  // namespace
}  // namespace agx
