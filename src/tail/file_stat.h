#pragma once
// FileStat: what the tailer needs to know about a file, from a path or an open descriptor.
// statx(2) adds the birth time where the file system records one (ext4, xfs, btrfs, tmpfs
// since Linux 6.x): a file the tailer does not hold open can be deleted and its inode number
// given to a new file at once (ext4 does), and the birth time tells the two apart.
// Stateless and thread-safe.
#include <cstdint>
#include <string>

namespace agx::detail {

struct FileId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  auto operator<=>(const FileId&) const = default;
};

struct FileStat {
  FileId id;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t btime_ns = 0;  ///< birth time; 0 when the file system does not record it
  bool regular = false;
};

/// Follows symbolic links, like stat(2). \return 0, or the errno.
int StatPath(const std::string& path, FileStat* out);
/// \return 0, or the errno.
int StatFd(int fd, FileStat* out);

/// True when `a` and `b` carry the same dev+inode but are known to be different files (the
/// inode number was freed and reused): their birth times differ. False when unknown.
inline bool InodeReused(const FileStat& a, const FileStat& b) {
  return a.btime_ns != 0 && b.btime_ns != 0 && a.btime_ns != b.btime_ns;
}

}  // namespace agx::detail
