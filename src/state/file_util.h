#pragma once
// Small POSIX file helpers for the state module: an owning file descriptor, complete writes,
// directory fsync, whole-file reads and the safe opening of state files, all reporting
// errors as Status with the path and strerror. Pure functions over their arguments;
// thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx::state_detail {

/// Owns one file descriptor and closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// \return "<what> <path>: <strerror(errno)>" for the current errno.
std::string ErrnoMessage(std::string_view what, std::string_view path);

/// Writes all of `data` at `offset` (pwrite, retrying short writes and EINTR).
Status WriteAllAt(int fd, std::string_view data, std::uint64_t offset, std::string_view path);

/// fsyncs directory `dir` so that creations, renames and deletions in it are durable.
Status FsyncDir(const std::string& dir);

/// Creates `dir` and its parents when missing.
Status MakeDirs(const std::string& dir);

/// Reads the whole regular file. When it does not exist, sets `*missing` and returns "".
Result<std::string> ReadWholeFile(const std::string& path, bool* missing);

/// Opens `path`, a file of the state directory (state.json, its temporary file, wal.lock,
/// WAL segments), refusing anything but a regular file:
///   - a symbolic link is never followed (O_NOFOLLOW): a planted link cannot make the
///     exporter write, truncate or lock its target;
///   - a FIFO or device never blocks the open (O_NONBLOCK, cleared again on the regular
///     file), so one planted under a state file's name cannot hang start-up;
///   - O_TRUNC is applied only after the checks (ftruncate), and refused for a file with
///     more than one hard link (truncating it would empty the other names too).
/// The error names the path and what it is ("... is a symbolic link, not a regular file").
/// `flags` are open(2)'s; O_CLOEXEC is added. When `missing` is given and the file does
/// not exist (and O_CREAT is not in `flags`), sets `*missing` and returns an invalid fd.
Result<UniqueFd> OpenStateFile(const std::string& path, int flags, unsigned mode = 0644,
                               bool* missing = nullptr);

/// ReadWholeFile for a file of the state directory: opened with OpenStateFile.
Result<std::string> ReadStateFile(const std::string& path, bool* missing);

}  // namespace agx::state_detail
